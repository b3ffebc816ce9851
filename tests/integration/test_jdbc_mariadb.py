"""The JDBC source and sink on MariaDB (Confluent's configs with
jdbc:mysql:// and jdbc:mariadb:// URLs) through `runnel connect run`, against
a real broker and a real MariaDB server from Debian (db_servers.py), one
server and one broker for the whole file, one database per test:

- incrementing mode: MariaDB types mapped without loss (DECIMAL, BIGINT
  UNSIGNED, DATETIME(6), TIMESTAMP, VARBINARY, JSON, BIT), records keyed by
  the primary key, table.whitelist; and two transactions committing out of
  order (id 2 commits after id 3): id 3 is not read before id 2.
- timestamp mode: a transaction that stamped its row first and commits last
  is not skipped, a group of equal timestamps larger than a batch is read
  whole, table.blacklist; an INSERT whose NOW() is fixed while it waits for
  a table lock (no InnoDB transaction yet) is not read past, nor is a row
  an open transaction stamped itself before it began; kill -9 of the
  worker during a workload: every row arrives.

The server process runs in Asia/Tokyo (its sessions in UTC): the source
must not depend on the server's zone (InnoDB writes INNODB_TRX.trx_started
in it), and every case here runs on such a server.
- timestamp+incrementing (small batches), bulk and query modes.
- the sink: upsert with auto.create and auto.evolve, deletes on tombstones,
  the table compared row by row with the records; exactly-once: kill -9
  mid-stream, restarted, leaves exactly one row per record.

"The source has read since" is MariaDB's own count of SELECT statements
(Com_select): the task runs its statements one after another, so three
more SELECTs after a moment mean one of them started and ended after it.

ctest runs: /usr/bin/python3 test_jdbc_mariadb.py PATH/TO/runnel
"""

import base64
import json
import os
import select
import signal
import subprocess
import tempfile
import threading
import time

from db_servers import MariaDBServer
from harness import BINARY, Broker, run, wait_until
from test_jdbc_sink import line, produce
from test_jdbc_source import values, write_connector, write_worker
from test_postgres_connect_run import Connect

DB = None  # the MariaDBServer of this file
BROKER = None


def url(database, scheme="mysql", host="127.0.0.1"):
    return "jdbc:%s://%s:%d/%s?user=root&password=" % (scheme, host, DB.port, database)


def com_select():
    rows = DB.execute("SHOW GLOBAL STATUS LIKE 'Com_select'", db=None)
    return int(rows[0][1])


def wait_for_a_read_after_now():
    start = com_select()
    wait_until(lambda: com_select() >= start + 3, 60, what="a read by the source task")


class Session:
    """A mariadb client process fed statements on stdin. run() returns once
    they have finished: a marker SELECT after them appears on the client's
    (unbuffered) output — no polling of the server's tables."""

    OPEN = []  # sessions not yet closed, killed at the end of a test

    def __init__(self, database):
        self.proc = subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P",
                                      str(DB.port), "-u", "root", "--batch", "--unbuffered",
                                      "--skip-column-names", database],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = b""
        Session.OPEN.append(self)

    def send(self, sql):
        self.proc.stdin.write(("%s;\nSELECT 'done';\n" % sql).encode())
        self.proc.stdin.flush()

    def wait_done(self, timeout=30):
        deadline = time.monotonic() + timeout
        while b"done\n" not in self.out and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break  # the client exited
                self.out += chunk
        if b"done\n" not in self.out:
            self.kill()
            raise RuntimeError("the session's statements did not finish (%r): %s\n%s" % (
                self.out, self.proc.stderr.read().decode(errors="replace"),
                DB.execute("SELECT ID, COMMAND, TIME_MS, STATE, INFO FROM "
                           "information_schema.PROCESSLIST", db=None)))
        self.out = self.out[self.out.index(b"done\n") + 5:]

    def run(self, sql):
        self.send(sql)
        self.wait_done()

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(30)
        Session.OPEN.remove(self)
        assert rc == 0, self.proc.stderr.read().decode(errors="replace")

    def kill(self):
        """Ends the client (the server rolls its transaction back)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        if self in Session.OPEN:
            Session.OPEN.remove(self)

    @staticmethod
    def kill_all():
        """No transaction a failed test left open holds up the next test's bound."""
        for t in list(Session.OPEN):
            t.kill()


