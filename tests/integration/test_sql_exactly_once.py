"""Exactly-once Kafka sinks (docs/sql/README.md, "Exactly-once sinks"): a `runnel sql` process with a
state directory and a catalog topic runs an append-only and an upsert sink with is_exactly_once = 'true'
over a source topic that a producer keeps writing; the SQL process first exits by itself between a
transaction's commit and its state's (a test hook), then is killed with -9 four times at random points,
and restarted each time. A read_committed consumer (confluent-kafka) then finds every expected
record of the append-only sink exactly once, and the upsert sink's last value of each key equal to the
aggregate over every record produced. A second process with the same catalog topic and another state
directory is refused before it can fence the first.

SQL_EOS_AT_LEAST_ONCE=1 runs the same without is_exactly_once, which shows the duplicates the option
removes (the test then fails). SQL_EOS_SEED=n repeats a run. ctest runs this with /usr/bin/python3; it
re-runs itself with the venv's python (py/requirements.txt)."""

import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time

import py_venv  # noqa: E402

py_venv.enter(__file__)

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402

RECORDS = 8000  # source records, produced in batches while the SQL process is killed
KILLS = 5
# The first process exits by itself between a transaction's commit and its state's
# (RUNNEL_SQL_TEST_EXIT_BETWEEN_PHASES) after a few transactions: the statements' three, then some
# of the source's, so that the next start must replay an epoch with records in it.
PARTITIONS = 3
KEYS = 25


def create_topic(b, name, *extra):
    subprocess.run([BINARY, "topic", "create", name, "--partitions", str(PARTITIONS), *extra, "-b", b.bootstrap],
                   check=True, capture_output=True, timeout=60)


def read_committed(b, topic):
    """Every record of `topic` a read_committed consumer sees, from the start to the last stable offset:
    [(key, value)] in partition order."""
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "eos-check-%d" % random.randrange(1 << 30),
                  "isolation.level": "read_committed", "enable.partition.eof": True,
                  "enable.auto.commit": False, "log_level": 3})
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        out, at_end = [], set()
        deadline = time.monotonic() + 30
        while len(at_end) < PARTITIONS:
            assert time.monotonic() < deadline, "%s not read to its end" % topic
            for m in c.consume(500, timeout=0.5):
                if m.error():
                    if m.error().code() == -191:  # _PARTITION_EOF
                        at_end.add(m.partition())
                        continue
                    raise AssertionError(m.error())
                at_end.discard(m.partition())
                out.append((m.key(), m.value()))
        return out
    finally:
        c.close()


class CommittedCount:
    """How many records of `topic` a read_committed consumer has seen so far (read on at each call)."""

    def __init__(self, b, topic):
        self.c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "eos-count",
                           "isolation.level": "read_committed", "enable.auto.commit": False, "log_level": 3})
        self.c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        self.n = 0

    def __call__(self):
        for m in self.c.consume(1000, timeout=0.05):
            if not m.error():
                self.n += 1
        return self.n

    def close(self):
        self.c.close()


