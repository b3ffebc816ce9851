"""Streaming SQL over Kafka topics (docs/sql/README.md, "Kafka sources and
sinks"): a real broker, `runnel sql --brokers` pointed at it, psql for the
statements, and runnel's own producer and consumer on the topics. JSON
records flow from a topic through a source into a materialized view and
out through a sink to another topic; an upsert table follows a keyed topic,
tombstones included; bad records are skipped without stopping the source."""

import datetime
import json
import socket
import subprocess
import tempfile
import time

from harness import BINARY, Broker, run, wait_until
from test_sql_psql import PSQL, SqlServer, psql


def cli(broker, *args, stdin=None):
    r = subprocess.run([BINARY, *args, "-b", broker.bootstrap], input=stdin, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def produce(broker, topic, lines, key_sep=None, null_empty=False):
    args = ["produce", topic, "-q"]
    if key_sep:
        args += ["-K", key_sep]
    if null_empty:
        args += ["-Z"]
    cli(broker, *args, stdin="".join(line + "\n" for line in lines))


def latest_by_key(broker, topic):
    """The topic as a compacted topic would keep it: key -> last value (None: a tombstone)."""
    out = cli(broker, "consume", topic, "-o", "beginning", "-e", "--format", "json")
    latest = {}
    for line in out.splitlines():
        m = json.loads(line)
        latest[m["key"]] = m["value"]
    return latest


def values(broker, topic):
    out = cli(broker, "consume", topic, "-o", "beginning", "-e", "--format", "json")
    return [json.loads(line)["value"] for line in out.splitlines()]


def rows(s, query):
    return s.psql(query).stdout


def stats(s, name):
    """The SHOW STATS line of one relation, split."""
    for line in rows(s, "SHOW STATS").splitlines():
        if line.split("|")[0] == name:
            return line.split("|")
    return []


def test_source_view_and_sinks():
    with Broker(BINARY) as b:
        for t in ["clicks", "visits_out", "big_clicks"]:
            cli(b, "topic", "create", t, "--partitions", "3")
        produce(b, "clicks", [
            '{"user_id": 1, "page": "/home", "ts": "2024-03-15 10:00:00"}',
            '{"user_id": 2, "page": "/home", "ts": "2024-03-15 10:00:01", "extra": [1, 2]}',
            'not json at all',
            '{"user_id": "x", "page": "/bad"}',
            '{"user_id": 3, "page": "/about"}',
        ])
        s = SqlServer("--brokers", b.bootstrap)
        try:
            s.psql("CREATE SOURCE clicks (user_id INT, page TEXT, ts TIMESTAMP, "
                   "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) INCLUDE partition AS part "
                   "WITH (connector = 'kafka', topic = 'clicks', scan.startup.mode = 'earliest') "
                   "FORMAT PLAIN ENCODE JSON",
                   "CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n FROM clicks GROUP BY page",
                   "CREATE MATERIALIZED VIEW per_minute AS SELECT window_start, count(*) AS n "
                   "FROM TUMBLE(clicks, ts, INTERVAL '1' MINUTE) GROUP BY window_start EMIT ON WINDOW CLOSE")
            wait_until(lambda: rows(s, "SELECT page, n FROM visits ORDER BY page") == "/about|1\n/home|2\n",
                       what="the view over the topic")
            # The INCLUDEd partition is there for every row.
            assert rows(s, "SELECT count(*) FROM clicks WHERE part IN ('0', '1', '2')") == "3\n"
            # An updating view cannot go to an append-only sink...
            r = s.psql("CREATE SINK bad FROM visits WITH (connector = 'kafka', topic = 'visits_out')",
                       check=False, verbose=True)
            assert r.returncode != 0 and "append-only sink" in r.stderr, r.stderr
            # ... but to an upsert one, keyed by the view's GROUP BY key.
            s.psql("CREATE SINK visits_sink FROM visits WITH (connector = 'kafka', topic = 'visits_out') "
                   "FORMAT UPSERT ENCODE JSON",
                   "CREATE SINK big AS SELECT user_id, page FROM clicks WHERE user_id >= 2 "
                   "WITH (connector = 'kafka', topic = 'big_clicks') FORMAT PLAIN ENCODE JSON")
            want = {'{"page":"/about"}': '{"page":"/about","n":1}', '{"page":"/home"}': '{"page":"/home","n":2}'}
            wait_until(lambda: latest_by_key(b, "visits_out") == want, what="the upsert sink's first contents")
            # The window of 10:00 is still open: the watermark is 10:00:01 - 5 s.
            assert rows(s, "SELECT * FROM per_minute") == ""
            produce(b, "clicks", ['{"user_id": 4, "page": "/home", "ts": "2024-03-15 10:02:00"}',
                                  '{"user_id": 5, "page": "/new"}'])
            # Now it is 10:01:55: the window closed and came out once, final.
            wait_until(lambda: rows(s, "SELECT * FROM per_minute") == "2024-03-15 10:00:00|2\n",
                       what="the window closed by the watermark")
            want['{"page":"/home"}'] = '{"page":"/home","n":3}'
            want['{"page":"/new"}'] = '{"page":"/new","n":1}'
            wait_until(lambda: latest_by_key(b, "visits_out") == want, what="the upsert sink following")
            wait_until(lambda: sorted(values(b, "big_clicks")) == sorted(
                ['{"user_id":2,"page":"/home"}', '{"user_id":3,"page":"/about"}', '{"user_id":4,"page":"/home"}',
                 '{"user_id":5,"page":"/new"}']), what="the append-only sink")
            # Dropping stops the source and the sinks; the process keeps serving.
            s.psql("DROP SINK visits_sink", "DROP SINK big", "DROP SOURCE clicks CASCADE")
            assert rows(s, "SHOW SOURCES") == ""
            assert "skipped the record" in s.stderr()
        finally:
            assert s.stop() == 0, s.stderr()


def test_upsert_table_follows_keys_and_tombstones():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "users", "--partitions", "2")
        s = SqlServer("--brokers", b.bootstrap)
        try:
            s.psql("CREATE TABLE users (id INT PRIMARY KEY, name TEXT, score NUMERIC, tags JSONB) "
                   "WITH (connector = 'kafka', topic = 'users') FORMAT UPSERT ENCODE JSON",
                   "CREATE MATERIALIZED VIEW total AS SELECT count(*) AS n, sum(score) AS s FROM users")
            produce(b, "users", [
                '1|{"id": 1, "name": "ann", "score": 10.25, "tags": {"b": 1, "a": [true]}}',
                '2|{"id": 2, "name": "bob", "score": 12345678901234567890.5}',
                '1|{"id": 1, "name": "ann", "score": 1.75}',
            ], key_sep="|")
            wait_until(lambda: rows(s, "SELECT id, name, score FROM users ORDER BY id") ==
                       "1|ann|1.75\n2|bob|12345678901234567890.5\n", what="the upsert table")
            assert rows(s, "SELECT n, s FROM total") == "2|12345678901234567892.25\n"
            # A tombstone deletes the row its key names.
            produce(b, "users", ["2|"], key_sep="|", null_empty=True)
            wait_until(lambda: rows(s, "SELECT id FROM users") == "1\n", what="the tombstone")
            assert rows(s, "SELECT n, s FROM total") == "1|1.75\n"
            # A table over a topic takes no INSERT: the topic is its only writer.
            r = s.psql("INSERT INTO users VALUES (3, 'x', 1, NULL)", check=False)
            assert r.returncode != 0
        finally:
            assert s.stop() == 0, s.stderr()


