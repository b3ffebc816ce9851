"""Incremental snapshots of the PostgreSQL CDC connector (Debezium's
execute-snapshot / pause / resume / stop signals through a signal table),
end to end: `runnel connect run` with Debezium's config keys against a real
broker and a real PostgreSQL 15 (db_servers.py).

  - a table of 6,000 rows (composite key) snapshotted in chunks of 50 while
    a writer updates, deletes and re-inserts its rows; the worker is killed
    with SIGKILL mid-snapshot and restarted: the snapshot resumes after the
    chunk the stored offset names (no key up to it is read twice) and the
    topic's final state per key equals the table row by row, and the
    slot's confirmed position at the kill is within the stored offset;
  - PostgreSQL's visibility race held open (a commit streamed but not yet
    visible, behind a synchronous standby that never answers): the chunk's
    stale row of that key is not emitted after the streamed update;
  - pause-snapshot, resume-snapshot and stop-snapshot, counted in chunks;
  - a table added to table.include.list after the first start (filtered
    publication): restart with the new list, execute-snapshot, and the
    table's topic ends equal to it; an additional condition;
  - a missing signal table, the kafka channel and schema changes refused.

ctest runs: /usr/bin/python3 test_postgres_incremental_snapshot.py PATH/TO/runnel
"""

import json
import os
import random
import signal
import subprocess
import tempfile
import threading
import time

from db_servers import PostgresServer
from harness import BINARY, Broker, Connect, run, wait_until

PG = None
B = None


def consume(topic):
    """Every record of the topic now, in order: (key payload, value payload)
    (value None for a tombstone)."""
    r = subprocess.run([BINARY, "consume", topic, "--brokers", B.bootstrap,
                        "--from-beginning", "-e", "--format", "json"],
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        return []
    out = []
    for line in r.stdout.decode().splitlines():
        m = json.loads(line)
        key = json.loads(m["key"])["payload"] if m.get("key") is not None else None
        value = json.loads(m["value"])["payload"] if m.get("value") is not None else None
        out.append((key, value))
    return out


def final_state(recs, key_cols, cols):
    """The last event of each key applied in order (deletes and tombstones
    remove the key): {key tuple: row tuple}."""
    state = {}
    for k, v in recs:
        kt = tuple(k[c] for c in key_cols)
        if v is None or v["op"] == "d":
            state.pop(kt, None)
        else:
            state[kt] = tuple(v["after"][c] for c in cols)
    return state


def table_state(sql, nkey):
    """{key tuple: row tuple} of `sql`'s rows (ints as ints)."""
    out = {}
    for row in PG.execute(sql):
        vals = tuple(int(x) if x.lstrip("-").isdigit() else x for x in row)
        out[vals[:nkey]] = vals
    return out


def r_events(recs):
    return [(k, v) for k, v in recs if v is not None and v["op"] == "r"]


def start_connect(d, name, prefix, slot, include, signal_table, extra=None):
    worker = os.path.join(d, "worker.properties")
    offsets = os.path.join(d, "connect.offsets")
    with open(worker, "w") as f:
        f.write("bootstrap.servers=%s\n"
                "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "offset.storage.file.filename=%s\n"
                "offset.flush.interval.ms=200\n" % (B.bootstrap, offsets))
    config = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
              "tasks.max": "1",
              "database.hostname": "127.0.0.1",
              "database.port": str(PG.port),
              "database.user": "postgres",
              "database.password": "postgres",
              "database.dbname": "postgres",
              "topic.prefix": prefix,
              "plugin.name": "pgoutput",
              "slot.name": slot,
              "publication.name": slot + "_pub",
              "table.include.list": include,
              "snapshot.mode": "no_data",
              "signal.data.collection": "public." + signal_table,
              "incremental.snapshot.chunk.size": "50",
              "status.update.interval.ms": "500"}
    config.update(extra or {})
    conf = os.path.join(d, name + ".json")
    with open(conf, "w") as f:
        json.dump({"name": name, "config": config}, f)
    c = Connect(["-w", worker, conf], os.path.join(d, "connect.log"), listen="off")
    wait_until(lambda: PG.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = '%s' "
                                  "AND active" % slot), 60, what="slot %s streaming" % slot)
    return c, offsets


