"""psycopg 3 (py/requirements.txt, in the venv scripts/setup makes) against
`runnel sql`: psycopg runs every statement with the extended query protocol
(Parse/Bind/Describe/Execute/Sync), with parameters as text or binary, so
this is what most Python programs connecting to runnel's SQL will do.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python."""

import datetime
import decimal
import threading
import time

import py_venv  # noqa: E402

py_venv.enter(__file__)

import psycopg  # noqa: E402

from harness import run  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402


def connect(s, **kw):
    return psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", connect_timeout=10, **kw)


def fails_cancelled(conn, sql, after=0.5):
    """Runs `sql` (one that waits) on `conn` and cancels it `after` seconds later from another thread:
    it must fail with 57014 well before it would have ended by itself."""
    timer = threading.Timer(after, conn.cancel)
    timer.start()
    started = time.monotonic()
    try:
        conn.execute(sql)
        raise AssertionError("not cancelled: " + sql)
    except psycopg.errors.QueryCanceled as e:
        assert e.sqlstate == "57014", e
    finally:
        timer.join()
    assert time.monotonic() - started < 30, sql


def test_parameters_both_formats_and_transactions():
    s = SqlServer()
    try:
        with connect(s) as conn:  # not autocommit: psycopg sends BEGIN and COMMIT
            conn.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, item TEXT, amount NUMERIC(10,2), "
                         "at TIMESTAMP, ok BOOLEAN)")
            conn.execute("CREATE MATERIALIZED VIEW per_item AS SELECT item, count(*) AS n, sum(amount) AS total "
                         "FROM orders GROUP BY item")
            rows = [(1, "pen", decimal.Decimal("1.50"), datetime.datetime(2024, 3, 15, 10, 0), True),
                    (2, "it's", decimal.Decimal("2.25"), datetime.datetime(2024, 3, 15, 10, 1), False),
                    (3, "pen", decimal.Decimal("3.00"), None, None)]
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO orders VALUES (%s, %s, %s, %s, %s)", rows)
                # Binary parameters and binary results (%b, binary=True).
                cur.execute("SELECT id, item, at, ok FROM orders WHERE id = %b", (2,), binary=True)
                assert cur.fetchall() == [(2, "it's", datetime.datetime(2024, 3, 15, 10, 1), False)]
                cur.execute("SELECT item, n, total FROM per_item WHERE n >= %s ORDER BY item", (1,))
                assert cur.fetchall() == [("it's", 1, decimal.Decimal("2.25")), ("pen", 2, decimal.Decimal("4.50"))]
                assert [d.name for d in cur.description] == ["item", "n", "total"]
            conn.commit()
            # An error rolls back psycopg's transaction state; the connection goes on.
            try:
                conn.execute("SELECT * FROM missing WHERE id = %s", (1,))
                raise AssertionError("no error")
            except psycopg.errors.UndefinedTable as e:
                assert e.sqlstate == "42P01"
            conn.rollback()
            assert conn.execute("SELECT count(*) FROM orders").fetchone() == (3,)
        # Server-side prepared statements (prepare=True) run again and again.
        with connect(s, autocommit=True) as conn:
            for i in range(3):
                got = conn.execute("SELECT item FROM orders WHERE id = %s", (i + 1,), prepare=True).fetchone()
                assert got == (["pen", "it's", "pen"][i],), got
            assert conn.info.parameter_status("server_version").startswith("15")
            # UPDATE with parameters, prepared and binary: SET's parameter
            # takes its column's type (numeric), WHERE's the key's.
            cur = conn.execute("UPDATE orders SET amount = %s, item = %s WHERE id = %s",
                               (decimal.Decimal("9.99"), "ink", 3), prepare=True)
            assert cur.rowcount == 1, cur.rowcount
            cur = conn.execute("UPDATE orders SET amount = amount + %b WHERE item = %b",
                               (decimal.Decimal("1.00"), "pen"), binary=True)
            assert cur.rowcount == 1, cur.rowcount
            got = conn.execute("SELECT item, n, total FROM per_item ORDER BY item").fetchall()
            assert got == [("ink", 1, decimal.Decimal("9.99")), ("it's", 1, decimal.Decimal("2.25")),
                           ("pen", 1, decimal.Decimal("2.50"))], got
    finally:
        assert s.stop() == 0, s.stderr()