def test_clear_errors():
    with Broker(BINARY) as b:
        s = SqlServer("--brokers", b.bootstrap)
        try:
            r = s.psql("CREATE SOURCE nope (a INT) WITH (connector = 'kafka', topic = 'no_such_topic')",
                       check=False, verbose=True)
            assert r.returncode != 0 and 'Kafka source on topic "no_such_topic"' in r.stderr, r.stderr
            r = s.psql("CREATE SOURCE x (a INT) WITH (connector = 'kafka', topic = 't', colour = 'red')",
                       check=False, verbose=True)
            assert r.returncode != 0 and 'unknown option "colour"' in r.stderr, r.stderr
            r = s.psql("CREATE SOURCE x (a INT) WITH (connector = 'kafka', topic = 't') FORMAT PLAIN ENCODE AVRO",
                       check=False, verbose=True)
            assert r.returncode != 0 and "ENCODE avro is not supported" in r.stderr, r.stderr
            r = s.psql("CREATE SOURCE x (a INT) WITH (connector = 'kafka', topic = 't') FORMAT PLAIN ENCODE BYTES",
                       check=False, verbose=True)
            assert r.returncode != 0 and "one bytea column" in r.stderr, r.stderr
            assert rows(s, "SHOW SOURCES") == ""
        finally:
            assert s.stop() == 0, s.stderr()


