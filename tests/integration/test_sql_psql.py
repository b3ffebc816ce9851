"""`runnel sql` with psql, PostgreSQL's own command-line client: tables,
materialized views kept up to date, one-off queries, errors with their
SQLSTATE, and a clean stop on SIGTERM (src/sql/README.md)."""

import os
import shutil
import signal
import subprocess
import tempfile

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


if __name__ == "__main__":
    run([test_views_follow_changes_through_psql, test_errors_carry_sqlstate, test_a_taken_port_is_a_clear_error,
         test_psql_lists_relations])
