"""The JDBC sink (Confluent's JdbcSinkConnector config) through `runnel
connect run` into a real PostgreSQL 15 (db_servers.py): upsert by the
record key with the table created and then evolved from the records'
schemas, deletes on tombstones — the table compared row by row with what
the records say — exactly-once: kill -9 of the worker in the middle of
a topic of plain INSERTs, restarted, leaves exactly one row per record
(the consumed offsets are committed in the same transaction as the rows);
and the round trip table A → CDC (Debezium's config) → topic →
ExtractNewRecordState → upsert/delete sink → table B: after a random
workload, B equals A row by row.

ctest runs: /usr/bin/python3 test_jdbc_sink.py PATH/TO/runnel
"""

import base64
import json
import os
import random
import signal
import subprocess
import tempfile

from db_servers import PostgresServer
from harness import BINARY, Broker, Connect, run, wait_until
from test_jdbc_source import write_connector, write_worker

KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [
    {"field": "id", "type": "int32", "optional": False}]}


def value_schema(extra=False):
    fields = [{"field": "id", "type": "int32", "optional": False},
              {"field": "name", "type": "string", "optional": True},
              {"field": "amount", "type": "bytes", "optional": True,
               "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
               "parameters": {"scale": "2"}},
              {"field": "day", "type": "int32", "optional": True,
               "name": "org.apache.kafka.connect.data.Date", "version": 1}]
    if extra:
        fields.append({"field": "note", "type": "string", "optional": True})
    return {"type": "struct", "optional": False, "name": "order", "fields": fields}


def line(i, name, cents=None, note=None, tombstone=False):
    """One `runnel produce -K '|' -Z` line: JsonConverter envelopes."""
    key = json.dumps({"schema": KEY_SCHEMA, "payload": {"id": i}})
    if tombstone:
        return key + "|"
    payload = {"id": i, "name": name, "day": 20425,
               "amount": None if cents is None else base64.b64encode(
                   cents.to_bytes(4, "big", signed=True)).decode()}
    if note is not None:
        payload["note"] = note
    return key + "|" + json.dumps({"schema": value_schema(note is not None),
                                   "payload": payload})


