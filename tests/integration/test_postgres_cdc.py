"""PostgreSQL logical replication, read by the connect module's replication
layer (src/connect/postgres) through tests/integration/db/pg_cdc_probe,
against a real PostgreSQL 15 started here (db_servers.py).

ctest runs: /usr/bin/python3 test_postgres_cdc.py PATH/TO/pg_cdc_probe
"""

import base64
import json
import subprocess
import sys
import threading
import traceback

from db_servers import PostgresServer

PROBE = sys.argv[1]
results = {"passed": 0, "failed": 0}


def check(name, fn):
    try:
        fn()
        results["passed"] += 1
        print("PASS", name)
    except Exception:
        results["failed"] += 1
        print("FAIL", name)
        traceback.print_exc()


class Probe:
    """pg_cdc_probe in the background; lines collected as they come."""

    def __init__(self, pg, slot, changes, timeout=120):
        self.proc = subprocess.Popen([PROBE, pg.dsn, slot, "p", str(changes), str(timeout)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait_for(self, prefix, timeout=60):
        with self.cond:
            ok = self.cond.wait_for(
                lambda: any(l is None or l.startswith(prefix) for l in self.lines), timeout)
            if not ok or not any(l is not None and l.startswith(prefix) for l in self.lines):
                raise AssertionError("probe never printed %r; stderr: %s; lines: %s" % (
                    prefix, self.stderr(), self.lines[-10:]))

    def finish(self, timeout=120):
        rc = self.proc.wait(timeout)
        self.reader.join(timeout)
        assert rc == 0, "probe exited %d: %s" % (rc, self.stderr())
        return [json.loads(l) for l in self.lines if l and l.startswith("{")]

    def stderr(self):
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()


def changes_of(events):
    return [e for e in events if e["type"] in ("insert", "update", "delete", "truncate")]


def main():
    with PostgresServer() as pg:
        pg.execute("""
            CREATE TABLE public.items (
              id int PRIMARY KEY, name text, price numeric(20,6), tags text[],
              doc jsonb, at timestamptz, raw bytea, big text);
            CREATE PUBLICATION p FOR ALL TABLES;""")

        def stream_every_kind_of_change():
            probe = Probe(pg, "s1", changes=7)
            probe.wait_for("streaming")
            # Six transactions: psql sends each execute() as one.
            pg.execute("""
                INSERT INTO items VALUES
                  (1, 'apple', 12345678901234.123456, '{a,b}', '{"k": [1, 2]}',
                   '2026-12-03 10:00:00+02', '\\x00ff', NULL),
                  (2, 'pear', 0.5, NULL, NULL, NULL, NULL,
                   (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 3000) g))""")
            pg.execute("UPDATE items SET price = 1 WHERE id = 1")
            pg.execute("UPDATE items SET id = 3 WHERE id = 1")
            pg.execute("UPDATE items SET name = 'big pear' WHERE id = 2")
            pg.execute("DELETE FROM items WHERE id = 3")
            pg.execute("TRUNCATE items")
            events = probe.finish()
            ch = changes_of(events)
            assert [e["type"] for e in ch] == [
                "insert", "insert", "update", "update", "update", "delete", "truncate"], ch
            assert ch[0]["table"] == "public.items"
            # Text output format, numeric without loss, arrays and jsonb as PostgreSQL prints them.
            assert ch[0]["new"][:7] == ["1", "apple", "12345678901234.123456", "{a,b}",
                                        '{"k": [1, 2]}', "2026-12-03 08:00:00+00", "\\x00ff"], ch[0]
            assert ch[0]["new"][7] is None
            # The same row as Debezium maps it: a Decimal as base64 of its
            # unscaled value, timestamptz in UTC, bytea as base64.
            after = ch[0]["after"]
            assert after["id"] == 1 and after["name"] == "apple", after
            assert after["price"] == base64.b64encode(
                (12345678901234123456).to_bytes(9, "big", signed=True)).decode(), after
            assert after["tags"] == ["a", "b"] and after["doc"] == '{"k": [1, 2]}', after
            assert after["at"] == "2026-12-03T08:00:00Z" and after["raw"] == "AP8=", after
            # 96,000 characters that do not compress below the TOAST threshold.
            assert len(ch[1]["new"][7]) == 96000
            # A plain update sends no old tuple; a key change sends the old key.
            assert "old" not in ch[2]
            assert ch[3]["old_kind"] == "K" and ch[3]["old"][0] == "1" and ch[3]["new"][0] == "3"
            # The unchanged TOASTed column is marked, not sent and not NULL.
            assert ch[4]["new"][7] == {"unchanged_toast": True}, str(ch[4]["new"][7])[:100]
            assert ch[5]["old"][0] == "3"
            rel = [e for e in events if e["type"] == "relation"][0]
            assert rel["table"] == "items" and rel["columns"][0] == {
                "name": "id", "type_oid": 23, "key": True}
            # Begin and commit frame every transaction: 6 of them.
            assert sum(1 for e in events if e["type"] == "commit") == 6

        def a_second_run_continues_after_the_acknowledged_position():
            pg.execute("INSERT INTO items (id, name) VALUES (10, 'after restart')")
            probe = Probe(pg, "s1", changes=1)
            probe.wait_for("slot exists")
            ch = changes_of(probe.finish())
            assert len(ch) == 1 and ch[0]["new"][:2] == ["10", "after restart"], ch
            flushed = pg.execute("SELECT confirmed_flush_lsn >= pg_current_wal_insert_lsn() - 1000,"
                                 " active FROM pg_replication_slots WHERE slot_name = 's1'")
            assert flushed == [["t", "f"]], flushed

        def a_hundred_thousand_row_transaction():
            probe = Probe(pg, "s2", changes=100000, timeout=300)
            probe.wait_for("streaming")
            pg.execute("INSERT INTO items (id, name) SELECT g, 'row ' || g FROM "
                       "generate_series(100, 100099) g")
            ch = changes_of(probe.finish(timeout=300))
            assert len(ch) == 100000
            assert [int(e["new"][0]) for e in ch] == list(range(100, 100100))

        def a_slot_of_another_plugin_is_a_clear_error():
            pg.execute("SELECT pg_create_logical_replication_slot('td', 'test_decoding')")
            r = subprocess.run([PROBE, pg.dsn, "td", "p", "1", "10"], capture_output=True,
                               text=True, timeout=60)
            assert r.returncode == 1
            assert "uses the plugin 'test_decoding', not pgoutput" in r.stderr, r.stderr

        def an_unreachable_server_is_a_clear_error():
            r = subprocess.run([PROBE, "host=127.0.0.1 port=1 user=postgres", "x", "p", "1", "10"],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 1 and "cannot connect for replication" in r.stderr, r.stderr

        def every_mapped_type_reads_from_a_live_server():
            pg.execute("""
                CREATE TABLE kinds (
                  id bigint PRIMARY KEY, b bool, s smallint, f4 real, f8 double precision,
                  n numeric, d date, t time, t3 time(3), ts timestamp, ts0 timestamp(0),
                  tz timestamptz, ttz timetz, iv interval, u uuid, j json, ia int[],
                  ta text[], ip inet)""")
            probe = Probe(pg, "s3", changes=1)
            probe.wait_for("streaming")
            pg.execute("""
                INSERT INTO kinds VALUES (
                  -9000000000, true, -7, 1.5, 2.25, 3.14159, '2026-12-03', '04:05:06.789',
                  '04:05:06.789', '2026-12-03 10:00:00.5', '2026-12-03 10:00:00',
                  '2026-12-03 10:00:00+02', '04:05:06+02', '1 day 02:00:00',
                  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{1,NULL,3}',
                  '{x,"y z"}', '10.0.0.1')""")
            after = changes_of(probe.finish())[0]["after"]
            expect = {
                "id": -9000000000, "b": True, "s": -7, "f4": 1.5, "f8": 2.25,
                "n": {"scale": 5, "value": base64.b64encode((314159).to_bytes(3, "big")).decode()},
                "d": 20790, "t": 14706789000, "t3": 14706789,
                "ts": 1796292000500000, "ts0": 1796292000000,
                "tz": "2026-12-03T08:00:00Z", "ttz": "02:05:06Z", "iv": 93600000000,
                "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": '{"a": 1}',
                "ia": [1, None, 3], "ta": ["x", "y z"], "ip": "10.0.0.1"}
            assert after == expect, {k: (after.get(k), v) for k, v in expect.items()
                                     if after.get(k) != v}

        check("stream every kind of change", stream_every_kind_of_change)
        check("a second run continues after the acknowledged position",
              a_second_run_continues_after_the_acknowledged_position)
        check("every mapped type reads from a live server", every_mapped_type_reads_from_a_live_server)
        check("a hundred thousand row transaction", a_hundred_thousand_row_transaction)
        check("a slot of another plugin is a clear error", a_slot_of_another_plugin_is_a_clear_error)
        check("an unreachable server is a clear error", an_unreachable_server_is_a_clear_error)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