def test_catalog_survives_a_crash():
    """--catalog-topic: after kill -9, a new process re-creates every source, view and sink from
    the catalog, each source from the offsets it first started at (not its startup mode again)."""
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "orders", "--partitions", "2")
        cli(b, "topic", "create", "per_item_out", "--partitions", "1")
        produce(b, "orders", ['{"item": "old", "qty": 100}'] * 3)  # before the source: never read
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog")
        s = SqlServer(*args)
        try:
            s.psql("CREATE TABLE notes (id INT PRIMARY KEY, text TEXT)",
                   "CREATE SOURCE orders (item TEXT, qty INT) WITH (connector = 'kafka', topic = 'orders', "
                   "scan.startup.mode = 'latest')",
                   "CREATE MATERIALIZED VIEW per_item AS SELECT item, sum(qty) AS qty FROM orders GROUP BY item",
                   "CREATE MATERIALIZED VIEW gone AS SELECT count(*) FROM orders",
                   "CREATE SINK per_item_sink FROM per_item WITH (connector = 'kafka', topic = 'per_item_out') "
                   "FORMAT UPSERT ENCODE JSON",
                   "DROP MATERIALIZED VIEW gone")
            produce(b, "orders", ['{"item": "pen", "qty": 1}', '{"item": "ink", "qty": 2}',
                                  '{"item": "pen", "qty": 3}'])
            wait_until(lambda: rows(s, "SELECT * FROM per_item ORDER BY item") == "ink|2\npen|4\n",
                       what="the view before the crash")
        finally:
            s.proc.kill()
            s.proc.wait()
        s = SqlServer(*args)
        try:
            assert rows(s, "SHOW SOURCES") == "orders\n"
            assert rows(s, "SHOW MATERIALIZED VIEWS") == "per_item\n"  # the dropped one stays dropped
            assert rows(s, "SHOW TABLES") == "notes\n"
            # The same input as before: from where the source first started, not 'latest' again.
            wait_until(lambda: rows(s, "SELECT * FROM per_item ORDER BY item") == "ink|2\npen|4\n",
                       what="the view after the restart")
            produce(b, "orders", ['{"item": "pen", "qty": 5}'])
            wait_until(lambda: rows(s, "SELECT * FROM per_item ORDER BY item") == "ink|2\npen|9\n",
                       what="the view going on")
            wait_until(lambda: latest_by_key(b, "per_item_out") == {
                '{"item":"ink"}': '{"item":"ink","qty":2}', '{"item":"pen"}': '{"item":"pen","qty":9}'},
                what="the sink going on")
            s.psql("DROP SINK per_item_sink", "DROP SOURCE orders CASCADE")
        finally:
            assert s.stop() == 0, s.stderr()
        # What was dropped is gone for the next process too.
        s = SqlServer(*args)
        try:
            assert rows(s, "SHOW SOURCES") == "" and rows(s, "SHOW SINKS") == ""
            assert rows(s, "SHOW TABLES") == "notes\n"
        finally:
            assert s.stop() == 0, s.stderr()


