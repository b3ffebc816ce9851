"""A Kafka Streams 4.x application (java/src/StreamsApp.java: word count
through a repartition topic and a changelog, a windowed count with grace, a
stream-table join through a repartition topic) against runnel. Input arrives
in phases; between phases the broker is restarted cleanly, the application is
replaced by one with no local state (it restores from the changelogs), and
the broker is killed -9 while the application keeps running. After each phase the last value per key
of every output topic must equal what a model of the topology computes.
The whole run is made twice: at_least_once, and exactly_once_v2 (Streams'
transactional producer, sendOffsetsToTransaction and read_committed
restores on runnel's transaction coordinator)."""

import collections
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import jvm
import kafka_raw
from harness import BINARY, Broker, run, wait_until

APP_ID = "runnel-streams-check"
SETTINGS = {"group.initial.rebalance.delay.ms": 100, "group.min.session.timeout.ms": 1000}
INPUTS = ["text-lines", "clicks", "orders", "customers"]
OUTPUTS = ["word-counts", "clicks-per-window", "orders-enriched"]
PARTITIONS = 2
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
WINDOW_MS, GRACE_MS = 10_000, 5_000


class Model:
    """What the topology must output: the last value per key of each topic."""

    def __init__(self):
        self.words = collections.Counter()
        self.windows = collections.Counter()   # "user@start" -> count
        self.stream_time = {}                  # clicks partition -> max timestamp seen
        self.customers = {}
        self.enriched = {}

    def line(self, text):
        for w in re.split(r"\W+", text.lower()):
            if w:
                self.words[w] += 1

    def click(self, partition, user, ts):
        # Kafka Streams' rule: a record joins window [s, s+10 s) unless
        # s + size <= stream time - grace (stream time includes this record).
        st = max(self.stream_time.get(partition, -1), ts)
        self.stream_time[partition] = st
        start = ts - ts % WINDOW_MS
        if start + WINDOW_MS > st - GRACE_MS:
            self.windows["%s@%d" % (user, start)] += 1

    def customer(self, cid, name):
        self.customers[cid] = name

    def order(self, oid, cid, amount):
        if cid in self.customers:  # inner join: no customer, no output
            self.enriched[oid] = "%s:%s:%s" % (oid, self.customers[cid], amount)

    def expected(self):
        return {"word-counts": {k: str(v) for k, v in self.words.items()},
                "clicks-per-window": {k: str(v) for k, v in self.windows.items()},
                "orders-enriched": dict(self.enriched)}