def stored_offset(path):
    """The connector's stored source offset (one partition), or None."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    for _, value in doc.get("offsets", []):
        if value:
            return json.loads(value)
    return None


def create_signal_table(name):
    PG.execute("CREATE TABLE %s (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, "
               "data varchar(2048))" % name)


def signal_sql(table, sid, kind, data=None):
    return "INSERT INTO %s VALUES ('%s', '%s', %s);" % (
        table, sid, kind, "NULL" if data is None else "'%s'" % json.dumps(data))


def explain_mismatch(recs, want, d):
    """Prints, for each key whose last event differs from the table, every
    event of that key on the topic (op, snapshot marker, txId, lsn, row), so
    that a failure says which event was missing or late."""
    got = final_state(recs, ["a", "b"], ["a", "b", "v", "n"])
    bad = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    print("  %d keys differ (table vs topic)" % len(bad), flush=True)
    for kt in bad[:10]:
        print("  key %s: table %s, topic %s" % (kt, want.get(kt), got.get(kt)), flush=True)
        for k, v in recs:
            if (k["a"], k["b"]) != kt:
                continue
            if v is None:
                print("    tombstone", flush=True)
                continue
            src = v["source"]
            row = v["after"] or v["before"]
            print("    %s snapshot=%s txId=%s lsn=%s v=%s n=%s" % (
                v["op"], src["snapshot"], src["txId"], src["lsn"], row and row["v"],
                row and row["n"]), flush=True)
    with open(os.path.join(d, "connect.log"), errors="replace") as f:
        lines = [l for l in f if "incremental" in l or "error" in l.lower()]
    print("".join(lines[-40:]), flush=True)


def test_snapshot_with_concurrent_writer_and_kill9():
    d = tempfile.mkdtemp(prefix="runnel-pginc-")
    PG.execute("CREATE TABLE big (a int, b int, v text, n int NOT NULL, PRIMARY KEY (a, b));"
               "INSERT INTO big SELECT i / 50, i % 50, 'v' || i, 0 "
               "FROM generate_series(0, 5999) i;")
    create_signal_table("sig1")
    topic = "inc1.public.big"
    c, offsets = start_connect(d, "inc1", "inc1", "inc1", "public.big", "sig1")
    stop = threading.Event()
    writes = [0]
    rng = random.Random(14)

    def writer():
        # Updates, deletes and re-inserts of random keys through one psql
        # session (each statement its own transaction), as fast as the
        # server takes them; bounded in count.
        p = subprocess.Popen(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(PG.port), "-U",
                              "postgres", "-d", "postgres"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for i in range(4000):
                if stop.is_set():
                    break
                a, bb = rng.randrange(119), rng.randrange(50)  # never the maximum key
                kind = rng.random()
                if kind < 0.5:
                    sql = "UPDATE big SET n = n + 1, v = 'u%d' WHERE a = %d AND b = %d;" % (i, a, bb)
                elif kind < 0.75:
                    sql = "DELETE FROM big WHERE a = %d AND b = %d;" % (a, bb)
                else:
                    sql = ("INSERT INTO big VALUES (%d, %d, 'i%d', 0) ON CONFLICT (a, b) "
                           "DO UPDATE SET v = excluded.v, n = big.n + 1;" % (a, bb, i))
                p.stdin.write((sql + "\n").encode())
                if i % 20 == 0:
                    p.stdin.flush()
                writes[0] += 1
        finally:
            p.stdin.close()
            p.wait(60)
    t = threading.Thread(target=writer)
    try:
        t.start()
        wait_until(lambda: writes[0] >= 200, 30, what="the writer under way")
        PG.execute(signal_sql("sig1", "s1", "execute-snapshot",
                              {"data-collections": ["public.big"], "type": "incremental"}))

        def progress():
            o = stored_offset(offsets)
            return o if o and "incremental_snapshot_primary_key" in o else None
        wait_until(progress, 60, interval=0.01, what="a chunk's progress stored")
        c.stop(signal.SIGKILL)
        at_kill = stored_offset(offsets)
        # The slot was never told more was flushed than the stored offset
        # covers: the transaction the offset stands in (all of it after a
        # whole one) is sent again, or changes past it would be lost.
        confirmed = int(PG.execute("SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM "
                                   "pg_replication_slots WHERE slot_name = 'inc1'")[0][0])
        bound = at_kill.get("flush_lsn", at_kill["lsn_commit"])
        assert confirmed <= bound, "slot confirmed %d past the stored offset %s" % (
            confirmed, at_kill)
        assert "incremental_snapshot_collections" in at_kill, at_kill
        assert json.loads(at_kill["incremental_snapshot_collections"])[0][
            "incremental_snapshot_collections_id"] == "public.big", at_kill
        stored_key = tuple(int(x) for x in json.loads(at_kill["incremental_snapshot_primary_key"]))
        assert json.loads(at_kill["incremental_snapshot_maximum_key"]) == ["119", "49"], at_kill

        writes_at_restart = writes[0]
        c, _ = start_connect(d, "inc1", "inc1", "inc1", "public.big", "sig1")
        wait_until(lambda: writes[0] >= writes_at_restart + 100 or not t.is_alive(), 60,
                   what="writes after the restart")
    finally:
        stop.set()
        t.join(120)
    try:
        want = table_state("SELECT a, b, v, n FROM big", 2)

        def converged():
            recs = consume(topic)
            got = final_state(recs, ["a", "b"], ["a", "b", "v", "n"])
            return recs if got == want else None
        try:
            recs = wait_until(converged, 90, interval=0.5,
                              what="the topic's final state = the table")
        except TimeoutError:
            explain_mismatch(consume(topic), want, d)
            raise
        reads = r_events(recs)
        for k, v in reads:
            assert v["source"]["snapshot"] == "incremental", v["source"]
            assert v["before"] is None and v["after"] is not None, v
        per_key = {}
        for k, _ in reads:
            per_key[(k["a"], k["b"])] = per_key.get((k["a"], k["b"]), 0) + 1
        # Resumed, not restarted: no key up to the stored position was read again.
        twice = [k for k, n in per_key.items() if k <= stored_key and n > 1]
        assert not twice, "keys read again after the restart: %s (stored %s)" % (
            twice[:10], stored_key)
        assert any(k > stored_key for k in per_key), "nothing read after the restart"
        assert max(per_key.values()) <= 2, max(per_key.values())
        # The snapshot finished: its progress left the offset.
        wait_until(lambda: (lambda o: o and "incremental_snapshot_collections" not in o)(
            stored_offset(offsets)), 30, what="the finished snapshot out of the offset")
        print("  stored key at kill %s; %d r events for %d keys; %d writes"
              % (stored_key, len(reads), len(per_key), writes[0]), flush=True)
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_change_streamed_before_it_is_visible():
    """PostgreSQL's visibility race, forced: a transaction whose commit is in
    the WAL (and streamed) but not yet visible to other sessions. A
    synchronous standby that never answers holds the committing backend
    between the two (synchronous_commit=on in that session only). The
    chunk read meanwhile has the row's old value; it must not be emitted
    after the update that the stream already delivered."""
    d = tempfile.mkdtemp(prefix="runnel-pginc-")
    PG.execute("CREATE TABLE vis (id int PRIMARY KEY, v text);"
               "INSERT INTO vis SELECT i, 'old' FROM generate_series(1, 10) i;")
    create_signal_table("sig4")
    topic = "inc4.public.vis"

    def set_system(sync_commit, standby):
        for k, v in (("synchronous_commit", sync_commit),
                     ("synchronous_standby_names", standby)):
            PG.execute("ALTER SYSTEM RESET %s" % k if v is None else
                       "ALTER SYSTEM SET %s = '%s'" % (k, v))
        PG.execute("SELECT pg_reload_conf()")
        wait_until(lambda: PG.execute("SHOW synchronous_standby_names") ==
                   ([[standby]] if standby else []), 30, what="the reloaded configuration")

    set_system("local", "runnel_no_such_standby")
    held = None
    c = None
    try:
        c, _ = start_connect(d, "inc4", "inc4", "inc4", "public.vis", "sig4")
        held = subprocess.Popen(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(PG.port),
                                 "-U", "postgres", "-d", "postgres", "-c",
                                 "SET synchronous_commit = on; "
                                 "UPDATE vis SET v = 'new' WHERE id = 3"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = wait_until(lambda: PG.execute("SELECT pid FROM pg_stat_activity WHERE "
                                            "wait_event = 'SyncRep'"), 30,
                         what="the update waiting for the standby")[0][0]
        wait_until(lambda: any(k["id"] == 3 and v and v["op"] == "u"
                               for k, v in consume(topic)), 60, what="the update streamed")
        assert PG.execute("SELECT v FROM vis WHERE id = 3") == [["old"]], \
            "the update is visible already: the race is not held"
        PG.execute(signal_sql("sig4", "e4", "execute-snapshot",
                              {"data-collections": ["public.vis"], "type": "incremental"}))
        recs = wait_until(lambda: (lambda r: r if any(k["id"] == 10 for k, _ in r_events(r))
                                   else None)(consume(topic)), 60, what="the chunk")
        ops = [(v["op"], v["after"]["v"]) for k, v in recs if v and k["id"] == 3]
        assert ops == [("u", "new")], "the chunk's stale row came after the update: %s" % ops
        assert len(r_events(recs)) == 9, r_events(recs)
    finally:
        if held:
            for row in PG.execute("SELECT pid FROM pg_stat_activity WHERE wait_event = "
                                  "'SyncRep'"):
                PG.execute("SELECT pg_cancel_backend(%s)" % row[0])
            held.wait(60)
        set_system(None, None)
        if c:
            rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    # Released, the update is visible and the topic's last word on it.
    assert PG.execute("SELECT v FROM vis WHERE id = 3") == [["new"]]
    assert final_state(consume(topic), ["id"], ["id", "v"]) == \
        table_state("SELECT id, v FROM vis", 1)


def test_pause_resume_stop():
    d = tempfile.mkdtemp(prefix="runnel-pginc-")
    PG.execute("CREATE TABLE s (id int PRIMARY KEY, v text);"
               "INSERT INTO s SELECT i, 'v' || i FROM generate_series(0, 999) i;")
    create_signal_table("sig2")
    topic = "inc2.public.s"
    c, offsets = start_connect(d, "inc2", "inc2", "inc2", "public.s", "sig2")
    marker = [100000]

    def reads_after_markers():
        # Two changes of s past its maximum key, each awaited on the topic:
        # once the second is there, every chunk whose watermarks were
        # written before the signals took effect has been emitted before it.
        for _ in range(2):
            marker[0] += 1
            m = marker[0]
            PG.execute("INSERT INTO s VALUES (%d, 'marker')" % m)
            wait_until(lambda: any(k["id"] == m for k, v in consume(topic) if v), 60,
                       what="marker %d" % m)
        return len(r_events(consume(topic)))

    try:
        snap = {"data-collections": ["public.s"], "type": "incremental"}
        PG.execute("BEGIN;" + signal_sql("sig2", "e1", "execute-snapshot", snap) +
                   signal_sql("sig2", "p1", "pause-snapshot") + "COMMIT;")
        wait_until(lambda: len(r_events(consume(topic))) >= 50, 60, what="the first chunk")
        n = reads_after_markers()
        assert n == 50, "paused after the first chunk, yet %d rows read" % n
        ids = [k["id"] for k, _ in r_events(consume(topic))]
        assert ids == list(range(50)), ids[:60]

        # Resumed and paused at once: the chunk the resume started is
        # finished, and no other.
        PG.execute("BEGIN;" + signal_sql("sig2", "r1", "resume-snapshot") +
                   signal_sql("sig2", "p2", "pause-snapshot") + "COMMIT;")
        paused = reads_after_markers()
        assert paused == 100, "one more chunk after resume + pause, yet %d rows read" % paused

        PG.execute("BEGIN;" + signal_sql("sig2", "s1", "stop-snapshot", snap) +
                   signal_sql("sig2", "r2", "resume-snapshot") + "COMMIT;")
        n = reads_after_markers()
        assert n == paused, "stopped at %d rows, yet %d read" % (paused, n)
        ids = [k["id"] for k, _ in r_events(consume(topic))]
        assert ids == list(range(paused)), "not in key order, or repeated"
        wait_until(lambda: (lambda o: o and "incremental_snapshot_collections" not in o)(
            stored_offset(offsets)), 30, what="the stopped snapshot out of the offset")
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_table_added_to_include_list():
    d = tempfile.mkdtemp(prefix="runnel-pginc-")
    PG.execute("CREATE TABLE ta (id int PRIMARY KEY, v text);"
               "INSERT INTO ta SELECT i, 'a' || i FROM generate_series(1, 10) i;"
               "CREATE TABLE tb (id int PRIMARY KEY, v text);"
               "INSERT INTO tb SELECT i, 'b' || i FROM generate_series(1, 500) i;")
    create_signal_table("sig3")
    extra = {"snapshot.mode": "initial", "publication.autocreate.mode": "filtered"}
    c, _ = start_connect(d, "inc3", "inc3", "inc3", "public.ta", "sig3", extra)
    try:
        wait_until(lambda: len(consume("inc3.public.ta")) >= 10, 60, what="ta's snapshot")
        pub = PG.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = "
                         "'inc3_pub' ORDER BY 1")
        assert pub == [["sig3"], ["ta"]], pub
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())

    # While tb is not captured, it changes; then it is added to the list.
    PG.execute("UPDATE tb SET v = 'early' WHERE id <= 20; DELETE FROM tb WHERE id > 490;")
    c, _ = start_connect(d, "inc3", "inc3", "inc3", "public.ta,public.tb", "sig3", extra)
    try:
        pub = PG.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = "
                         "'inc3_pub' ORDER BY 1")
        assert pub == [["sig3"], ["ta"], ["tb"]], pub
        PG.execute(signal_sql("sig3", "e3", "execute-snapshot",
                              {"data-collections": ["public\\.t[b]"], "type": "incremental"}))
        PG.execute("UPDATE tb SET v = 'late' WHERE id % 7 = 0; DELETE FROM tb WHERE id = 3;"
                   "INSERT INTO tb VALUES (1000, 'new');")
        want = table_state("SELECT id, v FROM tb", 1)

        def converged():
            recs = consume("inc3.public.tb")
            return recs if final_state(recs, ["id"], ["id", "v"]) == want else None
        recs = wait_until(converged, 60, interval=0.5, what="tb's topic = tb")
        reads = r_events(recs)
        assert reads and all(v["source"]["snapshot"] == "incremental" for _, v in reads)
        assert len(reads) <= 500, len(reads)
        # ta was not snapshotted again.
        ta_reads = r_events(consume("inc3.public.ta"))
        assert len(ta_reads) == 10, len(ta_reads)
        # An additional condition reads only the rows it admits.
        PG.execute(signal_sql("sig3", "e4", "execute-snapshot",
                              {"data-collections": ["public.ta"], "type": "incremental",
                               "additional-conditions": [{"data-collection": "public.ta",
                                                          "filter": "id <= 3"}]}))
        wait_until(lambda: len(r_events(consume("inc3.public.ta"))) >= 13, 60,
                   what="ta's conditional snapshot")
        # A condition the server refuses skips the table; the connector runs on.
        PG.execute(signal_sql("sig3", "e5", "execute-snapshot",
                              {"data-collections": ["public.ta"], "type": "incremental",
                               "additional-condition": "no_such_column = 1"}))
        PG.execute("INSERT INTO ta VALUES (100, 'marker')")
        recs = wait_until(lambda: (lambda r: r if any(k["id"] == 100 for k, _ in r) else None)(
            consume("inc3.public.ta")), 60, what="the marker")
        again = r_events(recs)[10:]
        assert [k["id"] for k, _ in again] == [1, 2, 3], again
        assert all(v["source"]["snapshot"] == "incremental" for _, v in again)
        with open(os.path.join(d, "connect.log"), errors="replace") as f:
            assert "incremental snapshot of public.ta skipped" in f.read(), c.tail()
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def test_bad_signal_config_refused():
    d = tempfile.mkdtemp(prefix="runnel-pginc-")
    # A missing signal table is a clear error at start, not a silent no-op;
    # so are the kafka channel and schema changes.
    worker = os.path.join(d, "worker.properties")
    with open(worker, "w") as f:
        f.write("bootstrap.servers=%s\noffset.storage.file.filename=%s\n"
                % (B.bootstrap, os.path.join(d, "offsets")))
    for extra, expect in [({"signal.data.collection": "public.nosuch"}, "does not exist"),
                          ({"signal.data.collection": "public.sig1",
                            "signal.enabled.channels": "source,kafka"}, "only the source"),
                          ({"signal.data.collection": "public.sig1",
                            "incremental.snapshot.allow.schema.changes": "true"},
                           "not supported")]:
        config = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
                  "database.hostname": "127.0.0.1", "database.port": str(PG.port),
                  "database.user": "postgres", "database.dbname": "postgres",
                  "topic.prefix": "bad", "slot.name": "bad", "snapshot.mode": "no_data"}
        config.update(extra)
        conf = os.path.join(d, "bad.json")
        with open(conf, "w") as f:
            json.dump({"name": "bad", "config": config}, f)
        log = os.path.join(d, "bad.log")
        open(log, "w").close()
        p = subprocess.Popen([BINARY, "connect", "run", "--connect-listen", "off", "-w", worker,
                              conf], stdout=subprocess.DEVNULL, stderr=open(log, "ab"))
        try:
            wait_until(lambda: expect in open(log, errors="replace").read(), 30,
                       what="the error '%s'" % expect)
        finally:
            p.terminate()
            p.wait(60)


if __name__ == "__main__":
    with PostgresServer() as pg, Broker(BINARY) as b:
        PG, B = pg, b
        run([test_snapshot_with_concurrent_writer_and_kill9,
             test_change_streamed_before_it_is_visible, test_pause_resume_stop,
             test_table_added_to_include_list, test_bad_signal_config_refused])