def test_csv_bytes_and_headers():
    """ENCODE CSV (a header naming the columns in its own order, or none with another delimiter), ENCODE
    BYTES, INCLUDE header 'name' varchar and INCLUDE headers; bad CSV records are skipped and counted; a
    sink writes CSV values."""
    with Broker(BINARY) as b:
        for t in ["people_in", "pipes_in", "raw_in", "people_out"]:
            cli(b, "topic", "create", t, "--partitions", "1")
        produce(b, "people_in", ["name,score,id", "ann,1.5,1", '"b, ""c""",,2', "bad,1,x", "short,3"])
        produce(b, "pipes_in", ["p|7", "q|"])
        cli(b, "produce", "raw_in", "-q", "-H", "trace=abc", "-H", "n=1", stdin="hello\n")
        s = SqlServer("--brokers", b.bootstrap)
        try:
            s.psql("CREATE SOURCE people (id INT, name TEXT, score NUMERIC) "
                   "WITH (connector = 'kafka', topic = 'people_in') FORMAT PLAIN ENCODE CSV",
                   "CREATE SOURCE pipes (name TEXT, id INT) WITH (connector = 'kafka', topic = 'pipes_in') "
                   "FORMAT PLAIN ENCODE CSV (delimiter = '|', without_header = 'true')",
                   "CREATE SOURCE raw (payload BYTEA) INCLUDE header 'trace' varchar AS trace INCLUDE headers AS hs "
                   "WITH (connector = 'kafka', topic = 'raw_in') FORMAT PLAIN ENCODE BYTES",
                   "CREATE SINK people_sink AS SELECT id, name, score FROM people "
                   "WITH (connector = 'kafka', topic = 'people_out') FORMAT PLAIN ENCODE CSV")
            wait_until(lambda: rows(s, "SELECT id, name, score FROM people ORDER BY id") ==
                       '1|ann|1.5\n2|b, "c"|\n', what="the CSV source")
            # Rows, State Bytes, Records Read, Bad Records: the header is read, not a row; two are bad.
            wait_until(lambda: stats(s, "people")[2:6] == ["2", "0", "5", "2"], what="two bad CSV records counted")
            wait_until(lambda: rows(s, "SELECT name, id FROM pipes ORDER BY name") == "p|7\nq|\n",
                       what="the CSV source without a header")
            wait_until(lambda: rows(s, "SELECT payload, trace, hs FROM raw") ==
                       '\\x68656c6c6f|abc|[{"key": "trace", "value": "abc"}, {"key": "n", "value": "1"}]\n',
                       what="the BYTES source with its headers")
            wait_until(lambda: sorted(values(b, "people_out")) == ['1,ann,1.5', '2,"b, ""c""",'],
                       what="the CSV sink")
            assert "skipped the record" in s.stderr()
            # psql's \\d of a source: a foreign table on server kafka, its topic as an option.
            r = subprocess.run([PSQL, "-X", "-h", "127.0.0.1", "-p", str(s.port), "-d", "dev", "-U", "root",
                                "-c", "\\d raw"], capture_output=True, text=True, timeout=30)
            assert 'Foreign table "public.raw"' in r.stdout and " payload | bytea " in r.stdout, r.stdout
            assert " hs      | jsonb " in r.stdout and "FDW options: (topic 'raw_in')" in r.stdout, r.stdout
        finally:
            assert s.stop() == 0, s.stderr()