class OpenTransaction(Session):
    """A session whose transaction has written `sql` and stays open until
    commit()."""

    def __init__(self, database, sql):
        # Not INNODB_TRX to see the write: InnoDB refreshes that view only
        # after 0.1 s without a reader, so a reader every 0.1 s (the old
        # helper's own loop, or the source's polls) sees it frozen.
        super().__init__(database)
        self.run("BEGIN;\n" + sql)

    def commit(self):
        self.run("COMMIT")
        self.close()


def connect(d, *configs):
    return Connect(["-w", write_worker(d, BROKER), *configs], os.path.join(d, "connect.log"))


def test_incrementing_types_whitelist_and_out_of_order_commit():
    d = tempfile.mkdtemp(prefix="runnel-jdbc-maria-")
    DB.execute("CREATE DATABASE inc")
    DB.execute("CREATE TABLE foobar (foobar_pk BIGINT AUTO_INCREMENT PRIMARY KEY, "
               "name VARCHAR(20) NOT NULL, price DECIMAL(10,2), big BIGINT UNSIGNED, "
               "seen DATETIME(6), stamp TIMESTAMP(3) NULL, raw VARBINARY(8), doc JSON, "
               "flags BIT(12), ok BIT(1)) ENGINE=InnoDB;"
               "CREATE TABLE other (id INT PRIMARY KEY) ENGINE=InnoDB;"
               "INSERT INTO other VALUES (1);"
               "INSERT INTO foobar (name, price, big, seen, stamp, raw, doc, flags, ok) VALUES "
               "('a', 12.50, 18446744073709551615, '2026-12-03 08:00:00.000001', "
               "'2026-12-03 08:00:00.500', X'00ff', '{\"k\": 1}', b'101000000001', b'1')",
               db="inc")
    # Confluent's quickstart config; only the URL's port and database are
    # ours ("localhost" is reached over TCP at that port, not the socket).
    conf = write_connector(d, "maria-source", {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "tasks.max": "1",
        "connection.url": url("inc", host="localhost"),
        "table.whitelist": "foobar",
        "mode": "incrementing",
        "incrementing.column.name": "foobar_pk",
        "topic.prefix": "maria-",
        "poll.interval.ms": "200"})
    c = connect(d, conf)
    topic = "maria-foobar"
    try:
        recs = wait_until(lambda: values(BROKER, topic), 60, what="the first row")
        key, v, schema = recs[0]
        assert key == {"foobar_pk": 1}, key
        assert schema["name"] == "foobar", schema
        assert v["name"] == "a" and v["foobar_pk"] == 1, v
        assert base64.b64decode(v["price"]) == (1250).to_bytes(2, "big"), v["price"]
        assert int.from_bytes(base64.b64decode(v["big"]), "big", signed=True) == 2**64 - 1, v
        assert v["seen"] == 1796284800000001, v["seen"]
        assert v["stamp"] == "2026-12-03T08:00:00.5Z", v["stamp"]
        assert base64.b64decode(v["raw"]) == b"\x00\xff", v["raw"]
        assert json.loads(v["doc"]) == {"k": 1}, v["doc"]
        assert base64.b64decode(v["flags"]) == b"\x01\x0a", v["flags"]  # little-endian
        assert v["ok"] is True, v["ok"]
        fields = {f["field"]: f for f in schema["fields"]}
        assert fields["name"]["optional"] is False and fields["price"]["optional"] is True
        assert fields["price"]["name"] == "org.apache.kafka.connect.data.Decimal"
        assert fields["big"]["name"] == "org.apache.kafka.connect.data.Decimal"
        assert fields["seen"]["name"] == "io.debezium.time.MicroTimestamp"
        assert fields["doc"].get("name") == "io.debezium.data.Json", fields["doc"]
        assert values(BROKER, "maria-other") == [], "table.whitelist let 'other' through"

        # Out of order: id 2 is taken by a transaction that commits after
        # the one that takes id 3. Largest-seen-value would skip 2.
        t1 = OpenTransaction("inc", "INSERT INTO foobar (name) VALUES ('slow')")
        DB.execute("INSERT INTO foobar (name) VALUES ('fast')", db="inc")
        wait_for_a_read_after_now()
        ids = [v["foobar_pk"] for _, v, _ in values(BROKER, topic)]
        assert ids == [1], "id 3 passed before id 2 committed: %s" % ids
        t1.commit()
        recs = wait_until(lambda: (lambda r: r if len(r) >= 3 else None)(values(BROKER, topic)),
                          60, what="ids 2 and 3")
        assert [(v["foobar_pk"], v["name"]) for _, v, _ in recs] == \
            [(1, "a"), (2, "slow"), (3, "fast")], recs
    finally:
        Session.kill_all()
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_timestamp_late_commit_equal_timestamps_blacklist_and_kill9():
    d = tempfile.mkdtemp(prefix="runnel-jdbc-maria-")
    DB.execute("CREATE DATABASE ts")
    DB.execute("CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
               "ts DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), v VARCHAR(10), "
               "KEY (ts)) ENGINE=InnoDB; CREATE TABLE skipme (id INT PRIMARY KEY, "
               "ts DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;"
               "INSERT INTO skipme (id) VALUES (1)", db="ts")
    conf = write_connector(d, "maria-ts", {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": url("ts", "mariadb"),
        "table.blacklist": "skipme",
        "mode": "timestamp",
        "timestamp.column.name": "ts",
        "topic.prefix": "mts.",
        "batch.max.rows": "50",
        "poll.interval.ms": "200"})
    log_dir = d
    c = connect(log_dir, conf)
    topic = "mts.events"
    try:
        # A transaction stamps its row first and commits after another that
        # wrote 120 rows with one later timestamp: a batch of 50 cannot cut
        # that group, and the early row is not skipped.
        t1 = OpenTransaction("ts", "INSERT INTO events (v) VALUES ('early')")
        DB.execute("INSERT INTO events (v) VALUES " + ", ".join(["('group')"] * 120), db="ts")
        wait_for_a_read_after_now()
        assert values(BROKER, topic) == [], "rows passed while an older transaction ran"
        t1.commit()
        recs = wait_until(lambda: (lambda r: r if len(r) >= 121 else None)(values(BROKER, topic)),
                          60, what="121 rows")
        assert len(recs) == 121, len(recs)
        assert recs[0][1]["v"] == "early", recs[0]
        assert sorted(v["id"] for _, v, _ in recs) == list(range(1, 122))
        assert values(BROKER, "mts.skipme") == [], "table.blacklist let 'skipme' through"

        # A statement whose NOW() is fixed but that waits (here for a table
        # lock) before InnoDB starts its transaction is in no INNODB_TRX row
        # yet: PROCESSLIST holds the bound below it, so rows stamped and
        # committed while it waits are not read past its row.
        locker = Session("ts")
        locker.run("LOCK TABLES skipme WRITE")
        blocked = Session("ts")
        blocked.send("INSERT INTO events (v) SELECT 'blocked' FROM skipme")
        wait_until(lambda: DB.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                                      "WHERE INFO LIKE 'INSERT INTO events%' AND "
                                      "STATE LIKE 'Waiting for table%' AND TIME_MS > 1200",
                                      db=None) == [["1"]], 30, what="the blocked INSERT")
        DB.execute("INSERT INTO events (v) VALUES " + ", ".join(["('after')"] * 5), db="ts")
        # Long enough for a bound of "now less a second" to pass them.
        wait_until(lambda: DB.execute("SELECT NOW(6) > MAX(ts) + INTERVAL 1500000 MICROSECOND "
                                      "FROM events", db="ts") == [["1"]], 30,
                   what="the clock past the 'after' rows")
        wait_for_a_read_after_now()
        assert len(values(BROKER, topic)) == 121, "rows read past a statement still waiting"
        locker.run("UNLOCK TABLES")
        locker.close()
        blocked.wait_done()
        blocked.close()
        recs = wait_until(lambda: (lambda r: r if len(r) >= 127 else None)(values(BROKER, topic)),
                          60, what="the blocked row and the 5 after it")
        assert [v["v"] for _, v, _ in recs[121:]] == ["blocked"] + ["after"] * 5, recs[121:]

        # A row the application stamped itself, earlier than its transaction
        # began (so no bound from INNODB_TRX or PROCESSLIST covers it), and
        # rows stamped after it but committed before it: the read, a locking
        # read in timestamp order, stops at the uncommitted row.
        wait_until(lambda: DB.execute("SELECT NOW(6) > MAX(ts) + INTERVAL 4 SECOND FROM events",
                                      db="ts") == [["1"]], 30, what="4 s since the last row")
        t2 = OpenTransaction("ts", "INSERT INTO events (ts, v) VALUES "
                             "(NOW(6) - INTERVAL 3500000 MICROSECOND, 'backdated')")
        DB.execute("INSERT INTO events (ts, v) VALUES " + ", ".join(
            ["(NOW(6) - INTERVAL 2500000 MICROSECOND, 'between')"] * 3), db="ts")
        wait_for_a_read_after_now()
        assert len(values(BROKER, topic)) == 127, "rows read past an uncommitted row"
        t2.commit()
        recs = wait_until(lambda: (lambda r: r if len(r) >= 131 else None)(values(BROKER, topic)),
                          60, what="the backdated row and the 3 after it")
        assert [v["v"] for _, v, _ in recs[127:]] == ["backdated"] + ["between"] * 3, recs[127:]

        # 30-row statements (30 equal timestamps each), and kill -9 of the
        # worker in the middle of them.
        stop = threading.Event()
        written = []

        def workload():
            n = 0
            while not stop.is_set() and n < 200:
                DB.execute("INSERT INTO events (v) VALUES " + ", ".join(["('w')"] * 30), db="ts")
                n += 1
                written.append(n)
        t = threading.Thread(target=workload)
        t.start()
        try:
            wait_until(lambda: len(values(BROKER, topic)) > 131 + 150, 60, what="workload rows")
            c.stop(signal.SIGKILL)
            c = connect(log_dir, conf)
            at_restart = len(written)
            wait_until(lambda: len(written) > at_restart + 20 or len(written) >= 200, 120,
                       what="more workload")
        finally:
            stop.set()
            t.join(120)
        want = set(int(r[0]) for r in DB.execute("SELECT id FROM events", db="ts"))
        assert len(want) == 131 + 30 * len(written), (len(want), len(written))

        def all_there():
            got = {v["id"] for _, v, _ in values(BROKER, topic)}
            return got if want <= got else None
        wait_until(all_there, 120, what="every row after the restart")
    finally:
        Session.kill_all()
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_timestamp_incrementing_bulk_and_query_modes():
    d = tempfile.mkdtemp(prefix="runnel-jdbc-maria-")
    DB.execute("CREATE DATABASE modes")
    DB.execute("CREATE TABLE ti (id INT AUTO_INCREMENT PRIMARY KEY, "
               "ts DATETIME(3) NOT NULL DEFAULT NOW(3), v INT) ENGINE=InnoDB;"
               "INSERT INTO ti (v) VALUES (1), (2), (3), (4), (5);"
               "CREATE TABLE small (k VARCHAR(5) PRIMARY KEY, n INT) ENGINE=InnoDB;"
               "INSERT INTO small VALUES ('a', 1), ('b', 2), ('c', 3)", db="modes")
    base = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": "jdbc:mysql://127.0.0.1:%d/modes" % DB.port,
            "connection.user": "root", "connection.password": "",
            "poll.interval.ms": "200"}
    ti = write_connector(d, "maria-ti", dict(base, **{
        "table.whitelist": "ti", "mode": "timestamp+incrementing",
        "timestamp.column.name": "ts", "incrementing.column.name": "id",
        "batch.max.rows": "2", "topic.prefix": "mti-"}))
    # A bulk read every 2 s, not every 200 ms: the topic must be at rest
    # now and then for `consume -e` to find its end.
    bulk = write_connector(d, "maria-bulk", dict(base, **{
        "table.whitelist": "small", "mode": "bulk", "topic.prefix": "mbulk-",
        "poll.interval.ms": "2000"}))
    query = write_connector(d, "maria-query", dict(base, **{
        "query": "SELECT id, v * 2 AS doubled FROM ti", "mode": "incrementing",
        "incrementing.column.name": "id", "topic.prefix": "mquery"}))
    c = connect(d, ti, bulk, query)
    try:
        recs = wait_until(lambda: (lambda r: r if len(r) >= 5 else None)(
            values(BROKER, "mti-ti")), 60, what="5 rows in timestamp+incrementing mode")
        assert [v["id"] for _, v, _ in recs] == [1, 2, 3, 4, 5], recs
        DB.execute("INSERT INTO ti (v) VALUES (6), (7)", db="modes")
        recs = wait_until(lambda: (lambda r: r if len(r) >= 7 else None)(
            values(BROKER, "mti-ti")), 60, what="2 more rows")
        assert [v["id"] for _, v, _ in recs] == list(range(1, 8)), recs
        assert recs[0][0] == {"id": 1}, recs[0]

        q = wait_until(lambda: (lambda r: r if len(r) >= 7 else None)(
            values(BROKER, "mquery")), 60, what="the query's rows")
        assert [(v["id"], v["doubled"]) for _, v, _ in q] == [(i, 2 * i) for i in range(1, 8)], q
        assert all(k is None for k, _, _ in q), "a query's records have no key"

        b = wait_until(lambda: (lambda r: r if len(r) >= 6 else None)(
            values(BROKER, "mbulk-small")), 60, what="two bulk reads")
        assert [(k["k"], v["n"]) for k, v, _ in b[:6]] == [("a", 1), ("b", 2), ("c", 3)] * 2, b
    finally:
        Session.kill_all()
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_sink_upsert_auto_create_evolve_and_delete():
    d = tempfile.mkdtemp(prefix="runnel-jdbcsink-maria-")
    DB.execute("CREATE DATABASE sink1")
    subprocess.run([BINARY, "topic", "create", "morders", "--brokers", BROKER.bootstrap,
                    "--partitions", "2"], check=True, capture_output=True, timeout=60)
    conf = write_connector(d, "maria-sink", {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": "morders",
        "connection.url": url("sink1", "mariadb"),
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "pk.fields": "id",
        "auto.create": "true",
        "auto.evolve": "true",
        "delete.enabled": "true"})
    c = connect(d, conf)
    try:
        expected = {}
        lines = []
        for i in range(1, 101):
            lines.append(line(i, "n%d" % i, cents=i * 150 - 7000))
            expected[i] = ("n%d" % i, "%.2f" % ((i * 150 - 7000) / 100.0), None)
        for i in range(1, 101, 3):  # updates
            lines.append(line(i, "u%d'\\" % i, cents=None))
            expected[i] = ("u%d'\\\\" % i, None, None)  # the client escapes a backslash
        for i in range(2, 101, 10):  # deletes
            lines.append(line(i, None, tombstone=True))
            expected.pop(i)
        lines.append(line(7, "with-note", cents=1, note="evolved"))
        expected[7] = ("with-note", "0.01", "evolved")
        produce(BROKER, "morders", lines)

        def table():
            try:
                rows = DB.execute("SELECT id, COALESCE(name, '<null>'), "
                                  "COALESCE(CAST(amount AS CHAR), '<null>'), "
                                  "COALESCE(note, '<null>'), CAST(day AS CHAR) FROM morders",
                                  db="sink1")
            except RuntimeError:
                return None  # not created yet, or the column not yet added
            return {int(r[0]): (None if r[1] == "<null>" else r[1],
                                None if r[2] == "<null>" else r[2],
                                None if r[3] == "<null>" else r[3], r[4]) for r in rows}
        want = {k: v + ("2025-12-03",) for k, v in expected.items()}
        got = wait_until(lambda: (lambda t: t if t == want else None)(table()), 60,
                         what="the table to equal the records")
        assert got == want
        pk = DB.execute("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE "
                        "TABLE_SCHEMA = 'sink1' AND TABLE_NAME = 'morders' AND "
                        "INDEX_NAME = 'PRIMARY'")
        assert pk == [["id"]], pk
        kinds = DB.execute("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                           "WHERE TABLE_SCHEMA = 'sink1' AND TABLE_NAME = 'morders' "
                           "ORDER BY ORDINAL_POSITION")
        assert kinds[:4] == [["id", "int(11)"], ["name", "longtext"],
                             ["amount", "decimal(65,2)"], ["day", "date"]], kinds
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_sink_exactly_once_insert_with_kill9():
    d = tempfile.mkdtemp(prefix="runnel-jdbcsink-maria-")
    total = 6000
    DB.execute("CREATE DATABASE sink2")
    subprocess.run([BINARY, "topic", "create", "mevents", "--brokers", BROKER.bootstrap,
                    "--partitions", "3"], check=True, capture_output=True, timeout=60)
    produce(BROKER, "mevents", [line(i, "e%d" % i, cents=i) for i in range(total)])
    DB.execute("CREATE TABLE mevents (id INT NOT NULL, name TEXT, amount DECIMAL(20,2), "
               "day DATE) ENGINE=InnoDB", db="sink2")
    conf = write_connector(d, "maria-eo", {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": "mevents",
        "connection.url": url("sink2"),
        "insert.mode": "insert",
        "batch.size": "200",
        # The killed worker's consumer leaves the group when its session
        # ends: 6 s, not the default 45 s, before the restarted one reads.
        "consumer.override.session.timeout.ms": "6000"})

    def count():
        return int(DB.execute("SELECT COUNT(*) FROM mevents", db="sink2")[0][0])
    c = connect(d, conf)
    try:
        wait_until(lambda: count() > 300, 60, interval=0.01, what="rows before the kill")
        c.stop(signal.SIGKILL)
        at_kill = count()
        assert at_kill < total, "the kill came after the last row (%d)" % at_kill
        c = connect(d, conf)
        wait_until(lambda: count() >= total, 120, what="every row")
        rows = DB.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM mevents", db="sink2")
        assert rows == [[str(total), str(total)]], (rows, at_kill)
        stored = DB.execute("SELECT SUM(next_offset) FROM runnel_connect_offsets "
                            "WHERE connector = 'maria-eo'", db="sink2")
        assert stored == [[str(total)]], stored
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def main():
    global DB, BROKER
    # The server's own zone is not UTC (its sessions are): nothing here may
    # depend on it (InnoDB writes INNODB_TRX.trx_started in it).
    with MariaDBServer(system_tz="Asia/Tokyo") as db, Broker(BINARY) as b:
        DB, BROKER = db, b
        zone = db.execute("SELECT @@system_time_zone, @@time_zone", db=None)
        assert zone == [["JST", "+00:00"]], "the server's zones (is tzdata installed?): %s" % zone
        run([test_incrementing_types_whitelist_and_out_of_order_commit,
             test_timestamp_late_commit_equal_timestamps_blacklist_and_kill9,
             test_timestamp_incrementing_bulk_and_query_modes,
             test_sink_upsert_auto_create_evolve_and_delete,
             test_sink_exactly_once_insert_with_kill9])


if __name__ == "__main__":
    main()
