"""The query-based JDBC source (Confluent's JdbcSourceConnector config,
unchanged) through `runnel connect run` against a real broker and a real
PostgreSQL 15 (db_servers.py): types mapped, records keyed by the primary
key, and the safe high-water mark — a transaction that commits after a
later one is not skipped (incrementing and timestamp modes), a group of
equal timestamps larger than a batch is read whole — and kill -9 of the
worker in the middle of a workload: every row arrives.

Transactions are held open with a psql process fed on stdin; "the source
has polled since" is read from pg_stat_activity (the task's session,
application_name runnel-connect), never from a fixed sleep.

ctest runs: /usr/bin/python3 test_jdbc_source.py PATH/TO/runnel
"""

import base64
import json
import os
import signal
import subprocess
import tempfile
import threading

from db_servers import PostgresServer
from harness import BINARY, Broker, Connect, run, wait_until
from test_postgres_connect_run import consume


class OpenTransaction:
    """A psql session whose transaction stays open until commit()."""

    def __init__(self, pg, sql, app="runnel-test-open"):
        self.pg = pg
        self.app = app
        env = dict(os.environ, PGAPPNAME=app)
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                                      "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d",
                                      "postgres"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.proc.stdin.write(("BEGIN;\n%s;\n" % sql).encode())
        self.proc.stdin.flush()
        wait_until(lambda: pg.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                      "application_name = '%s' AND state = 'idle in transaction' "
                                      "AND backend_xid IS NOT NULL" % app) == [["1"]],
                   30, what="the open transaction's write")

    def commit(self):
        self.proc.stdin.write(b"COMMIT;\n")
        self.proc.stdin.close()
        rc = self.proc.wait(30)
        assert rc == 0, self.proc.stderr.read().decode(errors="replace")


def wait_for_a_read_after_now(pg):
    """Waits until the source task has run a read (SELECT t.* …) that began
    after this moment and finished."""
    now = pg.execute("SELECT clock_timestamp()")[0][0]
    wait_until(lambda: pg.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                  "application_name = 'runnel-connect' AND state = 'idle' AND "
                                  "query LIKE 'SELECT t.*%%' AND query_start > '%s'" % now)
               != [["0"]], 60, what="a read by the source task")


def write_worker(d, broker):
    worker = os.path.join(d, "worker.properties")
    with open(worker, "w") as f:
        f.write("bootstrap.servers=%s\n"
                "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "offset.storage.file.filename=%s\n"
                "offset.flush.interval.ms=300\n" % (broker.bootstrap,
                                                   os.path.join(d, "connect.offsets")))
    return worker


def write_connector(d, name, config):
    path = os.path.join(d, name + ".json")
    with open(path, "w") as f:
        json.dump({"name": name, "config": config}, f)
    return path


def values(broker, topic):
    return [(k["payload"] if k else None, v["payload"], v["schema"])
            for k, v, _ in consume(broker, topic) if v]