def test_rename_survives_a_restart():
    """ALTER ... RENAME TO is durable: after a kill -9 the catalog re-creates the relations under their new
    names, the views over them resume from their committed state (their stored statements were rewritten,
    markers included), and they go on following the topic."""
    with Broker(BINARY) as b, tempfile.TemporaryDirectory() as state:
        cli(b, "topic", "create", "orders", "--partitions", "2")
        cli(b, "topic", "create", "per_item_out", "--partitions", "1")
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state)
        s = SqlServer(*args)
        try:
            s.psql("CREATE TABLE notes (id INT PRIMARY KEY, text TEXT)", "INSERT INTO notes VALUES (1, 'x')",
                   "CREATE SOURCE orders (item TEXT, qty INT) WITH (connector = 'kafka', topic = 'orders')",
                   "CREATE MATERIALIZED VIEW per_item AS SELECT orders.item, sum(qty) AS qty FROM orders GROUP BY item",
                   "CREATE SINK per_item_sink FROM per_item WITH (connector = 'kafka', topic = 'per_item_out') "
                   "FORMAT UPSERT ENCODE JSON")
            produce(b, "orders", ['{"item": "pen", "qty": 1}', '{"item": "ink", "qty": 2}'])
            wait_until(lambda: rows(s, "SELECT * FROM per_item ORDER BY item") == "ink|2\npen|1\n",
                       what="the view before the renames")
            s.psql("ALTER SOURCE orders RENAME TO purchases", "ALTER MATERIALIZED VIEW per_item RENAME TO totals",
                   "ALTER TABLE notes RENAME TO memos", "ALTER SINK per_item_sink RENAME TO totals_sink",
                   "ALTER TABLE memos RENAME COLUMN text TO body")
            produce(b, "orders", ['{"item": "pen", "qty": 3}'])
            wait_until(lambda: rows(s, "SELECT * FROM totals ORDER BY item") == "ink|2\npen|4\n",
                       what="the renamed view following")
            # The sink's records delivered before the kill: a commit does not wait for them (an
            # in-flight record at a kill -9 is not written again after the restart).
            wait_until(lambda: latest_by_key(b, "per_item_out") == {
                '{"item":"ink"}': '{"item":"ink","qty":2}', '{"item":"pen"}': '{"item":"pen","qty":4}'},
                what="the renamed sink following")
            s.psql("FLUSH")
        finally:
            s.proc.kill()
            s.proc.wait()
        s = SqlServer(*args)
        try:
            assert rows(s, "SHOW SOURCES") == "purchases\n"
            assert rows(s, "SHOW MATERIALIZED VIEWS") == "totals\n"
            assert rows(s, "SHOW SINKS") == "totals_sink|kafka|per_item_out|RUNNING|\n", rows(s, "SHOW SINKS")
            assert rows(s, "SHOW TABLES") == "memos\n", s.stderr()
            assert rows(s, "SELECT id, body FROM memos") == "1|x\n"
            assert "FROM purchases GROUP BY" in rows(s, "SHOW CREATE totals")
            assert rows(s, "SELECT * FROM totals ORDER BY item") == "ink|2\npen|4\n"
            produce(b, "orders", ['{"item": "ink", "qty": 5}'])
            wait_until(lambda: rows(s, "SELECT * FROM totals ORDER BY item") == "ink|7\npen|4\n",
                       what="the view after the restart")
            wait_until(lambda: latest_by_key(b, "per_item_out") == {
                '{"item":"ink"}': '{"item":"ink","qty":7}', '{"item":"pen"}': '{"item":"pen","qty":4}'},
                what="the renamed sink going on")
            assert "is recomputed" not in s.stderr(), s.stderr()
        finally:
            assert s.stop() == 0, s.stderr()


def test_serve_hosts_sql_over_its_own_topics():
    """`runnel serve --sql-listen`: SQL in the broker process, reading its topics."""
    with Broker(BINARY, settings={"sql.listen": "127.0.0.1:0"}) as b:
        assert b.sql_port, "no 'runnel: sql on' line"
        cli(b, "topic", "create", "events", "--partitions", "1")
        produce(b, "events", ['{"app": "a", "level": "error"}', '{"app": "a", "level": "info"}',
                              '{"app": "b", "level": "error"}', '{"app": "a", "level": "error"}'])
        psql(b.sql_port, "CREATE SOURCE events (app TEXT, level TEXT) WITH (connector = 'kafka', topic = 'events')",
             "CREATE MATERIALIZED VIEW errors AS SELECT app, count(*) AS n FROM events WHERE level = 'error' "
             "GROUP BY app")
        wait_until(lambda: psql(b.sql_port, "SELECT app, n FROM errors ORDER BY app").stdout == "a|2\nb|1\n",
                   what="the view inside serve")
        # A clean stop with a source running; the catalog is in the broker's own topic, so SQL
        # comes back with it.
        assert b.stop() == 0, b.tail()
        b.start()
        assert psql(b.sql_port, "SHOW SOURCES").stdout == "events\n"
        wait_until(lambda: psql(b.sql_port, "SELECT app, n FROM errors ORDER BY app").stdout == "a|2\nb|1\n",
                   what="the view after the broker's restart")


