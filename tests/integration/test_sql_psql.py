"""`runnel sql` with psql, PostgreSQL's own command-line client: tables,
materialized views kept up to date, one-off queries, errors with their
SQLSTATE, and a clean stop on SIGTERM (src/sql/README.md)."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from harness import BINARY, run, wait_until


class SqlServer:
    """A `runnel sql` process on a free loopback port."""

    def __init__(self, *extra):
        # stderr to a file: a pipe nobody reads would stall the process once full.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([BINARY, "sql", "--listen", "127.0.0.1:0", *extra], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # the ready line, or EOF if it failed
        assert line.startswith("runnel: sql ready on 127.0.0.1:"), (line, self.stderr())
        self.port = int(line.rsplit(":", 1)[1])

    def stderr(self):
        self.log.seek(0)
        return self.log.read()

    def psql(self, *sql, check=True, verbose=False):
        return psql(self.port, *sql, check=check, verbose=verbose)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


PSQL = shutil.which("psql") or "/usr/bin/psql"


def psql(port, *sql, check=True, verbose=False):
    """Runs statements with psql (one -c each, stopping at the first error)."""
    args = [PSQL, "-X", "-At", "-F", "|", "-h", "127.0.0.1", "-p", str(port), "-d", "dev", "-U", "root",
            "-v", "ON_ERROR_STOP=1"]
    if verbose:
        args += ["-v", "VERBOSITY=verbose"]
    for s in sql:
        args += ["-c", s]
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, (sql, r.stdout, r.stderr)
    return r


def test_views_follow_changes_through_psql():
    s = SqlServer()
    try:
        s.psql("CREATE TABLE page_views (user_id INT, page TEXT, ts TIMESTAMP)",
               "CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n FROM page_views GROUP BY page",
               "INSERT INTO page_views VALUES (1, '/home', '2024-03-15 10:00:00'), (2, '/home', now()), "
               "(2, '/about', now())")
        out = s.psql("SELECT * FROM visits ORDER BY page").stdout
        assert out == "/about|1\n/home|2\n", out
        s.psql("DELETE FROM page_views WHERE user_id = 2")
        out = s.psql("SELECT page, n FROM visits").stdout
        assert out == "/home|1\n", out
        tag = subprocess.run([PSQL, "-X", "-h", "127.0.0.1", "-p", str(s.port), "-d", "dev", "-U", "root", "-c",
                              "INSERT INTO page_views VALUES (3, '/x', now())"],
                             capture_output=True, text=True, timeout=30).stdout
        assert tag.strip() == "INSERT 0 1", tag
    finally:
        assert s.stop() == 0


def test_errors_carry_sqlstate():
    s = SqlServer()
    try:
        r = s.psql("SELECT nope FROM missing", check=False, verbose=True)
        assert r.returncode != 0
        assert 'ERROR:  42P01: relation "missing" does not exist' in r.stderr, r.stderr
        assert "LINE 1: SELECT nope FROM missing" in r.stderr, r.stderr
        r = s.psql("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)",
                   check=False, verbose=True)
        assert "23505: duplicate key value violates unique constraint" in r.stderr, r.stderr
        # Still serving after errors.
        assert s.psql("SELECT count(*) FROM t").stdout == "1\n"
    finally:
        assert s.stop() == 0


def test_a_taken_port_is_a_clear_error():
    s = SqlServer()
    try:
        r = subprocess.run([BINARY, "sql", "--listen", "127.0.0.1:%d" % s.port], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0
        assert "cannot listen for SQL on 127.0.0.1:%d" % s.port in r.stderr, r.stderr
    finally:
        assert s.stop() == 0


def test_psql_lists_relations():
    """psql's \\dt, \\dv, \\dm and \\d read pg_catalog; drivers and BI tools read information_schema."""
    s = SqlServer()
    try:
        s.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)",
               "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM t", "CREATE VIEW v AS SELECT id FROM t")
        assert s.psql("\\dt").stdout == "public|t|table|root\n"
        assert s.psql("\\dv").stdout == "public|v|view|root\n"
        assert s.psql("\\dm").stdout == "public|mv|materialized view|root\n"
        assert s.psql("\\d").stdout == "public|mv|materialized view|root\npublic|t|table|root\npublic|v|view|root\n"
        out = s.psql("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                     "ORDER BY table_name, ordinal_position").stdout
        assert out == "mv|n|bigint|YES\nt|id|integer|NO\nt|name|text|YES\nv|id|integer|YES\n", out
        assert s.psql("SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' "
                      "ORDER BY 1").stdout == "mv\nv\n"
    finally:
        assert s.stop() == 0, s.stderr()


def test_psql_meta_commands():
    """psql 15's \\df, \\l, \\du, \\dg, \\di, \\dT, \\dx and \\dn answer (driver_queries.cc): a primary key
    is the index <table>_pkey; SET LOCAL outside a block warns as PostgreSQL does."""
    s = SqlServer()
    try:
        s.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)", "CREATE TABLE p (a INT, b TEXT, PRIMARY KEY (b, a))",
               "CREATE TABLE nokey (x INT)")
        assert s.psql("\\di").stdout == "public|p_pkey|index|root|p\npublic|t_pkey|index|root|t\n"
        assert s.psql("\\di t*").stdout == "public|t_pkey|index|root|t\n"
        assert s.psql("\\df").stdout == ""  # runnel's functions are all in pg_catalog, which \df leaves out
        assert s.psql("\\df abs").stdout == "pg_catalog|abs|||func\n"
        assert s.psql("\\l").stdout == "dev|root|UTF8|C|C||libc|\n"
        for cmd in ("\\du", "\\dg", "\\du root"):
            out = s.psql(cmd).stdout
            assert out.startswith("root|Superuser"), (cmd, out)
        assert s.psql("\\dT").stdout == ""
        assert s.psql("\\dx").stdout == ""
        assert s.psql("\\dn").stdout == "public|root\n"
        r = s.psql("SET LOCAL statement_timeout = '1s'", "SHOW statement_timeout")
        assert r.stdout == "SET\n0\n", r.stdout
        assert "WARNING:  SET LOCAL can only be used in transaction blocks" in r.stderr, r.stderr
    finally:
        assert s.stop() == 0, s.stderr()