def test_confluent_config_incrementing_types_and_out_of_order_commit():
    d = tempfile.mkdtemp(prefix="runnel-jdbc-")
    with PostgresServer() as pg, Broker(BINARY) as b:
        pg.execute("CREATE TABLE foobar (foobar_pk serial PRIMARY KEY, name text NOT NULL, "
                   "price numeric(10,2), seen timestamptz, raw bytea, doc jsonb, tags int[]);"
                   "INSERT INTO foobar (name, price, seen, raw, doc, tags) VALUES ('a', 12.50, "
                   "'2026-12-03 08:00:00.5+00', '\\x00ff', '{\"k\": 1}', '{1,2}')")
        worker = write_worker(d, b)
        # Confluent's quickstart config; only the URL is ours.
        conf = write_connector(d, "jdbc-source", {
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "tasks.max": "1",
            "connection.url": pg.jdbc_url + "&password=",
            "table.whitelist": "foobar",
            "mode": "incrementing",
            "incrementing.column.name": "foobar_pk",
            "topic.prefix": "test-postgres-jdbc-",
            "poll.interval.ms": "200"})
        c = Connect(["-w", worker, conf], os.path.join(d, "connect.log"))
        topic = "test-postgres-jdbc-foobar"
        try:
            recs = wait_until(lambda: values(b, topic), 60, what="the first row")
            key, v, schema = recs[0]
            assert key == {"foobar_pk": 1}, key
            assert schema["name"] == "foobar", schema
            assert v["name"] == "a" and v["foobar_pk"] == 1, v
            # numeric(10,2): Decimal, the unscaled 1250 big-endian, base64.
            assert base64.b64decode(v["price"]) == (1250).to_bytes(2, "big"), v["price"]
            assert v["seen"] == "2026-12-03T08:00:00.5Z", v["seen"]
            assert base64.b64decode(v["raw"]) == b"\x00\xff", v["raw"]
            assert json.loads(v["doc"]) == {"k": 1} and v["tags"] == [1, 2], v
            fields = {f["field"]: f for f in schema["fields"]}
            assert fields["name"]["optional"] is False and fields["price"]["optional"] is True
            assert fields["price"]["name"] == "org.apache.kafka.connect.data.Decimal"

            # Out of order: id 2 is taken by a transaction that commits after
            # the one that takes id 3. Largest-seen-value would skip 2.
            t1 = OpenTransaction(pg, "INSERT INTO foobar (name) VALUES ('slow')")
            pg.execute("INSERT INTO foobar (name) VALUES ('fast')")
            wait_for_a_read_after_now(pg)
            ids = [v["foobar_pk"] for _, v, _ in values(b, topic)]
            assert ids == [1], "id 3 passed before id 2 committed: %s" % ids
            t1.commit()
            recs = wait_until(lambda: (lambda r: r if len(r) >= 3 else None)(values(b, topic)),
                              60, what="ids 2 and 3")
            assert [(v["foobar_pk"], v["name"]) for _, v, _ in recs] == \
                [(1, "a"), (2, "slow"), (3, "fast")], recs
        finally:
            rc = c.stop()
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_timestamp_mode_late_commit_equal_timestamps_and_kill9():
    d = tempfile.mkdtemp(prefix="runnel-jdbc-")
    with PostgresServer() as pg, Broker(BINARY) as b:
        pg.execute("CREATE TABLE events (id bigserial PRIMARY KEY, "
                   "ts timestamptz NOT NULL DEFAULT now(), v text)")
        worker = write_worker(d, b)
        conf = write_connector(d, "jdbc-ts", {
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": pg.jdbc_url,
            "table.whitelist": "public.events",
            "mode": "timestamp",
            "timestamp.column.name": "ts",
            "topic.prefix": "pg.",
            "batch.max.rows": "50",
            "poll.interval.ms": "200"})
        log = os.path.join(d, "connect.log")
        c = Connect(["-w", worker, conf], log)
        topic = "pg.events"
        try:
            # A transaction stamps its row with its start time (now()) and
            # commits after another that wrote 120 rows with one later
            # timestamp: a batch of 50 cannot cut that group, and the early
            # row is not skipped.
            t1 = OpenTransaction(pg, "INSERT INTO events (v) VALUES ('early')")
            pg.execute("INSERT INTO events (v) SELECT 'group' FROM generate_series(1, 120)")
            wait_for_a_read_after_now(pg)
            assert values(b, topic) == [], "rows passed while an older transaction ran"
            t1.commit()
            recs = wait_until(lambda: (lambda r: r if len(r) >= 121 else None)(values(b, topic)),
                              60, what="121 rows")
            assert len(recs) == 121, len(recs)
            assert recs[0][1]["v"] == "early", recs[0]
            assert sorted(v["id"] for _, v, _ in recs) == list(range(1, 122))

            # A workload of 30-row statements (30 equal timestamps each), and
            # kill -9 of the worker in the middle of it.
            stop = threading.Event()
            written = []

            def workload():
                n = 0
                while not stop.is_set() and n < 200:
                    rows = pg.execute("INSERT INTO events (v) SELECT 'w' FROM "
                                      "generate_series(1, 30) RETURNING id")
                    written.extend(int(r[0]) for r in rows)
                    n += 1
            t = threading.Thread(target=workload)
            t.start()
            try:
                wait_until(lambda: len(values(b, topic)) > 121 + 200, 60, what="workload rows")
                c.stop(signal.SIGKILL)
                c = Connect(["-w", worker, conf], log)
                wait_until(lambda: len(written) > 900, 120, what="more workload")
            finally:
                stop.set()
                t.join(120)
            want = set(range(1, 122)) | set(written)

            def all_there():
                got = {v["id"] for _, v, _ in values(b, topic)}
                return got if want <= got else None
            wait_until(all_there, 120, what="every row after the restart")
        finally:
            rc = c.stop()
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


if __name__ == "__main__":
    run([test_confluent_config_incrementing_types_and_out_of_order_commit,
         test_timestamp_mode_late_commit_equal_timestamps_and_kill9])
