"""Subscriptions through a `runnel sql --share` process that does not run their relation (docs/sql/README.md,
"Running several SQL processes"): a real broker, two SQL processes of one catalog, psycopg as the client
(the extended protocol for cursors, COPY out for SUBSCRIBE). DECLARE ... CURSOR FOR SUBSCRIBE, FETCH (with
and without a timeout), CLOSE and COPY (SUBSCRIBE ...) TO STDOUT sent to the process that does not run the
table are forwarded to its owner and relayed; a cancel reaches the owner's waiting FETCH; when the owner is
stopped (SIGSTOP past the session timeout) and its pipeline moves, the waiting FETCH ends with 57P03 once it
resumes (it learns it was out of the group and restarts what it ran), never stalls; a kill -9 of the owner
ends a forwarded FETCH with 57P03 at once. ALTER ... RENAME sent to any process runs at the leader and shows
in every process.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's python (psycopg)."""

import signal
import subprocess
import threading
import time

import py_venv  # noqa: E402

py_venv.enter(__file__)

import psycopg  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_psql import PSQL, SqlServer  # noqa: E402
from test_sql_psycopg import fails_cancelled  # noqa: E402
from test_sql_share import answer, leader_and_other, owner, processes, write  # noqa: E402


def connect(s):
    return psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", connect_timeout=10,
                           autocommit=True)


def retrying(conn, sql, timeout=30):
    """Runs `sql` again while it fails with 57P03 (the group is placing the relation)."""
    def once():
        try:
            conn.execute(sql)
            return True
        except psycopg.errors.CannotConnectNow:
            return False
    wait_until(once, timeout=timeout, what=sql)