def test_cancel_stops_a_waiting_fetch():
    """A CancelRequest (psycopg's conn.cancel(), psql's Ctrl-C) ends a FETCH that waits for changes
    with 57014, and the connection goes on."""
    s = SqlServer()
    try:
        with connect(s, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (id INT)")
            conn.execute("DECLARE c CURSOR FOR SUBSCRIBE t")
            fails_cancelled(conn, "FETCH ALL c WITH (timeout = '60s')")
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
            # A cancel that finds nothing waiting does not cancel what comes next.
            conn.cancel()
            conn.execute("INSERT INTO t VALUES (1)")
            assert conn.execute("FETCH ALL c WITH (timeout = '5s')").fetchall()[0][:2] == (1, "Insert")
    finally:
        assert s.stop() == 0, s.stderr()


def test_copy_subscribe_streams_until_cancelled():
    """cursor.copy("COPY (SUBSCRIBE t) TO STDOUT"): the contents, then each change as another connection
    makes it; conn.cancel() ends the stream with 57014 and the connection goes on."""
    s = SqlServer()
    try:
        with connect(s, autocommit=True) as conn, connect(s, autocommit=True) as other:
            other.execute("CREATE TABLE t (id INT, name TEXT)")
            other.execute("INSERT INTO t VALUES (1, 'a')")
            got = []
            try:
                with conn.cursor() as cur:
                    with cur.copy("COPY (SUBSCRIBE t) TO STDOUT") as copy:
                        got.append(copy.read_row())  # the contents first
                        other.execute("INSERT INTO t VALUES (2, NULL)")
                        got.append(copy.read_row())
                        other.execute("DELETE FROM t WHERE id = 1")
                        got.append(copy.read_row())
                        conn.cancel()
                        for _ in range(1000):
                            if copy.read_row() is None:
                                break
                raise AssertionError("not cancelled")
            except psycopg.errors.QueryCanceled as e:
                assert e.sqlstate == "57014"
            assert [r[:3] for r in got] == [("1", "a", "Insert"), ("2", None, "Insert"), ("1", "a", "Delete")], got
            assert all(int(r[3]) > 1_600_000_000_000 for r in got), got  # rw_timestamp: ms since the epoch
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        assert s.stop() == 0, s.stderr()


def test_stream_subscribe_over_the_extended_protocol():
    """cursor.stream("SUBSCRIBE ...") sends Parse/Bind/Describe/Execute (as Materialize's Python guide
    does): the contents, then each change as a row when another connection makes it, in text and in
    binary, with a parameter; conn.cancel() ends it with 57014 and the connection goes on."""
    s = SqlServer()
    try:
        with connect(s, autocommit=True) as conn, connect(s, autocommit=True) as other:
            other.execute("CREATE TABLE t (id INT, name TEXT)")
            other.execute("INSERT INTO t VALUES (1, 'a'), (3, 'c')")
            for binary, query, args in [(False, "SUBSCRIBE t", None),
                                        (True, "SUBSCRIBE (SELECT * FROM t WHERE id < %s)", [3])]:
                got = []
                try:
                    with conn.cursor(binary=binary) as cur:
                        for row in cur.stream(query, args):
                            if row[0] == 3:  # the whole table's contents hold (3, 'c') too
                                continue
                            got.append(row)
                            if len(got) == 1:
                                other.execute("INSERT INTO t VALUES (2, NULL)")
                            elif len(got) == 2:
                                other.execute("DELETE FROM t WHERE id = 2")
                            elif len(got) == 3:
                                conn.cancel()
                            assert len(got) < 100, got
                    raise AssertionError("not cancelled")
                except psycopg.errors.QueryCanceled as e:
                    assert e.sqlstate == "57014"
                want = [(1, "a", "Insert"), (2, None, "Insert"), (2, None, "Delete")]
                assert [r[:3] for r in got[:3]] == want, (binary, got)
                assert all(isinstance(r[3], int) and r[3] > 1_600_000_000_000 for r in got), got
                assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
    finally:
        assert s.stop() == 0, s.stderr()


def test_drop_ends_a_waiting_fetch():
    """DROP of what a cursor reads, while that cursor's FETCH waits on another connection: the FETCH ends
    with 34000 (the cursor went with the relation), the server goes on serving both connections. The cursor
    over a query's own view is freed by the FETCH that held it, not under it."""
    s = SqlServer()
    try:
        with connect(s, autocommit=True) as conn, connect(s, autocommit=True) as other:
            for declare in ("DECLARE c CURSOR FOR SUBSCRIBE t",
                            "DECLARE c CURSOR FOR SUBSCRIBE (SELECT id, count(*) AS n FROM t GROUP BY id)"):
                other.execute("CREATE TABLE t (id INT, name TEXT)")
                other.execute("INSERT INTO t VALUES (1, 'a')")
                conn.execute(declare)
                assert len(conn.execute("FETCH ALL c").fetchall()) == 1
                outcome = {}

                def wait():
                    try:
                        outcome["rows"] = conn.execute("FETCH ALL c WITH (timeout = '30s')").fetchall()
                    except psycopg.Error as e:
                        outcome["error"] = e
                waiter = threading.Thread(target=wait)
                started = time.monotonic()
                waiter.start()
                time.sleep(0.3)  # the FETCH is waiting (nothing queued); a DROP before it would pass too
                other.execute("DROP TABLE t CASCADE")
                waiter.join(timeout=20)
                assert not waiter.is_alive(), "the FETCH still waits after the DROP"
                assert time.monotonic() - started < 15, "the FETCH ended only at its timeout"
                assert "error" in outcome and outcome["error"].sqlstate == "34000", outcome
                assert conn.execute("SELECT 1").fetchone() == (1,)
                assert other.execute("SELECT 2").fetchone() == (2,)
    finally:
        assert s.stop() == 0, s.stderr()


def test_server_side_cursors_page_through_a_query():
    """psycopg's server-side cursors (conn.cursor(name=...)): DECLARE ... CURSOR FOR SELECT in the
    transaction psycopg opens (ReadyForQuery says 'T'), the cursor described as a portal by its name,
    FETCH FORWARD n page by page (itersize) in text and binary, the rows as they were when it was
    declared, WITH HOLD across a commit, and 25P01 for a cursor without a transaction."""
    s = SqlServer()
    try:
        with connect(s) as conn:
            conn.execute("CREATE TABLE nums (n INT PRIMARY KEY, sq BIGINT, label TEXT)")
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO nums VALUES (%s, %s, %s)",
                                [(i, i * i, "n%d" % i) for i in range(1, 251)])
            conn.commit()
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            with conn.cursor(name="Pages") as cur:
                cur.itersize = 40
                cur.execute("SELECT n, sq, label FROM nums WHERE n > %s ORDER BY n", (10,))
                assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
                assert [d.name for d in cur.description] == ["n", "sq", "label"]
                assert cur.fetchone() == (11, 121, "n11")
                assert cur.fetchmany(3) == [(12, 144, "n12"), (13, 169, "n13"), (14, 196, "n14")]
                # Rows inserted now are not the cursor's: it has the query's rows of its DECLARE.
                conn.execute("INSERT INTO nums VALUES (1000, 1000000, 'late')")
                rest = list(cur)  # FETCH FORWARD 40 until a page comes short
                assert [r[0] for r in rest] == list(range(15, 251)), rest[-3:]
                assert cur.fetchall() == []
            conn.commit()
            with conn.cursor(name="bin", binary=True) as cur:
                cur.execute("SELECT n, label, sq * 2 AS twice, label::char(4) AS code FROM nums "
                            "WHERE n <= %s ORDER BY n DESC", (3,))
                assert cur.fetchall() == [(3, "n3", 18, "n3  "), (2, "n2", 8, "n2  "), (1, "n1", 2, "n1  ")]
            conn.commit()
            # varchar(n) and char(n) as PostgreSQL sends them: their own OIDs, char padded.
            cur = conn.execute("SELECT 'abcdef'::varchar(3) AS v, 'ab'::char(4) AS c")
            assert cur.fetchone() == ("abc", "ab  ")
            assert [d.type_code for d in cur.description] == [1043, 1042], cur.description
            conn.commit()
            # A cursor whose DECLARE failed: closing it asks pg_cursors (runnel's block is not
            # aborted by the error, as PostgreSQL's would be), and the first error is the one seen.
            try:
                with conn.cursor(name="broken") as cur:
                    cur.execute("SELECT * FROM missing")
                raise AssertionError("no error")
            except psycopg.errors.UndefinedTable as e:
                assert e.sqlstate == "42P01" and '"missing"' in str(e), e
            conn.rollback()
            held = conn.cursor(name="held", withhold=True)
            held.execute("SELECT count(*), max(n) FROM nums")
            conn.commit()  # a WITH HOLD cursor outlives it
            assert held.fetchone() == (251, 1000)
            held.close()
            conn.commit()
        with connect(s, autocommit=True) as conn:
            cur = conn.cursor(name="outside")
            try:
                cur.execute("SELECT 1")
                raise AssertionError("no error")
            except psycopg.errors.NoActiveSqlTransaction as e:
                assert e.sqlstate == "25P01", e
            cur.close()
            # With a transaction of its own, the same cursor works.
            with conn.transaction():
                with conn.cursor(name="inside") as cur:
                    cur.execute("SELECT label FROM nums WHERE n IN (1, 2) ORDER BY n")
                    assert cur.fetchall() == [("n1",), ("n2",)]
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        assert s.stop() == 0, s.stderr()