def produce(broker, topic, lines):
    r = subprocess.run([BINARY, "produce", topic, "--brokers", broker.bootstrap, "-K", "|",
                        "-Z"], input=("\n".join(lines) + "\n").encode(), capture_output=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")


def test_upsert_auto_create_evolve_and_delete():
    d = tempfile.mkdtemp(prefix="runnel-jdbcsink-")
    with PostgresServer() as pg, Broker(BINARY) as b:
        run_cli = [BINARY, "topic", "create", "orders", "--brokers", b.bootstrap,
                   "--partitions", "2"]
        subprocess.run(run_cli, check=True, capture_output=True, timeout=60)
        worker = write_worker(d, b)
        conf = write_connector(d, "jdbc-sink", {
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "tasks.max": "1",
            "topics": "orders",
            "connection.url": pg.jdbc_url,
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "pk.fields": "id",
            "auto.create": "true",
            "auto.evolve": "true",
            "delete.enabled": "true"})
        c = Connect(["-w", worker, conf], os.path.join(d, "connect.log"))
        try:
            expected = {}
            lines = []
            for i in range(1, 101):
                lines.append(line(i, "n%d" % i, cents=i * 150 - 7000))
                expected[i] = ("n%d" % i, "%.2f" % ((i * 150 - 7000) / 100.0), None)
            for i in range(1, 101, 3):  # updates
                lines.append(line(i, "u%d" % i, cents=None))
                expected[i] = ("u%d" % i, None, None)
            for i in range(2, 101, 10):  # deletes
                lines.append(line(i, None, tombstone=True))
                expected.pop(i)
            lines.append(line(7, "with-note", cents=1, note="evolved"))
            expected[7] = ("with-note", "0.01", "evolved")
            produce(b, "orders", lines)

            def table():
                try:
                    rows = pg.execute("SELECT id, coalesce(name, '<null>'), "
                                      "coalesce(amount::text, '<null>'), "
                                      "coalesce(note, '<null>'), day::text FROM orders")
                except RuntimeError:
                    return None  # not created yet, or the column not yet added
                return {int(r[0]): (None if r[1] == "<null>" else r[1],
                                    None if r[2] == "<null>" else r[2],
                                    None if r[3] == "<null>" else r[3], r[4]) for r in rows}
            want = {k: v + ("2025-12-03",) for k, v in expected.items()}
            got = wait_until(lambda: (lambda t: t if t == want else None)(table()), 60,
                             what="the table to equal the records")
            assert got == want
            pk = pg.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                            "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                            "WHERE i.indrelid = 'orders'::regclass AND i.indisprimary")
            assert pk == [["id"]], pk
        finally:
            rc = c.stop()
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_exactly_once_insert_with_kill9():
    d = tempfile.mkdtemp(prefix="runnel-jdbcsink-")
    total = 30000
    with PostgresServer() as pg, Broker(BINARY) as b:
        subprocess.run([BINARY, "topic", "create", "events", "--brokers", b.bootstrap,
                        "--partitions", "3"], check=True, capture_output=True, timeout=60)
        produce(b, "events", [line(i, "e%d" % i, cents=i) for i in range(total)])
        pg.execute("CREATE TABLE events (id integer NOT NULL, name text, amount numeric, "
                   "day date)")
        worker = write_worker(d, b)
        conf = write_connector(d, "jdbc-eo", {
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": "events",
            "connection.url": pg.jdbc_url,
            "insert.mode": "insert"})
        log = os.path.join(d, "connect.log")

        def count():
            return int(pg.execute("SELECT count(*) FROM events")[0][0])
        c = Connect(["-w", worker, conf], log)
        try:
            wait_until(lambda: count() > 1000, 60, what="rows before the kill")
            c.stop(signal.SIGKILL)
            at_kill = count()
            assert at_kill < total, "the kill came after the last row (%d)" % at_kill
            c = Connect(["-w", worker, conf], log)
            wait_until(lambda: count() >= total, 120, what="every row")
            rows = pg.execute("SELECT count(*), count(DISTINCT id) FROM events")
            assert rows == [[str(total), str(total)]], (rows, at_kill)
            stored = pg.execute("SELECT sum(next_offset) FROM runnel_connect_offsets "
                                "WHERE connector = 'jdbc-eo'")
            assert stored == [[str(total)]], stored
        finally:
            rc = c.stop()
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
        # After a clean restart, only new records are written.
        c = Connect(["-w", worker, conf], log)
        try:
            produce(b, "events", [line(i, "late", cents=i) for i in range(total, total + 5)])
            wait_until(lambda: count() >= total + 5, 60, what="the new rows")
            assert count() == total + 5
        finally:
            c.stop()


def test_cdc_round_trip_table_a_to_table_b():
    d = tempfile.mkdtemp(prefix="runnel-jdbcsink-")
    rng = random.Random(14)
    with PostgresServer() as pg, Broker(BINARY) as b:
        pg.execute("CREATE TABLE a (id integer PRIMARY KEY, name text, amount numeric(10,2), "
                   "at timestamptz); INSERT INTO a SELECT g, 'seed' || g, g * 1.25, "
                   "'2026-12-03 08:00:00+00'::timestamptz + g * interval '1 second' "
                   "FROM generate_series(1, 50) g")
        worker = write_worker(d, b)
        source = write_connector(d, "a-cdc", {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": "127.0.0.1", "database.port": str(pg.port),
            "database.user": "postgres", "database.dbname": "postgres",
            "topic.prefix": "rt", "table.include.list": "public.a",
            "status.update.interval.ms": "500"})
        sink = write_connector(d, "b-sink", {
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": "rt.public.a",
            "connection.url": pg.jdbc_url,
            "transforms": "unwrap",
            "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "table.name.format": "b",
            "insert.mode": "upsert", "pk.mode": "record_key",
            "delete.enabled": "true", "auto.create": "true"})
        c = Connect(["-w", worker, source, sink], os.path.join(d, "connect.log"))
        try:
            ids = set(range(1, 51))
            for step in range(300):
                op = rng.random()
                if op < 0.35 or not ids:
                    i = rng.randint(51, 400)
                    pg.execute("INSERT INTO a VALUES (%d, 'n%d', %d.%02d, now()) "
                               "ON CONFLICT (id) DO NOTHING" % (i, step, rng.randint(-999, 999),
                                                               rng.randint(0, 99)))
                    ids.add(i)
                elif op < 0.75:
                    i = rng.choice(sorted(ids))
                    pg.execute("UPDATE a SET name = %s, amount = amount + 1 WHERE id = %d"
                               % ("NULL" if rng.random() < 0.2 else "'u%d'" % step, i))
                elif op < 0.95:
                    i = rng.choice(sorted(ids))
                    pg.execute("DELETE FROM a WHERE id = %d" % i)
                    ids.discard(i)
                else:  # a primary-key change: delete + create downstream
                    i = rng.choice(sorted(ids))
                    j = 1000 + step
                    pg.execute("UPDATE a SET id = %d WHERE id = %d" % (j, i))
                    ids.discard(i)
                    ids.add(j)
            q = "SELECT id, name, amount::text, at FROM %s ORDER BY id"
            want = pg.execute(q % "a")

            def same():
                try:
                    return pg.execute(q % "b") == want
                except RuntimeError:
                    return False  # b not created yet
            wait_until(same, 120, what="table b to equal table a")
            assert len(want) > 50, len(want)
        finally:
            rc = c.stop()
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


if __name__ == "__main__":
    run([test_upsert_auto_create_evolve_and_delete, test_exactly_once_insert_with_kill9,
         test_cdc_round_trip_table_a_to_table_b])