def test_subscribe_through_another_process():
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b:
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_share_cursors", "--share",
                "--session-timeout-ms", "6000")
        procs = [SqlServer(*args) for _ in range(2)]
        started = time.monotonic()
        try:
            wait_until(lambda: all(v is not None and len(v) == 2 for v in (processes(p) for p in procs)),
                       timeout=30, what="two members")
            procs[0].psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)")
            write(procs[1], "INSERT INTO t VALUES (1, 'a')")
            own = owner(procs, "t")
            other = [p for p in procs if p is not own][0]
            assert "t" not in [line.split("|")[0] for line in other.psql("SHOW STATS").stdout.splitlines()]

            with connect(other) as conn, connect(other) as writer:
                # A cursor declared on the process that does not run t: its FETCHes are the owner's.
                retrying(conn, "DECLARE c CURSOR FOR SUBSCRIBE t")
                rows = conn.execute("FETCH ALL FROM c").fetchall()
                assert [r[:3] for r in rows] == [(1, "a", "Insert")], rows
                assert rows[0][3] > 1_600_000_000_000, rows  # rw_timestamp: ms since the epoch
                write(other, "INSERT INTO t VALUES (2, 'b')")
                rows = conn.execute("FETCH ALL FROM c WITH (timeout = '10s')").fetchall()
                assert [r[:3] for r in rows] == [(2, "b", "Insert")], rows
                assert conn.execute("FETCH ALL FROM c WITH (timeout = '0s')").fetchall() == []
                # A subscription to a query over it, and a duplicate name.
                conn.execute("DECLARE q CURSOR FOR SUBSCRIBE (SELECT count(*) AS n FROM t)")
                assert conn.execute("FETCH ALL FROM q").fetchall()[0][:2] == (2, "Insert")
                try:
                    conn.execute("DECLARE q CURSOR FOR SUBSCRIBE t")
                    raise AssertionError("no error")
                except psycopg.errors.DuplicateCursor:
                    pass
                # A FETCH without a timeout waits at the owner; a change from another connection wakes it.
                got = []
                fetcher = threading.Thread(target=lambda: got.append(conn.execute("FETCH 1 FROM c").fetchall()))
                fetcher.start()
                time.sleep(0.3)  # let it start waiting (the change below would do either way)
                writer.execute("DELETE FROM t WHERE id = 1")
                fetcher.join(timeout=30)
                assert not fetcher.is_alive() and [r[:3] for r in got[0]] == [(1, "a", "Delete")], got

                # Cancel reaches the waiting FETCH at the owner: 57014, and the connection goes on.
                fails_cancelled(conn, "FETCH ALL c WITH (timeout = '60s')")
                writer.execute("INSERT INTO t VALUES (3, 'c')")
                rows = conn.execute("FETCH ALL c WITH (timeout = '10s')").fetchall()
                assert [r[:3] for r in rows] == [(3, "c", "Insert")], rows
                conn.execute("CLOSE c")
                try:
                    conn.execute("FETCH ALL FROM c")
                    raise AssertionError("no error")
                except psycopg.errors.InvalidCursorName:
                    pass
                conn.execute("CLOSE q")

                # COPY (SUBSCRIBE t) TO STDOUT through the other process: streamed, and cancelled.
                got = []
                try:
                    with conn.cursor() as cur:
                        with cur.copy("COPY (SUBSCRIBE t) TO STDOUT") as copy:
                            got.append(copy.read_row())
                            got.append(copy.read_row())
                            writer.execute("INSERT INTO t VALUES (4, NULL)")
                            got.append(copy.read_row())
                            conn.cancel()
                            for _ in range(1000):
                                if copy.read_row() is None:
                                    break
                    raise AssertionError("not cancelled")
                except psycopg.errors.QueryCanceled as e:
                    assert e.sqlstate == "57014"
                assert sorted(r[:3] for r in got[:2]) == [("2", "b", "Insert"), ("3", "c", "Insert")], got
                assert got[2][:3] == ("4", None, "Insert"), got
                assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)

                # The owner stops (SIGSTOP) past the session timeout: the group moves t here. A FETCH
                # forwarded to it waits there; when it resumes it finds t gone and the FETCH ends with
                # 57P03 (never a stream that silently stalls).
                conn.execute("DECLARE m CURSOR FOR SUBSCRIBE t")
                assert len(conn.execute("FETCH ALL FROM m").fetchall()) == 3
                outcome = []

                def wait_fetch():
                    try:
                        outcome.append(conn.execute("FETCH ALL m").fetchall())
                    except psycopg.Error as e:
                        outcome.append(e)

                fetcher = threading.Thread(target=wait_fetch)
                fetcher.start()
                time.sleep(0.3)
                own.proc.send_signal(signal.SIGSTOP)
                try:
                    wait_until(lambda: (processes(other) or {}).keys() == {"127.0.0.1:%d" % other.port} and
                               "t" in processes(other)["127.0.0.1:%d" % other.port], timeout=45,
                               what="t moved while its owner is stopped")
                finally:
                    own.proc.send_signal(signal.SIGCONT)
                fetcher.join(timeout=45)
                assert not fetcher.is_alive(), "the forwarded FETCH stalled"
                assert isinstance(outcome[0], psycopg.errors.CannotConnectNow), outcome
                # Declared again, it runs here now: every row.
                conn.execute("CLOSE m")
                retrying(conn, "DECLARE m CURSOR FOR SUBSCRIBE t")
                rows = conn.execute("FETCH ALL FROM m").fetchall()
                assert sorted(r[0] for r in rows) == [2, 3, 4], rows

            # Back in the group, the stopped process may get t again (its member id sorts first) or not;
            # a client of whichever does not run it subscribes through the owner, and a kill -9 of the owner
            # ends the forwarded FETCH with 57P03 at once.
            wait_until(lambda: processes(own) is not None and len(processes(own)) == 2, timeout=45,
                       what="the stopped process back in the group")
            victim = owner(procs, "t")
            survivor = [p for p in procs if p is not victim][0]
            with connect(survivor) as conn:
                retrying(conn, "DECLARE k CURSOR FOR SUBSCRIBE t")
                assert len(conn.execute("FETCH ALL FROM k").fetchall()) == 3
                timer = threading.Timer(0.5, victim.proc.kill)
                timer.start()
                t0 = time.monotonic()
                try:
                    conn.execute("FETCH ALL k WITH (timeout = '60s')")
                    raise AssertionError("no error")
                except psycopg.errors.CannotConnectNow:
                    pass
                finally:
                    timer.join()
                assert time.monotonic() - t0 < 20
            victim.proc.wait()
            print("whole test %.1f s" % (time.monotonic() - started))
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    p.proc.send_signal(signal.SIGCONT)
                    rc = p.stop()
                    assert rc == 0, (rc, p.stderr())