# A one-off query that alone runs for about a minute: 400 million joined rows, each multiplied and
# summed (two 20,000-row tables, each arriving at the join as one piece).
LONG_QUERY = "SELECT count(*), sum(x * y) FROM a, b"


def make_cross_join_tables(conn):
    conn.execute("CREATE TABLE a (x BIGINT)")
    conn.execute("CREATE TABLE b (y BIGINT)")
    conn.execute("CREATE TABLE c (n BIGINT)")
    conn.execute("INSERT INTO a SELECT * FROM generate_series(1, 20000)")
    conn.execute("INSERT INTO b SELECT * FROM generate_series(1, 20000)")


def cancel_until_done(conn, sql):
    """Runs `sql` on `conn` in a thread and cancels it (conn.cancel(), a CancelRequest on its own
    connection) every 100 ms until it ends: a cancel that arrives before the statement starts is
    forgotten, as PostgreSQL's is. Returns the exception and the seconds from the last cancel sent
    to the end."""
    out = {}

    def runner():
        try:
            conn.execute(sql)
        except Exception as e:  # noqa: BLE001 — what the test checks
            out["error"] = e
        out["ended"] = time.monotonic()

    t = threading.Thread(target=runner)
    t.start()
    last = time.monotonic()
    deadline = last + 30  # the statement alone runs for about a minute
    while t.is_alive() and time.monotonic() < deadline:
        last = time.monotonic()
        conn.cancel()
        t.join(0.1)
    t.join(60)
    assert not t.is_alive(), "the statement was not cancelled"
    return out.get("error"), out["ended"] - last