def test_sinks_exactly_once_through_kill9():
    """Append-only and upsert exactly-once sinks while the SQL process dies five times: once between the
    two phases of a commit (the restart replays that epoch with the sinks muted), four times by kill -9."""
    seed = int(os.environ.get("SQL_EOS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    eos = "" if os.environ.get("SQL_EOS_AT_LEAST_ONCE") else ", is_exactly_once = 'true'"
    state = tempfile.mkdtemp(prefix="runnel-sql-eos-")
    with Broker(BINARY) as b:
        create_topic(b, "events")
        create_topic(b, "events_out")
        create_topic(b, "per_key_out", "--config", "cleanup.policy=compact")
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state)
        if eos:
            os.environ["RUNNEL_SQL_TEST_EXIT_BETWEEN_PHASES"] = str(3 + rng.randrange(2, 12))
        s = SqlServer(*args)
        os.environ.pop("RUNNEL_SQL_TEST_EXIT_BETWEEN_PHASES", None)
        s.psql("CREATE SOURCE events (id INT, k INT, v INT) WITH (connector = 'kafka', topic = 'events') "
               "FORMAT PLAIN ENCODE JSON",
               "CREATE SINK events_sink AS SELECT id, k, v FROM events WHERE v %% 3 <> 0 "
               "WITH (connector = 'kafka', topic = 'events_out'%s) FORMAT PLAIN ENCODE JSON" % eos,
               "CREATE MATERIALIZED VIEW per_key AS SELECT k, count(*) AS n, sum(v) AS total FROM events "
               "GROUP BY k",
               "CREATE SINK per_key_sink FROM per_key WITH (connector = 'kafka', topic = 'per_key_out'%s) "
               "FORMAT UPSERT ENCODE JSON" % eos)
        produced = []
        failure = []

        def produce():
            # The source, written in small batches (bounded), so that every kill lands mid-stream.
            wrng = random.Random(seed + 1)  # its own: the main thread draws from rng meanwhile
            try:
                p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "log_level": 3})
                for i in range(1, RECORDS + 1):
                    row = {"id": i, "k": wrng.randrange(KEYS), "v": wrng.randrange(1000)}
                    p.produce("events", value=json.dumps(row))
                    produced.append(row)
                    if i % 50 == 0:
                        assert p.flush(30) == 0
                        time.sleep(0.08)
                assert p.flush(30) == 0
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                failure.append(e)

        writer = threading.Thread(target=produce)
        writer.start()
        committed = CommittedCount(b, "events_out")
        try:
            replays = 0
            for kill in range(KILLS):
                if kill == 0 and eos:
                    # This process was started to exit after a few transactions, before their state.
                    assert s.proc.wait(timeout=60) == 9, s.stderr()[-2000:]
                    assert "exiting between the phases of epoch" in s.stderr(), s.stderr()[-2000:]
                else:
                    # Killed once the sink has committed more since the last start (a random amount): a
                    # restart's replayed epoch is followed by a commit, which would show its output if
                    # the replay were not muted.
                    seen = committed()
                    more = rng.randrange(50, 400)
                    wait_until(lambda: committed() >= seen + more or not writer.is_alive(),
                               timeout=60, what="the sink committing before kill %d" % kill)
                    s.proc.kill()
                    s.proc.wait()
                s = SqlServer(*args)
                if "replaying it with the sinks muted" in s.stderr():
                    replays += 1
                    wait_until(lambda: "replayed; the sinks go on" in s.stderr(), what="the replay's end")
                if kill == 0 and eos:
                    assert "replaying it with the sinks muted" in s.stderr(), s.stderr()[-2000:]
            print("  %d kills, %d restarts replayed the last epoch, SQL_EOS_SEED=%d" % (KILLS, replays, seed))
            writer.join(timeout=120)
            assert not writer.is_alive() and not failure, failure
            want_rows = sorted(r["id"] for r in produced if r["v"] % 3 != 0)
            per_key = {}
            for r in produced:
                n, total = per_key.get(r["k"], (0, 0))
                per_key[r["k"]] = (n + 1, total + r["v"])

            def sink_ids():
                return sorted(json.loads(v)["id"] for _, v in read_committed(b, "events_out"))

            # Everything is through once the process has read the whole source and the sink caught up.
            wait_until(lambda: len(sink_ids()) >= len(want_rows), timeout=60, what="the append-only sink")
            got = sink_ids()
            dups = sorted({i for i in got if got.count(i) > 1})
            assert got == want_rows, "SQL_EOS_SEED=%d: %d records, %d expected, %d duplicated ids (%s), missing %s" % (
                seed, len(got), len(want_rows), len(dups), dups[:10], sorted(set(want_rows) - set(got))[:10])

            def upsert_state():
                last = {}
                for k, v in read_committed(b, "per_key_out"):
                    key = json.loads(k)["k"]
                    if v is None:
                        last.pop(key, None)
                    else:
                        row = json.loads(v)
                        last[key] = (row["n"], row["total"])
                return last

            wait_until(lambda: upsert_state() == per_key, timeout=60, what="the upsert sink's final state")
            # The view agrees with its sink.
            rows = s.psql("SELECT k, n, total FROM per_key").stdout.split()
            assert {int(k): (int(n), int(t)) for k, n, t in (r.split("|") for r in rows)} == per_key
        finally:
            writer.join(timeout=120)
            committed.close()
            assert s.stop() == 0, s.stderr()
        if not eos:
            shutil.rmtree(state, ignore_errors=True)
            return
        # The restarts replayed or fenced as the log says; a clean stop leaves nothing to replay.
        s = SqlServer(*args)
        try:
            other = tempfile.mkdtemp(prefix="runnel-sql-eos-other-")
            # Another state directory with the same catalog topic: refused, and the first one is not fenced.
            try:
                r = subprocess.run([BINARY, "sql", "--listen", "127.0.0.1:0", "--brokers", b.bootstrap,
                                    "--catalog-topic", "_sql_catalog", "--state-dir", other],
                                   capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired as e:
                raise AssertionError("a second process was not refused: %s %s" % (e.stdout, e.stderr))
            shutil.rmtree(other, ignore_errors=True)
            assert r.returncode != 0 and "this state is not the one those transactions came from" in r.stderr, (
                r.returncode, r.stderr[-2000:])
            p = Producer({"bootstrap.servers": b.bootstrap, "log_level": 3})
            p.produce("events", value=json.dumps({"id": RECORDS + 1, "k": 0, "v": 1}))
            assert p.flush(30) == 0
            del p
            wait_until(lambda: RECORDS + 1 in [json.loads(v)["id"] for _, v in read_committed(b, "events_out")],
                       timeout=30, what="the first process still committing")
            assert s.proc.poll() is None, s.stderr()
        finally:
            assert s.stop() == 0, s.stderr()
    shutil.rmtree(state, ignore_errors=True)


def test_fenced_process_exits():
    """Two processes with the same catalog topic and the same state (a copy taken while the first was
    idle): the second fences the first, whose next transaction fails, so it exits with status 3 and says
    why; the sink holds every record once, written by the second."""
    state = tempfile.mkdtemp(prefix="runnel-sql-eos-a-")
    copy = tempfile.mkdtemp(prefix="runnel-sql-eos-b-")
    shutil.rmtree(copy)
    with Broker(BINARY) as b:
        create_topic(b, "events")
        create_topic(b, "events_out")
        common = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog")
        first = SqlServer(*common, "--state-dir", state)
        second = None
        p = Producer({"bootstrap.servers": b.bootstrap, "log_level": 3})

        def produce(ids):
            for i in ids:
                p.produce("events", value=json.dumps({"id": i, "k": 0, "v": 1}))
            assert p.flush(30) == 0

        def ids():
            return sorted(json.loads(v)["id"] for _, v in read_committed(b, "events_out"))

        try:
            first.psql("CREATE SOURCE events (id INT, k INT, v INT) WITH (connector = 'kafka', topic = 'events') "
                       "FORMAT PLAIN ENCODE JSON",
                       "CREATE SINK events_sink AS SELECT id FROM events "
                       "WITH (connector = 'kafka', topic = 'events_out', is_exactly_once = 'true')")
            produce(range(1, 11))
            wait_until(lambda: ids() == list(range(1, 11)), what="the first process's records")
            first.psql("FLUSH")  # committed: the state and the marker are at the same epoch, and it is idle
            shutil.copytree(state, copy)
            second = SqlServer(*common, "--state-dir", copy)
            produce(range(11, 21))
            assert first.proc.wait(timeout=30) == 3, first.stderr()[-2000:]
            assert "exactly-once sinks: the transaction of epoch" in first.stderr(), first.stderr()[-2000:]
            wait_until(lambda: ids() == list(range(1, 21)), what="the second process's records")
        finally:
            if second:
                assert second.stop() == 0, second.stderr()
            first.stop()
    shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    run([test_sinks_exactly_once_through_kill9, test_fenced_process_exits])