def test_subscribe_through_a_cursor():
    """DECLARE c CURSOR FOR SUBSCRIBE: the contents first, then every change with its operation; a FETCH
    with a timeout waits for the next change without holding other connections up."""
    s = SqlServer()
    try:
        s.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)", "INSERT INTO t VALUES (1, 'a')",
               "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM t")
        out = s.psql("DECLARE c CURSOR FOR SUBSCRIBE mv", "FETCH ALL FROM c", "INSERT INTO t VALUES (2, 'b')",
                     "FETCH 1 FROM c", "FETCH ALL FROM c", "FETCH ALL FROM c WITH (timeout = '0s')",
                     "CLOSE c").stdout.splitlines()
        assert [line.rsplit("|", 1)[0] for line in out if "|" in line] == ["1|Insert", "1|Delete", "2|Insert"], out
        # A waiting FETCH in one connection; a change from another wakes it. The changes repeat until
        # the waiter is done, as it may declare its cursor after the first of them.
        waiter = subprocess.Popen([PSQL, "-X", "-At", "-F", "|", "-h", "127.0.0.1", "-p", str(s.port), "-d", "dev",
                                   "-U", "root", "-c", "DECLARE d CURSOR FOR SUBSCRIBE t", "-c", "FETCH ALL d",
                                   "-c", "FETCH ALL d WITH (timeout = '60s')"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(300):
            if waiter.poll() is not None:
                break
            s.psql("INSERT INTO t VALUES (3, 'c')" if i % 2 == 0 else "DELETE FROM t WHERE id = 3")
        got, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 0, err
        rows = [line.rsplit("|", 1)[0] for line in got.splitlines() if "|" in line]
        assert "1|a|Insert" in rows and "2|b|Insert" in rows, rows
        assert rows[-1] in ("3|c|Insert", "3|c|Delete"), rows
        # Statements after a FETCH that waited, in the same query, are still this connection's while
        # others ran theirs meanwhile.
        waiter = subprocess.Popen([PSQL, "-X", "-At", "-F", "|", "-h", "127.0.0.1", "-p", str(s.port), "-d", "dev",
                                   "-U", "root", "-v", "ON_ERROR_STOP=1", "-c",
                                   "DECLARE e CURSOR FOR SUBSCRIBE mv; FETCH ALL e; "
                                   "FETCH ALL e WITH (timeout = '2s'); CLOSE e"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while waiter.poll() is None:
            s.psql("SELECT 1", "SHOW TABLES")
        out, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 0, (out, err)
        r = s.psql("FETCH ALL FROM nope", check=False, verbose=True)
        assert "34000" in r.stderr or 'cursor "nope" does not exist' in r.stderr, r.stderr
    finally:
        assert s.stop() == 0, s.stderr()


def test_rename_keeps_dependants():
    """ALTER ... RENAME TO: views over the renamed relation keep working (their stored statements are
    rewritten, as PostgreSQL's views follow a rename), with PostgreSQL's SQLSTATEs for what cannot be."""
    s = SqlServer()
    try:
        s.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)", "INSERT INTO t VALUES (1, 'a')",
               "CREATE MATERIALIZED VIEW mv AS SELECT t.name, count(*) AS n FROM t GROUP BY t.name")
        r = s.psql("ALTER TABLE t RENAME TO items", "ALTER MATERIALIZED VIEW mv RENAME TO per_name")
        assert r.stdout.splitlines() == ["ALTER TABLE", "ALTER MATERIALIZED VIEW"], r.stdout
        s.psql("INSERT INTO items VALUES (2, 'a')")
        assert s.psql("SELECT name, n FROM per_name").stdout == "a|2\n"
        assert "FROM items GROUP BY items.name" in s.psql("SHOW CREATE per_name").stdout
        r = s.psql("ALTER TABLE nope RENAME TO x", check=False, verbose=True)
        assert "42P01" in r.stderr, r.stderr
        r = s.psql("ALTER TABLE items RENAME TO per_name", check=False, verbose=True)
        assert "42P07" in r.stderr and 'relation "per_name" already exists' in r.stderr, r.stderr
        assert s.psql("SHOW TABLES").stdout == "items\n"
        # RENAME COLUMN: the view over it reads the renamed column, its own column keeps its name.
        s.psql("ALTER TABLE items RENAME COLUMN name TO label", "INSERT INTO items VALUES (3, 'b')")
        assert s.psql("SELECT name, n FROM per_name ORDER BY name").stdout == "a|2\nb|1\n"
        assert "SELECT items.label AS name, count(*) AS n FROM items GROUP BY items.label" in \
            s.psql("SHOW CREATE per_name").stdout, s.psql("SHOW CREATE per_name").stdout
        s.psql("CREATE MATERIALIZED VIEW starry AS SELECT x.id FROM (SELECT * FROM items) x")
        r = s.psql("ALTER TABLE items RENAME COLUMN id TO ident", check=False, verbose=True)
        assert "0A000" in r.stderr and "starry" in r.stderr, r.stderr
        s.psql("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)", "INSERT INTO notes VALUES (1, 'x')",
               "ALTER TABLE notes RENAME COLUMN body TO text")
        assert s.psql("SELECT id, text FROM notes").stdout == "1|x\n"
        r = s.psql("ALTER TABLE notes RENAME COLUMN text TO id", check=False, verbose=True)
        assert "42701" in r.stderr, r.stderr
        r = s.psql("ALTER TABLE notes RENAME COLUMN nope TO x", check=False, verbose=True)
        assert "42703" in r.stderr, r.stderr
    finally:
        assert s.stop() == 0, s.stderr()


def copy_subscribe(port, sql, lines, timeout=30):
    """Runs `sql` (a COPY (SUBSCRIBE ...) TO STDOUT) in psql until it has printed `lines` lines, then
    ends psql as a user's Ctrl-C or timeout would (the connection closes); returns the lines."""
    # stdbuf: psql writes COPY rows with stdio, which a pipe would buffer by 4 kB (a terminal gets each line).
    p = subprocess.Popen(["stdbuf", "-oL", PSQL, "-X", "-h", "127.0.0.1", "-p", str(port), "-d", "dev", "-U", "root",
                          "-c", sql],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = []
    try:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while len(got) < lines and time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                line = p.stdout.readline()
                if not line:
                    break
                got.append(line.rstrip("\n"))
    finally:
        p.kill()
        p.wait()
    return got, p


def test_copy_subscribe_streams_changes():
    """COPY (SUBSCRIBE ...) TO STDOUT, Materialize's streaming form: the contents, then every change as it
    happens, as COPY rows with op and rw_timestamp; also SUBSCRIBE TO (query) and a cursor over a query.
    psql prints them as they come; the stream ends when the client goes away."""
    s = SqlServer()
    try:
        s.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)", "INSERT INTO t VALUES (1, 'a\tb')")
        done = threading.Event()

        def writer():
            # Changes until the reader has what it waits for (it may subscribe after the first ones).
            for i in range(600):
                if done.is_set():
                    return
                s.psql("INSERT INTO t VALUES (2, NULL)" if i % 2 == 0 else "DELETE FROM t WHERE id = 2")

        w = threading.Thread(target=writer)
        w.start()
        try:
            got, _ = copy_subscribe(s.port, "COPY (SUBSCRIBE t) TO STDOUT", 3)
            q, _ = copy_subscribe(s.port, "SUBSCRIBE TO (SELECT count(*) AS n FROM t WHERE id > 0)", 3)
        finally:
            done.set()
            w.join()
        rows = [line.split("\t") for line in got]
        assert rows[0][:3] == ["1", "a\\tb", "Insert"] and rows[0][3].isdigit(), got
        assert [r[:3] for r in rows[1:3]] in ([["2", "\\N", "Insert"], ["2", "\\N", "Delete"]],
                                              [["2", "\\N", "Delete"], ["2", "\\N", "Insert"]]), got
        # The count's changes: each an old count's Delete and a new one's Insert.
        assert len(q) == 3 and all(line.split("\t")[1] in ("Insert", "Delete") for line in q), q
        out = s.psql("DECLARE c CURSOR FOR SUBSCRIBE (SELECT name FROM t WHERE id = 1)",
                     "FETCH ALL FROM c", "CLOSE c").stdout.splitlines()
        assert [line.split("|")[:2] for line in out if "|" in line] == [["a\tb", "Insert"]], out
        # SUBSCRIBE must end its query string; errors are PostgreSQL's.
        r = s.psql("SUBSCRIBE t; SELECT 1", check=False, verbose=True)
        assert "0A000" in r.stderr, r.stderr
        r = s.psql("COPY (SUBSCRIBE nope) TO STDOUT", check=False, verbose=True)
        assert "42P01" in r.stderr, r.stderr
    finally:
        assert s.stop() == 0, s.stderr()


def test_psql_describes_one_relation():
    """psql's \\d name: the pg_catalog queries psql 15 sends print a table's, a view's and a materialized
    view's columns, types and nullability, and a table's primary key, as PostgreSQL's own \\d would."""
    s = SqlServer()
    try:
        s.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL, score NUMERIC(10,2), at TIMESTAMP)",
               "CREATE VIEW v AS SELECT id, name FROM t",
               "CREATE MATERIALIZED VIEW mv AS SELECT name, count(*) AS n FROM t GROUP BY name")
        assert s.psql("\\d t").stdout == ("id|integer||not null|\nname|text||not null|\n"
                                            "score|numeric(10,2)|||\nat|timestamp without time zone|||\n")
        assert s.psql("\\d v").stdout == "id|integer|||\nname|text|||\n"
        assert s.psql("\\d mv").stdout == "name|text|||\nn|bigint|||\n"
        # Aligned, with its title, as a user sees it.
        r = subprocess.run([PSQL, "-X", "-h", "127.0.0.1", "-p", str(s.port), "-d", "dev", "-U", "root",
                            "-c", "\\d t", "-c", "\\d mv", "-c", "\\d nope"], capture_output=True, text=True, timeout=30)
        assert 'Table "public.t"' in r.stdout and 'Materialized view "public.mv"' in r.stdout, r.stdout
        assert " score  | numeric(10,2)               |           |          | " in r.stdout, r.stdout
        # The primary key in the footer, as PostgreSQL 15 prints its index; none for the view.
        assert 'Indexes:\n    "t_pkey" PRIMARY KEY, btree (id)\n' in r.stdout, r.stdout
        assert r.stdout.count("Indexes:") == 1, r.stdout
        assert 'Did not find any relation named "nope".' in r.stderr, r.stderr
    finally:
        assert s.stop() == 0, s.stderr()


if __name__ == "__main__":
    run([test_views_follow_changes_through_psql, test_errors_carry_sqlstate, test_a_taken_port_is_a_clear_error,
         test_psql_lists_relations, test_psql_meta_commands, test_subscribe_through_a_cursor, test_rename_keeps_dependants,
         test_copy_subscribe_streams_changes, test_psql_describes_one_relation])
