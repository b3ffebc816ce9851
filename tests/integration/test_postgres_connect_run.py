"""PostgreSQL → topic end to end: `runnel connect run` (standalone Connect)
runs Debezium's PostgreSQL connector config unchanged against a real broker
and a real PostgreSQL 15 (db_servers.py). The topics' records are read back
with `runnel consume` and checked field by field (JsonConverter with
schemas, as Debezium users run it); the worker is killed with SIGKILL in the
middle of a workload and restarted: every change is on the topic, in commit
order per key (duplicates allowed: at-least-once).

ctest runs: /usr/bin/python3 test_postgres_connect_run.py PATH/TO/runnel
"""

import json
import os
import signal
import subprocess
import tempfile
import threading

from db_servers import PostgresServer
from harness import BINARY, Broker, Connect, run, wait_until


def consume(broker, topic):
    """Every record of the topic now: (key, value) parsed from JSON (value
    None for a tombstone), headers as a dict of raw strings."""
    r = subprocess.run([BINARY, "consume", topic, "--brokers", broker.bootstrap,
                        "--from-beginning", "-e", "--format", "json"],
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        return []
    out = []
    for line in r.stdout.decode().splitlines():
        m = json.loads(line)
        key = json.loads(m["key"]) if m.get("key") is not None else None
        value = json.loads(m["value"]) if m.get("value") is not None else None
        headers = {h["key"]: h.get("value") for h in m.get("headers", [])}
        out.append((key, value, headers))
    return out


def payload(v):
    return None if v is None else v["payload"]


def write_configs(d, broker, pg):
    worker = os.path.join(d, "worker.properties")
    with open(worker, "w") as f:
        f.write("bootstrap.servers=%s\n"
                "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "offset.storage.file.filename=%s\n"
                "offset.flush.interval.ms=500\n" % (broker.bootstrap,
                                                   os.path.join(d, "connect.offsets")))
    conf = os.path.join(d, "inventory.json")
    with open(conf, "w") as f:
        # Debezium's tutorial config, only the addresses changed.
        json.dump({"name": "inventory-connector",
                   "config": {"connector.class":
                              "io.debezium.connector.postgresql.PostgresConnector",
                              "tasks.max": "1",
                              "database.hostname": "127.0.0.1",
                              "database.port": str(pg.port),
                              "database.user": "postgres",
                              "database.password": "postgres",
                              "database.dbname": "postgres",
                              "topic.prefix": "dbserver1",
                              "plugin.name": "pgoutput",
                              "table.include.list": "public.customers",
                              "status.update.interval.ms": "500"}}, f)
    return worker, conf


def test_debezium_config_through_connect_run_with_kill9():
    d = tempfile.mkdtemp(prefix="runnel-pgrun-")
    topic = "dbserver1.public.customers"
    with PostgresServer() as pg, Broker(BINARY) as b:
        pg.execute("CREATE TABLE customers (id int PRIMARY KEY, first_name text NOT NULL, "
                   "email text, balance numeric(10,2));"
                   "INSERT INTO customers VALUES (1001, 'Sally', 'sally@example.com', 12.50);")
        worker, conf = write_configs(d, b, pg)
        log = os.path.join(d, "connect.log")
        c = Connect(["-w", worker, conf], log)
        try:
            wait_until(lambda: len(consume(b, topic)) >= 1, 60, what="the snapshot record")
            pg.execute("INSERT INTO customers VALUES (1002, 'George', NULL, NULL);"
                       "UPDATE customers SET email = 'sally@new.example' WHERE id = 1001;"
                       "DELETE FROM customers WHERE id = 1002;")
            recs = wait_until(lambda: (lambda r: r if len(r) >= 5 else None)(consume(b, topic)),
                              60, what="the changes")
            keys = [k["payload"] for k, _, _ in recs]
            ops = [payload(v)["op"] if v else None for _, v, _ in recs]
            assert ops[:5] == ["r", "c", "u", "d", None], ops
            assert keys[:5] == [{"id": 1001}, {"id": 1002}, {"id": 1001}, {"id": 1002},
                                {"id": 1002}], keys
            snap = recs[0][1]
            assert snap["schema"]["name"] == "dbserver1.public.customers.Envelope", snap["schema"]
            assert recs[0][0]["schema"]["name"] == "dbserver1.public.customers.Key"
            after = snap["payload"]["after"]
            assert after["id"] == 1001 and after["first_name"] == "Sally", after
            src = payload(recs[1][1])["source"]
            assert src["connector"] == "postgresql" and src["name"] == "dbserver1", src
            assert src["table"] == "customers" and src["snapshot"] == "false", src
            assert payload(recs[2][1])["after"]["email"] == "sally@new.example"
            assert payload(recs[3][1])["before"]["id"] == 1002

            # A workload, and kill -9 of the worker in the middle of it.
            stop = threading.Event()
            written = []

            def workload():
                i = 2000
                while not stop.is_set() and i < 2400:
                    pg.execute("INSERT INTO customers VALUES (%d, 'n', NULL, 1.00);"
                               "UPDATE customers SET first_name = 'u' WHERE id = %d;" % (i, i))
                    written.append(i)
                    i += 1
            t = threading.Thread(target=workload)
            t.start()
            try:
                wait_until(lambda: len(consume(b, topic)) > 5 + 40, 60, what="workload records")
                c.stop(signal.SIGKILL)
                # The slot was told no more was flushed than the stored
                # offset covers (else a restart could not send again what
                # was produced but not stored): at most its flush_lsn, or
                # inside a transaction, that transaction's commit.
                with open(os.path.join(d, "connect.offsets")) as f:
                    at_kill = json.loads(json.load(f)["offsets"][0][1])
                confirmed = int(pg.execute("SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM "
                                           "pg_replication_slots WHERE slot_name = 'debezium'")
                                [0][0])
                bound = at_kill.get("flush_lsn", at_kill["lsn_commit"])
                assert confirmed <= bound, "slot confirmed %d past the stored offset %s" % (
                    confirmed, at_kill)
                c = Connect(["-w", worker, conf], log)
                wait_until(lambda: len(written) > 60, 60, what="more workload")
            finally:
                stop.set()
                t.join(120)
            last = written[-1]

            def all_there():
                rs = consume(b, topic)
                seen = {(k["payload"]["id"], payload(v)["op"]) for k, v, _ in rs if v}
                return rs if (last, "u") in seen else None
            rs = wait_until(all_there, 120, what="every change after the restart")
            seen = {(k["payload"]["id"], payload(v)["op"]) for k, v, _ in rs if v}
            lost = [i for i in written if (i, "c") not in seen or (i, "u") not in seen]
            assert not lost, "lost changes of ids %s" % lost[:10]
            for i in written:
                ops = [payload(v)["op"] for k, v, _ in rs if v and k["payload"]["id"] == i]
                assert ops[0] == "c" and ops[-1] == "u", (i, ops)
        finally:
            rc = c.stop()
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


if __name__ == "__main__":
    run([test_debezium_config_through_connect_run_with_kill9])