def test_flush_waits_for_sources():
    """FLUSH returns once every source has read its topic to where it ended:
    a script's SELECT after it sees every record produced before, with no
    polling; a source at the end of its topic, an empty one and bad records
    at the tail do not hold it up."""
    with Broker(BINARY) as b:
        for t in ["flushed", "empty", "later"]:
            cli(b, "topic", "create", t, "--partitions", "3")
        produce(b, "flushed", ['{"k": %d}' % i for i in range(200000)])
        produce(b, "later", ['{"k": 1}'])
        s = SqlServer("--brokers", b.bootstrap)
        try:
            out = s.psql("CREATE SOURCE flushed (k INT) WITH (connector = 'kafka', topic = 'flushed') "
                         "FORMAT PLAIN ENCODE JSON",
                         "CREATE SOURCE empty (k INT) WITH (connector = 'kafka', topic = 'empty') "
                         "FORMAT PLAIN ENCODE JSON",
                         "CREATE SOURCE later (k INT) WITH (connector = 'kafka', topic = 'later', "
                         "scan.startup.mode = 'latest') FORMAT PLAIN ENCODE JSON",
                         "CREATE MATERIALIZED VIEW n AS SELECT count(*) AS n, sum(k) AS s FROM flushed",
                         "FLUSH", "SELECT n, s FROM n").stdout
            assert out.splitlines()[-1] == "200000|%d" % sum(range(200000)), out
            produce(b, "flushed", ['{"k": %d}' % i for i in range(200000, 200500)] + ["not json"])
            out = s.psql("FLUSH", "SELECT n FROM n").stdout
            assert out.splitlines()[-1] == "200500", out
            # A topic written in a transaction ends with its commit marker,
            # which no record is: FLUSH goes by the consumer's position, which
            # moves past it.
            from confluent_kafka import Producer
            cli(b, "topic", "create", "txed", "--partitions", "2")
            p = Producer({"bootstrap.servers": b.bootstrap, "transactional.id": "flush-test"})
            p.init_transactions()
            p.begin_transaction()
            for i in range(10):
                p.produce("txed", key=str(i), value='{"k": %d}' % i)
            p.commit_transaction()
            t0 = time.monotonic()
            out = s.psql("CREATE SOURCE txed (k INT) WITH (connector = 'kafka', topic = 'txed') "
                         "FORMAT PLAIN ENCODE JSON",
                         "CREATE MATERIALIZED VIEW txed_n AS SELECT count(*) AS n FROM txed",
                         "FLUSH", "SELECT n FROM txed_n").stdout
            assert out.splitlines()[-1] == "10", out
            assert time.monotonic() - t0 < 8, "FLUSH waited for the commit marker"
        finally:
            assert s.stop() == 0, s.stderr()


def test_serve_sql_listen_errors():
    """`runnel serve` serves SQL on 127.0.0.1:4566 unless told otherwise: a bad
    --sql-listen and a port already taken are start-up errors naming the flag."""
    with tempfile.TemporaryDirectory(prefix="runnel-sql-listen-") as d:
        sql_listen_errors(d)