class Outputs:
    """Reads the output topics continuously, keeping the last value per key."""

    def __init__(self, bootstrap, group="streams-check-reader"):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                           "auto.offset.reset": "earliest", "enable.auto.commit": False,
                           "isolation.level": "read_committed"})
        self.c.subscribe(OUTPUTS)
        self.last = {t: {} for t in OUTPUTS}

    def poll(self, seconds=0.5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            m = self.c.poll(0.1)
            if m is None or m.error():
                continue
            v = m.value()
            if m.topic() in ("word-counts", "clicks-per-window"):
                v = str(int.from_bytes(v, "big", signed=True))  # Serdes.Long
            else:
                v = v.decode()
            self.last[m.topic()][m.key().decode()] = v

    def close(self):
        self.c.close()


class App:
    """The Streams application as a JVM process; its output lines are kept."""

    def __init__(self, classes, bootstrap, state_dir, guarantee):
        self.proc = subprocess.Popen(
            jvm.command("kafka-4", classes, "StreamsApp", bootstrap, state_dir, guarantee, heap="384m"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    def state(self):
        states = [l.split()[1] for l in self.lines if l.startswith("STATE ")]
        return states[-1] if states else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=10)
        return self.proc.returncode


def committed_to_end(bootstrap, topic):
    """True once the app's group has committed the end of every partition of topic."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": APP_ID, "enable.auto.commit": False})
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        got = c.committed(tps, timeout=10)
        for tp in got:
            _, hi = c.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
            if tp.offset < hi:
                return False
        return True
    finally:
        c.close()


def check_word_count_windows_join_restart_kill(guarantee):
    classes = jvm.compile_sources("kafka-4", "StreamsApp.java")
    state_dir = tempfile.mkdtemp(prefix="runnel-streams-state-")
    b = Broker(BINARY, settings=SETTINGS)
    app = outputs = None
    try:
        b.start()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for f in admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in INPUTS + OUTPUTS]).values():
            f.result(timeout=30)
        # murmur2 as Java's producers use: the customers table and the
        # repartitioned orders must be co-partitioned for the join.
        producer = Producer({"bootstrap.servers": b.bootstrap, "acks": "all",
                             "enable.idempotence": True, "partitioner": "murmur2_random"})
        model = Model()
        app = App(classes, b.bootstrap, state_dir, guarantee)
        wait_until(lambda: app.state() == "RUNNING" or app.proc.poll() is not None, timeout=120,
                   what="the Streams app to run")
        assert app.state() == "RUNNING", "\n".join(app.lines[-50:])
        outputs = Outputs(b.bootstrap)
        # Event times in the recent past, aligned to windows: records older
        # than retention.ms (7 days) would be deleted by retention, as Kafka does.
        t0 = (int(time.time() * 1000) - 600_000) // WINDOW_MS * WINDOW_MS
        seq = [0]

        def phase(n, customers):
            for cid, name in customers:
                producer.produce("customers", key=cid, value=name)
                model.customer(cid, name)
            assert producer.flush(60) == 0
            # The table must hold the customers before the orders arrive.
            wait_until(lambda: committed_to_end(b.bootstrap, "customers"), timeout=120,
                       what="the app to read the customers")
            for i in range(200):
                k = seq[0]
                seq[0] += 1
                text = " ".join(WORDS[(k * 7 + j * 3) % len(WORDS)] for j in range(1 + k % 4))
                producer.produce("text-lines", value=text)
                model.line(text)
                cid = "c%d" % (k % 5)
                producer.produce("orders", key="o%d" % k, value="%s:%d" % (cid, k * 10))
                model.order("o%d" % k, cid, k * 10)
            # Clicks in event time: two users per partition, windows of 10 s,
            # and a late click after stream time has moved on.
            for part in range(PARTITIONS):
                base = t0 + n * 60_000
                for i, off in enumerate([0, 1_000, 9_999, 10_000, 12_000, 30_000]):
                    user = "u%d%d" % (part, i % 2)
                    producer.produce("clicks", key=user, value="p", partition=part, timestamp=base + off)
                    model.click(part, user, base + off)
                for off in (11_000, 3_000):  # 11 s: within grace of 30 s? no (20 <= 25); 3 s: late
                    user = "u%d0" % part
                    producer.produce("clicks", key=user, value="p", partition=part, timestamp=base + off)
                    model.click(part, user, base + off)
            assert producer.flush(60) == 0
            expected = model.expected()

            def matches():
                outputs.poll()
                return all(outputs.last[t] == expected[t] for t in OUTPUTS)

            try:
                wait_until(matches, timeout=180, interval=0, what="phase %d output" % n)
            except TimeoutError:
                for t in OUTPUTS:
                    diff = {k: (outputs.last[t].get(k), v) for k, v in expected[t].items()
                            if outputs.last[t].get(k) != v}
                    extra = set(outputs.last[t]) - set(expected[t])
                    print("%s: %d differ %s, %d extra %s" % (t, len(diff), list(diff.items())[:5],
                                                             len(extra), list(extra)[:5]))
                # Whether the missing updates are in the log at all: read the
                # output topics again from the start with a fresh consumer.
                again = Outputs(b.bootstrap, group="streams-check-again")
                again.poll(10)
                for t in OUTPUTS:
                    miss = [k for k, v in expected[t].items() if outputs.last[t].get(k) != v]
                    print("%s from the start: %s" % (t, [(k, again.last[t].get(k)) for k in miss[:5]]))
                again.close()
                print("\n".join(app.lines[-40:]))
                raise

        phase(0, [("c%d" % i, "name%d" % i) for i in range(4)])   # c4 unknown: its orders drop
        if guarantee == "exactly_once_v2":
            # Streams committed through runnel's transaction coordinator.
            conn = kafka_raw.Conn(b.port)
            try:
                err, txns = kafka_raw.list_transactions(conn)
            finally:
                conn.close()
            assert err == 0 and any(t[0].startswith(APP_ID) for t in txns), txns
            print("transactions: %s" % sorted(t[0] for t in txns), flush=True)
        b.restart()
        phase(1, [("c4", "late-name4"), ("c1", "renamed1")])
        # A new instance with no local state rebuilds its stores from the
        # compacted changelogs on runnel.
        assert app.stop() in (0, 143), "\n".join(app.lines[-50:])
        shutil.rmtree(state_dir, ignore_errors=True)
        app = App(classes, b.bootstrap, state_dir, guarantee)
        wait_until(lambda: app.state() == "RUNNING" or app.proc.poll() is not None, timeout=120,
                   what="the restarted Streams app to run")
        phase(2, [("c2", "renamed2")])
        b.kill()
        b.start()
        phase(3, [("c0", "renamed0")])
        assert app.proc.poll() is None, "the app died:\n" + "\n".join(app.lines[-50:])
        assert not any(l.startswith("UNCAUGHT") for l in app.lines), "\n".join(app.lines[-50:])
        # Streams made its internal topics on runnel: a repartition topic per
        # key change and a compacted changelog per store.
        topics = admin.list_topics(timeout=10).topics
        internal = sorted(t for t in topics if t.startswith(APP_ID))
        print("internal topics: %s" % internal, flush=True)
        for suffix in ["words-repartition", "word-counts-store-changelog", "clicks-store-changelog"]:
            assert "%s-%s" % (APP_ID, suffix) in internal, internal
        assert any(t.endswith("-repartition") and "words" not in t for t in internal), internal
        from confluent_kafka.admin import ConfigResource
        res = ConfigResource(ConfigResource.Type.TOPIC, "%s-word-counts-store-changelog" % APP_ID)
        cfg = admin.describe_configs([res])[res].result(timeout=30)
        assert cfg["cleanup.policy"].value == "compact", cfg["cleanup.policy"]
        assert app.stop() in (0, 143), "\n".join(app.lines[-50:])
    finally:
        if app:
            app.stop()
        if outputs:
            outputs.close()
        b.cleanup()
        shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(classes, ignore_errors=True)


def test_kafka_streams_at_least_once():
    check_word_count_windows_join_restart_kill("at_least_once")


def test_kafka_streams_exactly_once_v2():
    check_word_count_windows_join_restart_kill("exactly_once_v2")


if __name__ == "__main__":
    run([test_kafka_streams_at_least_once, test_kafka_streams_exactly_once_v2])