def test_rename_through_the_leader():
    """ALTER ... RENAME under --share: sent to any process, run by the group's leader (which alone writes the
    catalog), followed by every process: the new name everywhere, the old one gone, views over it still
    maintained (in whichever process runs them), SHOW CREATE rewritten; errors keep their SQLSTATE."""
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b:
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_share_rename", "--share",
                "--session-timeout-ms", "6000")
        procs = [SqlServer(*args) for _ in range(2)]
        try:
            leader, follower = leader_and_other(procs)
            leader.psql("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)",
                        "CREATE MATERIALIZED VIEW mv AS SELECT t.name, count(*) AS n FROM t GROUP BY t.name")
            write(follower, "INSERT INTO t VALUES (1, 'a')")
            # Sent to the process that is not the leader: forwarded, and shown there before it returns.
            r = follower.psql("ALTER TABLE t RENAME TO items", "ALTER MATERIALIZED VIEW mv RENAME TO per_name",
                              "SHOW TABLES", "SHOW MATERIALIZED VIEWS")
            assert r.stdout.splitlines() == ["ALTER TABLE", "ALTER MATERIALIZED VIEW", "items", "per_name"], r.stdout
            for p in procs:
                wait_until(lambda: p.psql("SHOW TABLES").stdout == "items\n" and
                           p.psql("SHOW MATERIALIZED VIEWS").stdout == "per_name\n", what="the new names")
                assert "FROM items GROUP BY items.name" in p.psql("SHOW CREATE per_name").stdout
                r = p.psql("SELECT * FROM t", check=False, verbose=True)
                assert r.returncode != 0 and "42P01" in r.stderr, r.stderr
            for i, p in enumerate(procs):
                write(p, "INSERT INTO items VALUES (%d, 'a')" % (i + 2))
            for p in procs:
                wait_until(lambda: p.psql("SELECT name, n FROM per_name", check=False).stdout == "a|3\n",
                           what="the view over the renamed table")
                assert p.psql("SELECT id FROM items ORDER BY id").stdout == "1\n2\n3\n"
            # A name taken, from either process: 42P07; RENAME COLUMN is refused under --share.
            for p in procs:
                r = p.psql("ALTER TABLE items RENAME TO per_name", check=False, verbose=True)
                assert r.returncode != 0 and "42P07" in r.stderr, r.stderr
                r = p.psql("ALTER TABLE items RENAME COLUMN name TO label", check=False, verbose=True)
                assert r.returncode != 0 and "0A000" in r.stderr, r.stderr
            # A process that starts now reads the renamed catalog.
            procs.append(SqlServer(*args))
            wait_until(lambda: procs[2].psql("SELECT name, n FROM per_name", check=False).stdout == "a|3\n",
                       timeout=30, what="the renamed view on a new process")
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    rc = p.stop()
                    assert rc == 0, (rc, p.stderr())


def test_cut_off_leader_is_fenced():
    """A leader paused (SIGSTOP) past the session timeout is replaced; statements that reach it as it resumes
    (psql connected while it was stopped) — DDL, and an INSERT into the table it ran — fail with 57P03 and a
    clear message instead of writing the catalog or the table's topic after its successor took over; no
    process shows them; once it has rejoined, DDL sent to it works again."""
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b:
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_share_fence", "--share",
                "--session-timeout-ms", "6000")
        procs = [SqlServer(*args) for _ in range(2)]
        try:
            leader, other = leader_and_other(procs)
            leader.psql("CREATE TABLE a (id INT)", "CREATE TABLE b (id INT)")
            owners = {name: owner(procs, name) for name in ("a", "b")}
            assert set(owners.values()) == set(procs), owners  # balanced: one table each
            mine = [n for n, p in owners.items() if p is leader][0]
            write(other, "INSERT INTO %s VALUES (1)" % mine)

            leader.proc.send_signal(signal.SIGSTOP)
            try:
                me = "127.0.0.1:%d" % other.port
                wait_until(lambda: (processes(other) or {}).keys() == {me} and
                           {"a", "b"} <= processes(other)[me], timeout=45, what="the other process takes over")
                late = [subprocess.Popen([PSQL, "-X", "-At", "-h", "127.0.0.1", "-p", str(leader.port), "-d", "dev",
                                          "-U", "root", "-v", "VERBOSITY=verbose", "-c", sql],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                        for sql in ("CREATE TABLE stale (id INT)", "INSERT INTO %s VALUES (99)" % mine)]
            finally:
                leader.proc.send_signal(signal.SIGCONT)
            for p in late:
                out, err = p.communicate(timeout=30)
                assert p.returncode != 0 and "57P03" in err and "has not heard from its group" in err, (out, err)
            # Back in the group: no process has what the cut-off leader was asked to write.
            wait_until(lambda: all(v is not None and len(v) == 2 and None not in v
                                   for v in (processes(p) for p in procs)), timeout=45, what="two members again")
            for p in procs:
                assert sorted(p.psql("SHOW TABLES").stdout.split()) == ["a", "b"], p.psql("SHOW TABLES").stdout
                wait_until(lambda: answer(p, "SELECT id FROM %s" % mine) == "1\n", what="no row 99")
            write(leader, "CREATE TABLE fresh (id INT)")
            for p in procs:
                wait_until(lambda: "fresh" in p.psql("SHOW TABLES").stdout.split(), what="DDL after the rejoin")
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    p.proc.send_signal(signal.SIGCONT)
                    rc = p.stop()
                    assert rc == 0, (rc, p.stderr())


if __name__ == "__main__":
    run([test_subscribe_through_another_process, test_rename_through_the_leader, test_cut_off_leader_is_fenced])
