"""The PostgreSQL CDC source connector (io.debezium.connector.postgresql.
PostgresConnector, src/connect/postgres) against a real PostgreSQL 15
(db_servers.py), driven as the Connect runtime drives a source task by
tests/integration/db/pg_connector_probe: records fsynced to a file stand for
the broker's acknowledgement, offsets in a file as the runtime's file
offset store keeps them.

Checked: the initial snapshot (op r, Debezium's markers), inserts, updates,
deletes with tombstones, truncates, a primary-key change, REPLICA IDENTITY
FULL before-images, unchanged TOASTed values, table filters, field by field
on Debezium's event layout; kill -9 of the connector mid-stream and restart
(every change delivered, none lost); the slot's confirmed position advancing
while captured tables are quiet (WAL released), and heartbeat records.

ctest runs: /usr/bin/python3 test_postgres_connector.py PATH/TO/pg_connector_probe
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from db_servers import PostgresServer
from harness import wait_until

PROBE = sys.argv[1]
results = {"passed": 0, "failed": 0}


def check(name, fn):
    try:
        fn()
        results["passed"] += 1
        print("PASS", name, flush=True)
    except Exception:
        results["failed"] += 1
        print("FAIL", name, flush=True)
        traceback.print_exc()


class Connector:
    """pg_connector_probe with a config; its records read from OUT."""

    def __init__(self, pg, workdir, **config):
        self.pg = pg
        self.offsets = os.path.join(workdir, "offsets.json")
        self.out = os.path.join(workdir, "records.jsonl")
        self.config = {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": "127.0.0.1",
            "database.port": str(pg.port),
            "database.user": "postgres",
            "database.dbname": "postgres",
            "topic.prefix": "srv",
            "plugin.name": "pgoutput",
            "slot.name": "runnel_test",
            "publication.name": "runnel_pub",
            "status.update.interval.ms": "300",
        }
        self.config.update(config)
        self.proc = None

    def start(self):
        args = [PROBE, self.offsets, self.out] + ["%s=%s" % kv for kv in self.config.items()]
        # The log goes with the "started" line to one file: a pipe nobody
        # drains would stall the connector.
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self.err, stderr=subprocess.STDOUT)

        def started():
            assert self.proc.poll() is None, "connector exited: " + self.stderr()
            return "\nstarted\n" in "\n" + self.stderr()
        wait_until(started, timeout=60, what="the connector to start")
        return self

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")[-6000:]

    def records(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return [json.loads(l) for l in f if l.endswith("\n")]

    def wait_records(self, cond, what, timeout=60):
        def ok():
            assert self.proc.poll() is None, "connector exited: " + self.stderr()
            return cond(self.records())
        return wait_until(ok, timeout=timeout, what=what)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(60)
            assert rc == 0, "connector exited %d: %s" % (rc, self.stderr())


def on(records, topic):
    return [r for r in records if r["topic"] == topic]


def values(records, topic):
    return [r["value"]["payload"] if "payload" in (r["value"] or {}) else r["value"]
            for r in on(records, topic)]


def slot_lsn(pg, slot):
    rows = pg.execute("SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots "
                      "WHERE slot_name = '%s'" % slot)
    return int(rows[0][0]) if rows else None


def main():
    with PostgresServer() as pg:
        pg.execute("""
            CREATE TABLE public.customers (
              id int PRIMARY KEY, name text NOT NULL, email varchar(100),
              balance numeric(12,2), bio text);
            CREATE TABLE public.audit (id int PRIMARY KEY, note text);
            ALTER TABLE public.audit REPLICA IDENTITY FULL;
            CREATE TABLE public.skipped (id int PRIMARY KEY);
            INSERT INTO customers VALUES (1, 'Sally', 'sally@example.com', 10.50, 'short'),
                                         (2, 'George', NULL, NULL, NULL);
            INSERT INTO audit VALUES (1, 'first');
            INSERT INTO skipped VALUES (1);
        """)
        work = tempfile.mkdtemp(prefix="runnel-pgconn-")
        c = Connector(pg, work, **{"table.exclude.list": "public\\.skipped",
                                   "skipped.operations": "none"})
        c.start()
        try:
            def snapshot():
                recs = c.wait_records(lambda rs: len(on(rs, "srv.public.customers")) >= 2 and
                                      len(on(rs, "srv.public.audit")) >= 1, "snapshot")
                rs = c.records()
                assert on(rs, "srv.public.skipped") == [], "excluded table captured"
                cs = on(rs, "srv.public.customers")
                assert [r["key"] for r in cs] == [{"id": 1}, {"id": 2}], cs
                v = cs[0]["value"]
                assert v["op"] == "r" and v["before"] is None, v
                assert v["after"] == {"id": 1, "name": "Sally", "email": "sally@example.com",
                                      "balance": 10.5, "bio": "short"}, v["after"]
                s = v["source"]
                assert s["connector"] == "postgresql" and s["name"] == "srv", s
                assert s["db"] == "postgres" and s["schema"] == "public", s
                assert s["table"] == "customers" and s["lsn"] > 0, s
                # The first table read is audit (schema, name order), whose
                # only row is both first and last of its table: "last" wins,
                # as in Debezium; the last row of the last table is "last".
                markers = [r["value"]["source"]["snapshot"] for r in rs]
                assert markers[0] == "last_in_data_collection" and markers[-1] == "last", markers
            check("initial snapshot: read events of the captured tables", snapshot)

            def changes():
                pg.execute("""
                    INSERT INTO customers VALUES (3, 'Ann', 'ann@example.com', 99.99, 'hello');
                    UPDATE customers SET email = 'sally@new.example' WHERE id = 1;
                    UPDATE audit SET note = 'second' WHERE id = 1;
                    DELETE FROM customers WHERE id = 2;
                    UPDATE customers SET id = 30 WHERE id = 3;
                    INSERT INTO skipped VALUES (2);
                """)
                c.wait_records(lambda rs: any(r["value"] and r["value"]["op"] == "c" and
                                              r["key"] == {"id": 30} for r in rs), "changes")
                rs = [r for r in c.records() if r["value"] is None or r["value"]["op"] != "r"]
                cs = on(rs, "srv.public.customers")
                ops = [(r["key"], r["value"]["op"] if r["value"] else None) for r in cs]
                assert ops == [({"id": 3}, "c"), ({"id": 1}, "u"), ({"id": 2}, "d"),
                               ({"id": 2}, None), ({"id": 3}, "d"), ({"id": 3}, None),
                               ({"id": 30}, "c")], ops
                ins = cs[0]["value"]
                assert ins["after"]["balance"] == 99.99 and ins["source"]["snapshot"] == "false"
                assert ins["source"]["txId"] > 0 and ins["source"]["sequence"].startswith("[")
                upd = cs[1]["value"]
                assert upd["before"] is None, upd  # REPLICA IDENTITY DEFAULT
                assert upd["after"]["email"] == "sally@new.example"
                dele = cs[2]["value"]
                assert dele["before"]["id"] == 2 and dele["after"] is None, dele
                assert cs[4]["headers"]["__debezium.newkey"] == {"id": 30}, cs[4]
                assert cs[6]["headers"]["__debezium.oldkey"] == {"id": 3}, cs[6]
                au = on(rs, "srv.public.audit")[0]["value"]
                assert au["before"] == {"id": 1, "note": "first"}, au  # REPLICA IDENTITY FULL
                assert au["after"] == {"id": 1, "note": "second"}, au
                assert on(rs, "srv.public.skipped") == []
            check("inserts, updates, deletes + tombstones, key change as d + c", changes)

            def toast_and_truncate():
                big = "x" * 20000
                pg.execute("INSERT INTO customers VALUES (40, 'Big', NULL, NULL, "
                           "(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g));"
                           "UPDATE customers SET name = 'Bigger' WHERE id = 40;"
                           "TRUNCATE audit;")
                del big
                c.wait_records(lambda rs: any(r["value"] and r["value"]["op"] == "t"
                                              for r in rs), "truncate")
                rs = on(c.records(), "srv.public.customers")
                upd = [r["value"] for r in rs if r["value"] and r["value"]["op"] == "u" and
                       r["key"] == {"id": 40}][0]
                assert upd["after"]["name"] == "Bigger"
                assert upd["after"]["bio"] == "__debezium_unavailable_value", upd["after"]["bio"]
                t = [r for r in c.records() if r["value"] and r["value"]["op"] == "t"][0]
                assert t["topic"] == "srv.public.audit" and t["key"] is None, t
            check("unchanged TOAST marked; truncate event", toast_and_truncate)

            def wal_released():
                # Changes only to a table not captured: the slot must still
                # move on (offset-only positions while captured tables are quiet).
                before = slot_lsn(pg, "runnel_test")
                pg.execute("INSERT INTO skipped SELECT g FROM generate_series(100, 200) g")
                target = int(pg.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")[0][0])
                wait_until(lambda: (slot_lsn(pg, "runnel_test") or 0) >= target, timeout=30,
                           what="slot confirmed position past %d (was %s)" % (target, before))
            check("quiet captured tables do not pin WAL", wal_released)

            def kill_and_restart():
                stop = threading.Event()
                written = []

                def workload():
                    i = 1000
                    while not stop.is_set() and i < 1600:
                        pg.execute("INSERT INTO customers VALUES (%d, 'n%d', NULL, %d.25, NULL);"
                                   "UPDATE customers SET name = 'u%d' WHERE id = %d;" %
                                   (i, i, i, i, i))
                        written.append(i)
                        i += 1
                t = threading.Thread(target=workload)
                t.start()
                try:
                    c.wait_records(lambda rs: sum(1 for r in rs if r["key"] and
                                                  r["key"].get("id", 0) >= 1000) > 50, "workload")
                    c.kill9()
                    c.start()
                    # One big transaction, and a kill in the middle of
                    # delivering it: the restart resumes inside it.
                    pg.execute("INSERT INTO customers SELECT g, 'bulk', NULL, NULL, NULL "
                               "FROM generate_series(5000, 24999) g")
                    c.wait_records(lambda rs: sum(1 for r in rs if r["key"] and
                                                  r["key"].get("id", 0) >= 5000) > 3000,
                                   "part of the big transaction")
                    c.kill9()
                    c.start()
                finally:
                    stop.set()
                    t.join(120)
                last = written[-1]
                c.wait_records(lambda rs: any(r["key"] == {"id": last} and r["value"] and
                                              r["value"]["op"] == "u" for r in rs) and
                               any(r["key"] == {"id": 24999} for r in rs),
                               "every change after the restart", timeout=120)
                rs = on(c.records(), "srv.public.customers")
                seen_c = {r["key"]["id"] for r in rs if r["value"] and r["value"]["op"] == "c"}
                seen_u = {r["key"]["id"] for r in rs if r["value"] and r["value"]["op"] == "u"}
                lost_c = [i for i in written if i not in seen_c]
                lost_u = [i for i in written if i not in seen_u]
                assert not lost_c and not lost_u, "lost inserts %s updates %s" % (
                    lost_c[:10], lost_u[:10])
                bulk = {r["key"]["id"] for r in rs if r["key"]["id"] >= 5000}
                assert len(bulk) == 20000, len(bulk)
                # Per key, the update follows the insert, even with repeats.
                for i in written:
                    ops = [r["value"]["op"] for r in rs if r["key"] == {"id": i} and r["value"]]
                    assert ops[0] == "c" and ops[-1] == "u", (i, ops)
                print("  %d transactions, %d records, %d duplicates (at-least-once)" % (
                    len(written) + 1, len(rs), len(rs) - len({json.dumps([r["key"], r["value"] and
                    r["value"]["op"]]) for r in rs})))
            check("kill -9 mid-stream and restart: nothing lost", kill_and_restart)
        finally:
            c.stop() if c.proc and c.proc.poll() is None else None

        def heartbeats():
            w = tempfile.mkdtemp(prefix="runnel-pgconn-")
            h = Connector(pg, w, **{"slot.name": "runnel_hb", "snapshot.mode": "no_data",
                                    "heartbeat.interval.ms": "200",
                                    "table.include.list": "public\\.audit"})
            h.start()
            try:
                h.wait_records(lambda rs: len(on(rs, "__debezium-heartbeat.srv")) >= 2,
                               "heartbeats")
                hb = on(h.records(), "__debezium-heartbeat.srv")[0]
                assert hb["key"] == {"serverName": "srv"} and hb["value"]["ts_ms"] > 0, hb
                assert on(h.records(), "srv.public.customers") == []
            finally:
                h.stop()
        check("heartbeat records (heartbeat.interval.ms)", heartbeats)

        def kill_mid_snapshot():
            # A snapshot interrupted by kill -9 is taken again from the start
            # on restart (with a new slot), then streaming continues.
            pg.execute("CREATE TABLE public.big (id int PRIMARY KEY, v text);"
                       "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 30000) g")
            w = tempfile.mkdtemp(prefix="runnel-pgconn-")
            k = Connector(pg, w, **{"slot.name": "runnel_snap", "publication.name": "pub_big",
                                    "publication.autocreate.mode": "filtered",
                                    "table.include.list": "public\\.big",
                                    "snapshot.fetch.size": "500", "max.batch.size": "500"})
            k.start()
            try:
                k.wait_records(lambda rs: len(rs) > 2000, "part of the snapshot")
                k.kill9()
                k.start()
                pg.execute("INSERT INTO big VALUES (30001, 'after')")
                k.wait_records(lambda rs: any(r["key"] == {"id": 30001} for r in rs),
                               "the change after the snapshot", timeout=120)
                rs = k.records()
                read = {r["key"]["id"] for r in rs if r["value"]["op"] == "r"}
                assert read == set(range(1, 30001)), "snapshot rows missing: %d" % (
                    30000 - len(read & set(range(1, 30001))))
                markers = [r["value"]["source"]["snapshot"] for r in rs]
                assert markers.count("last") == 1 and markers[-2] == "last", markers[-3:]
                assert rs[-1]["value"]["op"] == "c"
            finally:
                k.stop()
        check("kill -9 mid-snapshot: the snapshot is taken again, whole", kill_mid_snapshot)

        def bad_config():
            w = tempfile.mkdtemp(prefix="runnel-pgconn-")
            b = Connector(pg, w, **{"plugin.name": "decoderbufs", "slot.name": "runnel_bad"})
            args = [PROBE, b.offsets, b.out] + ["%s=%s" % kv for kv in b.config.items()]
            r = subprocess.run(args, capture_output=True, text=True, timeout=60)
            assert r.returncode != 0 and "plugin.name" in r.stderr + r.stdout, r.stderr
        check("a plugin other than pgoutput is refused with a clear error", bad_config)

    print("%(passed)d passed, %(failed)d failed" % results)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