def test_cancel_and_statement_timeout_stop_a_long_query():
    """conn.cancel() of a long one-off SELECT (a cross join under an aggregate) and of an INSERT ...
    SELECT: 57014 within a second of the cancel, the connection answers SELECT 1 at once and the table
    is as before. statement_timeout, SET or given at connect (options=-c ...), stops them too."""
    s = SqlServer()
    try:
        with connect(s, autocommit=True) as conn:
            make_cross_join_tables(conn)
            for sql in (LONG_QUERY, "INSERT INTO c SELECT x * y FROM a, b"):
                started = time.monotonic()
                err, after_cancel = cancel_until_done(conn, sql)
                assert isinstance(err, psycopg.errors.QueryCanceled), (sql, err)
                assert err.sqlstate == "57014" and "due to user request" in str(err), err
                assert after_cancel < 1.0, (sql, after_cancel)
                assert time.monotonic() - started < 10, sql
                assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.execute("SELECT count(*) FROM c").fetchone() == (0,)
            # statement_timeout: SET (a string with a unit, or milliseconds), SHOW, RESET.
            conn.execute("SET statement_timeout = '1s'")
            assert conn.execute("SHOW statement_timeout").fetchone() == ("1s",)
            for sql in (LONG_QUERY, "INSERT INTO c SELECT x * y FROM a, b",
                        "CREATE MATERIALIZED VIEW v AS SELECT count(*), sum(x * y) FROM a, b"):
                started = time.monotonic()
                try:
                    conn.execute(sql)
                    raise AssertionError("no timeout: " + sql)
                except psycopg.errors.QueryCanceled as e:
                    assert e.sqlstate == "57014" and "statement timeout" in str(e), e
                took = time.monotonic() - started
                assert 1.0 <= took < 5, (sql, took)
            assert conn.execute("SELECT count(*) FROM c").fetchone() == (0,)
            try:
                conn.execute("SELECT * FROM v")
                raise AssertionError("the cancelled view exists")
            except psycopg.errors.UndefinedTable:
                pass
            conn.execute("SET statement_timeout = 250")
            assert conn.execute("SHOW statement_timeout").fetchone() == ("250ms",)
            conn.execute("RESET statement_timeout")
            assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)
            try:
                conn.execute("SET statement_timeout = 'soon'")
                raise AssertionError("no error")
            except psycopg.errors.InvalidParameterValue as e:
                assert e.sqlstate == "22023", e
        # At connect, as libpq sends it (PGOPTIONS, options=...).
        with connect(s, autocommit=True, options="-c statement_timeout=500") as conn:
            assert conn.execute("SHOW statement_timeout").fetchone() == ("500ms",)
            started = time.monotonic()
            try:
                conn.execute(LONG_QUERY)
                raise AssertionError("no timeout")
            except psycopg.errors.QueryCanceled as e:
                assert "statement timeout" in str(e), e
            assert 0.5 <= time.monotonic() - started < 5
            assert conn.execute("SELECT count(*) FROM a").fetchone() == (20000,)
    finally:
        assert s.stop() == 0, s.stderr()


if __name__ == "__main__":
    run([test_parameters_both_formats_and_transactions, test_cancel_stops_a_waiting_fetch,
         test_copy_subscribe_streams_until_cancelled, test_stream_subscribe_over_the_extended_protocol,
         test_server_side_cursors_page_through_a_query, test_cancel_and_statement_timeout_stop_a_long_query,
         test_drop_ends_a_waiting_fetch])