def sql_listen_errors(d):
    base = [BINARY, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--connect-listen", "off"]
    help_text = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "127.0.0.1:4566" in help_text, help_text
    r = subprocess.run(base + ["--data-dir", d + "/a", "--sql-listen", "nonsense"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "--sql-listen expects HOST:PORT or off" in r.stderr, r
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(base + ["--data-dir", d + "/b", "--sql-listen", "127.0.0.1:%d" % port],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, r
        assert "cannot start SQL on 127.0.0.1:%d" % port in r.stderr and "--sql-listen off" in r.stderr, r


def test_windows_over_an_interval_join_close():
    """A join passes a watermark downstream: TUMBLE ... EMIT ON WINDOW CLOSE over an interval join emits each
    window once both sources' watermarks have passed it, and the join's and the windows' state goes with
    them (SHOW STATS)."""
    base = datetime.datetime(2024, 3, 15, 10, 0, 0)

    def ts(sec):
        return (base + datetime.timedelta(seconds=sec)).strftime("%Y-%m-%d %H:%M:%S")

    def rounds(lo, hi):
        orders = ['{"id": %d, "ts": "%s"}' % (i, ts(i)) for i in range(lo, hi)]
        ships = ['{"order_id": %d, "ts": "%s"}' % (i, ts(i + i % 5)) for i in range(lo, hi)]
        return orders, ships

    def windows(upto):
        """window_start -> shipments of orders below `upto` in it."""
        n = {}
        for i in range(upto):
            w = (i + i % 5) // 10 * 10
            n[ts(w)] = n.get(ts(w), 0) + 1
        return n

    with Broker(BINARY) as b:
        for t in ["wj_orders", "wj_ships"]:
            cli(b, "topic", "create", t, "--partitions", "1")
        s = SqlServer("--brokers", b.bootstrap)
        try:
            s.psql("CREATE SOURCE orders (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
                   "WITH (connector = 'kafka', topic = 'wj_orders', scan.startup.mode = 'earliest')",
                   "CREATE SOURCE ships (order_id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
                   "WITH (connector = 'kafka', topic = 'wj_ships', scan.startup.mode = 'earliest')",
                   "CREATE MATERIALIZED VIEW shipped_per_10s AS WITH j AS (SELECT o.id, s.ts FROM orders o "
                   "JOIN ships s ON o.id = s.order_id AND s.ts BETWEEN o.ts AND o.ts + INTERVAL '10' SECOND) "
                   "SELECT window_start, count(*) AS n FROM TUMBLE(j, ts, INTERVAL '10' SECOND) "
                   "GROUP BY window_start EMIT ON WINDOW CLOSE")
            closed = lambda: dict(line.split("|") for line in rows(s, "SELECT * FROM shipped_per_10s").splitlines())
            orders, ships = rounds(0, 300)
            produce(b, "wj_orders", orders)
            # Only the orders' watermark moved: nothing can close, and the join keeps every order.
            wait_until(lambda: stats(s, "orders")[2] == "300", what="the orders read")
            assert closed() == {}
            before = int(stats(s, "shipped_per_10s")[3])
            produce(b, "wj_ships", ships)
            # Watermarks 298 s (orders: in order, 1 s allowed) and 298 s (shipments: up to 4 s out of order,
            # 5 s allowed, so none is late whatever batches they arrive in): the windows before 290 s have closed.
            want = {w: str(n) for w, n in windows(300).items() if w < ts(290)}
            wait_until(lambda: closed() == want, what="the windows the watermarks passed")
            # The orders no shipment at or after 298 s can match are gone.
            mid = int(stats(s, "shipped_per_10s")[3])
            assert 0 < mid and mid * 5 < before, (before, mid)
            orders, ships = rounds(1000, 1001)
            produce(b, "wj_orders", orders)
            produce(b, "wj_ships", ships)
            want = {w: str(n) for w, n in windows(300).items()}
            wait_until(lambda: closed() == want, what="every window of the first rows")
            # Left: the last order and shipment, and the open window of 1000 s.
            after = int(stats(s, "shipped_per_10s")[3])
            assert after * 5 < before, (before, mid, after)
            st = stats(s, "shipped_per_10s")
            assert st[6:8] == ["0", "0"], st  # no row errors, no late rows
        finally:
            assert s.stop() == 0, s.stderr()


def test_rename_column_survives_a_restart():
    """ALTER ... RENAME COLUMN of a table that views read, of a plain view, of a materialized view and of a
    source (which goes on decoding the field it decoded): the views go on reading the renamed columns under their own names, and after a kill -9 the catalog's
    rewritten statements re-create the same relations, which resume from their committed state."""
    with Broker(BINARY) as b, tempfile.TemporaryDirectory() as state:
        cli(b, "topic", "create", "rc_orders", "--partitions", "1")
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state)
        s = SqlServer(*args)
        try:
            s.psql("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)",
                   "INSERT INTO notes VALUES (1, 'x'), (2, 'y'), (3, 'x')",
                   "CREATE VIEW pv AS SELECT id, body FROM notes WHERE id > 1",
                   "CREATE MATERIALIZED VIEW per_body AS SELECT body, count(*) AS n FROM pv GROUP BY body",
                   "CREATE MATERIALIZED VIEW bodies AS SELECT notes.body, id FROM notes",
                   "CREATE SOURCE orders (item TEXT, qty INT) WITH (connector = 'kafka', topic = 'rc_orders', "
                   "scan.startup.mode = 'earliest')",
                   "CREATE MATERIALIZED VIEW per_item AS SELECT item, sum(qty) AS total FROM orders GROUP BY item",
                   "CREATE MATERIALIZED VIEW big AS SELECT item FROM per_item WHERE total > 2")
            produce(b, "rc_orders", ['{"item": "pen", "qty": 1}', '{"item": "ink", "qty": 5}'])
            wait_until(lambda: rows(s, "SELECT * FROM per_item ORDER BY item") == "ink|5\npen|1\n",
                       what="the view over the source")
            s.psql("ALTER TABLE notes RENAME COLUMN body TO text", "ALTER VIEW pv RENAME COLUMN body TO note",
                   "ALTER MATERIALIZED VIEW per_item RENAME COLUMN total TO qty")
            # A source's column goes on reading its field; the view over it follows.
            s.psql("ALTER SOURCE orders RENAME COLUMN qty TO amount")
            assert rows(s, "SHOW CREATE per_item") == "per_item|CREATE MATERIALIZED VIEW per_item (item, qty) AS " \
                "SELECT item, sum(amount) AS total FROM orders GROUP BY item\n", rows(s, "SHOW CREATE per_item")
            s.psql("CREATE SOURCE ticks (n INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
                   "WITH (connector = 'kafka', topic = 'rc_orders')")
            r = s.psql("ALTER SOURCE ticks RENAME COLUMN ts TO at", check=False, verbose=True)
            assert "0A000" in r.stderr and "WATERMARK" in r.stderr, r.stderr
            s.psql("INSERT INTO notes VALUES (4, 'y')")
            produce(b, "rc_orders", ['{"item": "pen", "qty": 2}'])
            wait_until(lambda: rows(s, "SELECT item, qty FROM per_item ORDER BY item") == "ink|5\npen|3\n",
                       what="the renamed view following")
            assert rows(s, "SELECT * FROM per_body ORDER BY body") == "x|1\ny|2\n"
            assert rows(s, "SELECT id, note FROM pv ORDER BY id") == "2|y\n3|x\n4|y\n"
            s.psql("FLUSH")
        finally:
            s.proc.kill()
            s.proc.wait()
        s = SqlServer(*args)
        try:
            assert rows(s, "SHOW CREATE notes") == "notes|CREATE TABLE notes (id INT PRIMARY KEY, text TEXT)\n"
            assert rows(s, "SHOW CREATE pv") == \
                "pv|CREATE VIEW pv (id, note) AS SELECT id, text AS body FROM notes WHERE id > 1\n"
            assert rows(s, "SHOW CREATE per_body") == "per_body|CREATE MATERIALIZED VIEW per_body AS " \
                "SELECT note AS body, count(*) AS n FROM pv GROUP BY note\n", rows(s, "SHOW CREATE per_body")
            assert rows(s, "SHOW CREATE big") == \
                "big|CREATE MATERIALIZED VIEW big AS SELECT item FROM per_item WHERE qty > 2\n"
            assert "(item TEXT, amount INT OPTIONS (column_name 'qty'))" in rows(s, "SHOW CREATE orders")
            assert rows(s, "SELECT item, amount FROM orders ORDER BY item, amount") == "ink|5\npen|1\npen|2\n"
            assert rows(s, "SELECT id, text FROM notes ORDER BY id") == "1|x\n2|y\n3|x\n4|y\n"
            assert rows(s, "SELECT * FROM per_body ORDER BY body") == "x|1\ny|2\n"
            assert rows(s, "SELECT body, id FROM bodies ORDER BY id") == "x|1\ny|2\nx|3\ny|4\n"
            assert rows(s, "SELECT item, qty FROM per_item ORDER BY item") == "ink|5\npen|3\n"
            assert rows(s, "SELECT * FROM big ORDER BY item") == "ink\npen\n"
            s.psql("INSERT INTO notes VALUES (5, 'z')")
            produce(b, "rc_orders", ['{"item": "pen", "qty": 4}'])
            wait_until(lambda: rows(s, "SELECT item, qty FROM per_item ORDER BY item") == "ink|5\npen|7\n",
                       what="the renamed view after the restart")
            assert rows(s, "SELECT * FROM per_body ORDER BY body") == "x|1\ny|2\nz|1\n"
            assert "is recomputed" not in s.stderr(), s.stderr()
        finally:
            assert s.stop() == 0, s.stderr()


if __name__ == "__main__":
    run([test_source_view_and_sinks, test_upsert_table_follows_keys_and_tombstones, test_clear_errors,
         test_catalog_survives_a_crash, test_csv_bytes_and_headers, test_rename_survives_a_restart,
         test_serve_hosts_sql_over_its_own_topics, test_flush_waits_for_sources,
         test_serve_sql_listen_errors, test_windows_over_an_interval_join_close,
         test_rename_column_survives_a_restart])
