"""The stream examples (examples/) as processes against a real broker: each
one's exact output for a known input; a clean restart (SIGTERM) continues
exactly where it stopped; a kill -9 loses no update (at-least-once), and
with --processing-guarantee exactly_once_v2 repeated kill -9s give exactly
the model's counts; two
instances with one application id split the partitions, and when one is
killed the other takes its tasks over with their state restored from the
changelogs.

Run as `/usr/bin/python3 test_stream_examples.py PATH/TO/runnel`. The example
binaries are taken from $RUNNEL_EXAMPLES (a directory), else from the
`examples` directory beside the runnel binary (where the build puts them).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import defaultdict

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, free_port, run, wait_until

EXAMPLES = os.environ.get("RUNNEL_EXAMPLES") or os.path.join(
    os.path.dirname(os.path.abspath(BINARY)), "examples")

MINUTE = 60_000
WINDOW = 15 * MINUTE  # page-visits: hopping windows 15 min long ...
ADVANCE = MINUTE      # ... starting every minute
GRACE = 30_000        # page-visits' default --grace-ms
# Event times start at a round time (a multiple of 15 min) an hour ago:
# recent, because the broker's time-based retention would delete records with
# old timestamps (outputs carry event time) while a test reads them.
BASE = int(time.time() * 1000) // WINDOW * WINDOW - 4 * WINDOW


class App:
    """One example process; its log (stdout and stderr) goes to a file."""

    def __init__(self, name, bootstrap, state_dir, *extra):
        self.name = name
        self.log_path = os.path.join(state_dir, "%s-%d.log" % (name, int(time.monotonic() * 1e6)))
        self.args = [os.path.join(EXAMPLES, name), "--brokers", bootstrap, "--state-dir", state_dir]
        if "--commit-interval-ms" not in extra:
            self.args += ["--commit-interval-ms", "200"]
        self.args += list(extra)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def wait_for_log(self, needle, timeout=60):
        def seen():
            if needle in self.text():
                return True
            assert self.alive(), "%s exited (%s):\n%s" % (self.name, self.proc.returncode, self.text())
            return False
        wait_until(seen, timeout=timeout, what="%r in the %s log" % (needle, self.name))

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Sends `sig` and waits; returns the exit code (a hung process is killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("%s did not exit within %ds of signal %d" % (self.name, timeout, sig))
        self.log.close()
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)


class Env:
    """A broker, a temporary state directory, and every app started in it;
    all stopped and removed on exit."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="runnel-stream-it-")
        self.broker = Broker(BINARY).start()
        self.bootstrap = self.broker.bootstrap
        self.admin = AdminClient({"bootstrap.servers": self.bootstrap})
        self.apps = []
        self.readers = []
        return self

    def __exit__(self, *exc):
        for r in self.readers:
            r.close()
        for a in self.apps:
            try:
                a.stop(signal.SIGKILL)
            except Exception:
                pass
        self.broker.cleanup()
        if exc[0] is not None:
            for a in self.apps:
                # Without the periodic metrics lines, but with the last of them.
                lines = a.text().splitlines()
                keep = [l for l in lines if ": in " not in l or "CONFWARN" in l][-60:]
                keep += [l for l in lines if ": in " in l][-8:]
                print("---- %s log (%s)\n%s" % (a.name, " ".join(a.args[1:]), "\n".join(keep)))
        shutil.rmtree(self.dir, ignore_errors=True)

    def topics(self, partitions, *names):
        fs = self.admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        for f in fs.values():
            f.result(timeout=30)

    def start(self, name, *extra, state_dir=None):
        d = state_dir or os.path.join(self.dir, "state")
        os.makedirs(d, exist_ok=True)
        a = App(name, self.bootstrap, d, *extra)
        self.apps.append(a)
        return a

    def produce(self, topic, records):
        """records: (key, value) pairs; a dict value is sent as JSON, None as a tombstone."""
        p = Producer({"bootstrap.servers": self.bootstrap, "acks": "all", "linger.ms": 5,
                      "partitioner": "murmur2_random"})
        for k, v in records:
            if isinstance(v, dict):
                v = json.dumps(v)
            while True:
                try:
                    p.produce(topic, key=k, value=v)
                    break
                except BufferError:
                    p.poll(0.05)
        assert p.flush(60) == 0, "records still in flight"

    def reader(self, topic):
        r = Reader(self.bootstrap, topic)
        self.readers.append(r)
        return r

    def end_offsets(self, topic):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "unused"})
        try:
            md = c.list_topics(topic, timeout=10).topics[topic]
            if md.error is not None:
                raise KafkaException(md.error)
            return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                    for p in md.partitions}
        finally:
            c.close()

    def committed(self, group, topic):
        """The group's committed offset per partition of `topic` (-1001: none)."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            md = c.list_topics(topic, timeout=10).topics[topic]
            tps = c.committed([TopicPartition(topic, p) for p in md.partitions], timeout=10)
            return {tp.partition: tp.offset for tp in tps}
        finally:
            c.close()

    def internal_topics(self, app_id, suffix):
        md = self.admin.list_topics(timeout=10)
        return sorted(t for t in md.topics if t.startswith(app_id + "-") and t.endswith(suffix))

    def wait_all_committed(self, group, topics, timeout=60):
        """Waits until the group has committed the end of every partition of `topics`."""
        def done():
            for t in topics:
                ends = self.end_offsets(t)
                got = self.committed(group, t)
                if any(got.get(p, -1) != e for p, e in ends.items() if e > 0):
                    return False
            return True
        wait_until(done, timeout=timeout, interval=0.2, what="%s to commit %s" % (group, topics))


class Reader:
    """Reads a topic from the beginning in the background, keeping
    (key, value) in arrival order (per partition, the log's order)."""

    def __init__(self, bootstrap, topic):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-%s" % topic,
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                  "topic.metadata.refresh.interval.ms": 1000})
        self.consumer.subscribe([topic])
        self.records = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            m = self.consumer.poll(0.1)
            if m is None or m.error():
                continue
            k = m.key().decode() if m.key() is not None else None
            v = json.loads(m.value()) if m.value() is not None else None
            with self.lock:
                self.records.append((k, v))
        self.consumer.close()

    def count(self):
        with self.lock:
            return len(self.records)

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def wait_count(self, n, timeout=60):
        wait_until(lambda: self.count() >= n, timeout=timeout, interval=0.05,
                   what="%d output records (have %d)" % (n, self.count()))
        return self.snapshot()

    def wait(self, cond, timeout=60, what="output"):
        wait_until(lambda: cond(self.snapshot()), timeout=timeout, interval=0.1, what=what)
        return self.snapshot()

    def close(self):
        if not self.done.is_set():
            self.done.set()
            self.thread.join(timeout=10)


def settle(reader, quiet=1.0, timeout=30):
    """After the output reached what it must, waits until it stops growing for
    `quiet` seconds, so that an unexpected extra record is seen."""
    last = -1
    since = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = reader.count()
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return reader.snapshot()
        time.sleep(0.05)
    return reader.snapshot()


# ---- reference models ----

def page_visits_model(events, state=None):
    """page-visits on `events` (user, page, ts) read in order from one
    partition: the updates each page gets, in order. `state` carries the
    counts and stream time across calls."""
    if state is None:
        state = {"counts": defaultdict(int), "stream_time": None}
    out = defaultdict(list)
    for _, page, ts in events:
        st = ts if state["stream_time"] is None else max(state["stream_time"], ts)
        state["stream_time"] = st
        bound = (st - WINDOW - GRACE) // ADVANCE * ADVANCE  # windows starting at or below are closed
        first = ts // ADVANCE * ADVANCE - WINDOW + ADVANCE
        for start in range(first, ts // ADVANCE * ADVANCE + 1, ADVANCE):
            if start <= bound:
                continue
            state["counts"][(page, start)] += 1
            out[page].append({"page": page, "window_start": start, "window_end": start + WINDOW,
                              "visits": state["counts"][(page, start)]})
    return out, state


def by_key(records):
    out = defaultdict(list)
    for k, v in records:
        out[k].append(v)
    return out


def final_counts(records):
    """The largest visit count seen per (page, window start)."""
    best = {}
    for k, v in records:
        w = (k, v["window_start"])
        best[w] = max(best.get(w, 0), v["visits"])
    return best


def pageview(user, page, ts):
    return (user.encode(), {"user": user, "page": page, "ts": ts})


# ---- the examples' outputs ----

def read_with_headers(bootstrap, topic, n, timeout=60):
    """The first n records of `topic`: (key, value, headers dict), raw bytes."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "dlq-reader",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    try:
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None or m.error():
                continue
            got.append((m.key(), m.value(), {k: v.decode() for k, v in (m.headers() or [])}))
    finally:
        c.close()
    assert len(got) >= n, got
    return got


def test_receipts():
    with Env() as env:
        env.topics(2, "purchases", "receipts", "receipts-dlq")
        out = env.reader("receipts")
        app = env.start("receipts", "--dead-letter-topic", "receipts-dlq")
        purchases = [
            {"order_id": "o-1", "customer_id": "alice", "ts": BASE,
             "items": [{"sku": "book", "quantity": 2, "price": 12.5}, {"sku": "pen", "quantity": 1, "price": 1.25}]},
            {"order_id": "o-2", "customer_id": "bob", "ts": BASE + 1, "items": []},
            {"order_id": "o-3", "customer_id": "alice", "ts": BASE + 2,
             "items": [{"sku": "lamp", "quantity": 3, "price": 20.0}]},
        ]
        records = [(p["customer_id"].encode(), p) for p in purchases]
        # Not a Purchase: skipped to the dead-letter topic, the app goes on.
        records.insert(1, (b"mallory", '{"order_id": 7}'))
        env.produce("purchases", records)
        out.wait_count(3)
        [(k, v, h)] = read_with_headers(env.bootstrap, "receipts-dlq", 1)
        assert (k, v) == (b"mallory", b'{"order_id": 7}'), (k, v)
        assert h["runnel.source.topic"] == "purchases" and "order_id" in h["runnel.error"], h
        assert h["runnel.application.id"] == "receipts", h
        got = by_key(settle(out))
        assert got == {
            "alice": [
                {"receipt_id": "R-o-1", "order_id": "o-1", "customer_id": "alice", "item_count": 3,
                 "total": 26.25, "message": "Thank you for your order, alice: 3 items, 26.25 total."},
                {"receipt_id": "R-o-3", "order_id": "o-3", "customer_id": "alice", "item_count": 3,
                 "total": 60.0, "message": "Thank you for your order, alice: 3 items, 60.00 total."},
            ],
            "bob": [
                {"receipt_id": "R-o-2", "order_id": "o-2", "customer_id": "bob", "item_count": 0,
                 "total": 0.0, "message": "Thank you for your order, bob: 0 items, 0.00 total."},
            ],
        }, got
        out.close()
        assert app.stop() == 0


def test_page_visits_windows_and_late_views():
    with Env() as env:
        # One input partition: the re-keyed views reach the counting task in
        # the order produced, so the updates are exactly the model's.
        env.topics(1, "pageviews", "page-visits")
        out = env.reader("page-visits")
        env.start("page-visits")
        events = [
            ("alice", "/home", BASE + 10_000),
            ("bob", "/home", BASE + 20_000),
            ("alice", "/cart", BASE + 70_000),
            ("carol", "/home", BASE + 5 * MINUTE),
            ("bob", "/home", BASE + 5 * MINUTE - 40_000),        # out of order, within grace
            ("dave", "/cart", BASE + 16 * MINUTE + 10_000),      # closes windows starting <= BASE
            ("erin", "/home", BASE + 3 * MINUTE + 20_000),      # late for 12 of its 15 windows
            ("gina", "/home", BASE + 20_000),                   # late for all of them: dropped
            ("frank", "/home", BASE + 15 * MINUTE + 10_000),
        ]
        env.produce("pageviews", [pageview(*e) for e in events])
        expected, _ = page_visits_model(events)
        n = sum(len(v) for v in expected.values())
        out.wait_count(n)
        got = by_key(settle(out))
        assert set(got) == set(expected), (sorted(got), sorted(expected))
        for page in expected:
            assert got[page] == expected[page], (page, got[page], expected[page])
        # The model agrees with the comments above: erin's view is counted in
        # 3 windows, gina's in none.
        assert len(page_visits_model(events[:7])[0]["/home"]) == len(page_visits_model(events[:6])[0]["/home"]) + 3
        assert len(page_visits_model(events[:8])[0]["/home"]) == len(page_visits_model(events[:7])[0]["/home"])
        out.close()


def test_error_alerts_one_alert_per_window():
    with Env() as env:
        env.topics(2, "logs", "alerts")
        out = env.reader("alerts")
        env.start("error-alerts", "--threshold", "3")

        def line(app, level, ts, msg="boom"):
            return (b"host-1", {"app": app, "level": level, "message": msg, "ts": ts})

        records = [
            line("checkout", "ERROR", BASE + 0),
            line("checkout", "INFO", BASE + 1_000),
            line("checkout", "ERROR", BASE + 60_000),
            line("search", "ERROR", BASE + 61_000),
            line("checkout", "ERROR", BASE + 120_000),   # 4 in [t - 5 min, t]: an alert
            line("checkout", "ERROR", BASE + 120_000),   # the same window: still one alert
            line("checkout", "WARN", BASE + 130_000),
            line("checkout", "ERROR", BASE + 370_000),   # 120 s twice and 370 s: an alert
            line("search", "ERROR", BASE + 400_000),     # 1 in its window: none
            line("checkout", "ERROR", BASE + 700_000),   # 1: none
            line("checkout", "ERROR", BASE + 100_000),   # late (stream time 700 s): dropped
            # Stream time is per task: move both apps' tasks past every window above.
            line("checkout", "ERROR", BASE + 1_000_000),
            line("search", "ERROR", BASE + 1_000_000),
        ]
        env.produce("logs", records)
        expected = {"checkout": [
            {"app": "checkout", "errors": 4, "window_start": BASE + 120_000 - 300_000, "window_end": BASE + 120_001},
            {"app": "checkout", "errors": 3, "window_start": BASE + 370_000 - 300_000, "window_end": BASE + 370_001},
        ]}
        out.wait_count(2)
        got = by_key(settle(out, quiet=2.0))
        assert got == expected, got
        out.close()


def test_enrichment_left_join():
    with Env() as env:
        env.topics(2, "orders", "customers", "enriched-orders")
        out = env.reader("enriched-orders")
        app = env.start("enrichment")
        changelog = "enrichment-customers-store-changelog"

        def table_has(n):
            def enough():
                try:
                    return sum(env.end_offsets(changelog).values()) >= n
                except KafkaException:  # not created yet, or its leader not ready yet
                    return False
            wait_until(enough, timeout=60, interval=0.1, what="%d customer changes in the table" % n)

        alice = {"id": "c1", "name": "Alice", "tier": "gold"}
        bob = {"id": "c2", "name": "Bob", "tier": "silver"}
        env.produce("customers", [(b"c1", alice), (b"c2", bob)])
        table_has(2)

        def order(oid, cid, amount):
            return (cid.encode(), {"order_id": oid, "customer_id": cid, "amount": amount})

        env.produce("orders", [order("o1", "c1", 10.5), order("o2", "c9", 3.0), order("o3", "c2", 7.25)])
        out.wait_count(3)
        # A changed customer and a deleted one (a tombstone).
        env.produce("customers", [(b"c1", dict(alice, tier="platinum")), (b"c2", None)])
        table_has(4)
        env.produce("orders", [order("o4", "c1", 1.0), order("o5", "c2", 2.0)])
        out.wait_count(5)
        got = by_key(settle(out))
        assert got == {
            "c1": [{"order_id": "o1", "customer_id": "c1", "amount": 10.5, "customer": alice},
                   {"order_id": "o4", "customer_id": "c1", "amount": 1.0,
                    "customer": dict(alice, tier="platinum")}],
            "c9": [{"order_id": "o2", "customer_id": "c9", "amount": 3.0, "customer": None}],
            "c2": [{"order_id": "o3", "customer_id": "c2", "amount": 7.25, "customer": bob},
                   {"order_id": "o5", "customer_id": "c2", "amount": 2.0, "customer": None}],
        }, got
        out.close()
        assert app.stop() == 0


# ---- processes: restart, kill -9, failover ----

def test_clean_restart_continues_exactly():
    with Env() as env:
        env.topics(1, "pageviews", "page-visits")
        out = env.reader("page-visits")
        pages = ["/home", "/cart", "/faq"]
        first = [("u%d" % i, pages[i % 3], BASE + i * 7_000) for i in range(60)]
        second = [("u%d" % i, pages[i % 2], BASE + 420_000 + i * 5_000) for i in range(60)]
        expected1, state = page_visits_model(first)
        expected2, _ = page_visits_model(second, state)

        app = env.start("page-visits")
        env.produce("pageviews", [pageview(*e) for e in first])
        out.wait_count(sum(len(v) for v in expected1.values()))
        started = time.monotonic()
        assert app.stop(signal.SIGTERM, timeout=30) == 0, app.text()
        took = time.monotonic() - started
        assert took < 15, "SIGTERM took %.1fs" % took
        print("  SIGTERM: exited 0 in %.2fs" % took)
        assert "stopped" in app.text()

        env.start("page-visits")
        env.produce("pageviews", [pageview(*e) for e in second])
        want = {p: expected1.get(p, []) + expected2.get(p, []) for p in set(expected1) | set(expected2)}
        out.wait_count(sum(len(v) for v in want.values()))
        got = by_key(settle(out))
        # Nothing reprocessed, nothing lost: the exact updates of one run.
        for page in want:
            assert got[page] == want[page], (page, len(got[page]), len(want[page]))
        assert set(got) == set(want)
        out.close()


def test_kill_minus_nine_loses_no_update():
    with Env() as env:
        env.topics(1, "pageviews", "page-visits")
        out = env.reader("page-visits")
        pages = ["/p%d" % i for i in range(5)]
        # Every view in one minute: each is in the same 15 windows, none late
        # however often a view is read again.
        events = [("u%d" % i, pages[i % 5], BASE + (i * 11) % 60_000) for i in range(3000)]
        expected = defaultdict(int)
        for _, page, ts in events:
            for start in range(ts // ADVANCE * ADVANCE - WINDOW + ADVANCE, ts + 1, ADVANCE):
                expected[(page, start)] += 1

        # The killed member holds its place for session.timeout.ms; the
        # restarted one waits that long for its assignment, and says so.
        fast = ["--client-property", "session.timeout.ms=10000",
                "--client-property", "heartbeat.interval.ms=500"]
        app = env.start("page-visits", "--commit-interval-ms", "100", *fast)
        # Views keep coming while the app is killed and restarted.
        sent = [0]

        def produce_all():
            for i in range(0, len(events), 100):
                env.produce("pageviews", [pageview(*e) for e in events[i:i + 100]])
                sent[0] = i + 100
                time.sleep(0.05)  # paces the input; not a synchronisation

        producer = threading.Thread(target=produce_all)
        producer.start()
        try:
            out.wait_count(15 * 300, timeout=60)
            assert app.kill() == -signal.SIGKILL
            in_output = out.count()
            # Restarted at once, so that it joins well within the dead
            # member's session: it then waits for it, 2 s and more.
            again = env.start("page-visits", *fast)
        finally:
            producer.join()
        assert in_output < 15 * len(events), "everything was counted before the kill"
        # The line comes 2 s into the wait; the counts may be whole before
        # that (when the first run had counted every view before its kill).
        def said_what_it_waits_for():
            return any("waiting" in line and "session.timeout.ms = 10000" in line
                       for line in again.text().splitlines())
        try:
            wait_until(said_what_it_waits_for, timeout=30, what="the restarted app's waiting line")
        except TimeoutError:
            raise AssertionError("the restarted app did not say what it waited for:\n" + again.text()[-3000:])
        got = out.wait(lambda recs: all(final_counts(recs).get(w, 0) >= n for w, n in expected.items()),
                       timeout=90, what="every view counted")
        counts = final_counts(settle(out))
        assert set(counts) == set(expected)
        # At-least-once: no view is lost. A view processed but not committed
        # before the kill is counted again after the restart (an over-count
        # that only exactly-once commits remove), so totals may exceed.
        lost = {w: (counts[w], n) for w, n in expected.items() if counts[w] < n}
        assert not lost, lost
        over = max(counts[w] - n for w, n in expected.items())
        assert over <= len(events), over
        print("  kill -9: %d windows, largest over-count %d, %d updates before the kill"
              % (len(expected), over, in_output))
        out.close()


def test_exactly_once_kill_minus_nine_counts_exactly(kills=4):
    """exactly_once_v2: page-visits is kill -9'd again and again while views
    arrive and while it catches up; a read_committed reader sees each
    window's count only rise, one update after another, and end at exactly
    the model's count — no view lost, none counted twice."""
    with Env() as env:
        env.topics(1, "pageviews", "page-visits")
        out = env.reader("page-visits")  # librdkafka's default: read_committed
        pages = ["/p%d" % i for i in range(5)]
        events = [("u%d" % i, pages[i % 5], BASE + (i * 11) % 60_000) for i in range(6000)]
        expected = defaultdict(int)
        for _, page, ts in events:
            for start in range(ts // ADVANCE * ADVANCE - WINDOW + ADVANCE, ts + 1, ADVANCE):
                expected[(page, start)] += 1

        flags = ["--processing-guarantee", "exactly_once_v2", "--commit-interval-ms", "100",
                 "--client-property", "session.timeout.ms=6000",
                 "--client-property", "heartbeat.interval.ms=500"]
        app = env.start("page-visits", *flags)
        app.wait_for_log("exactly-once, transactional.id")

        def produce_all():
            for i in range(0, len(events), 100):
                env.produce("pageviews", [pageview(*e) for e in events[i:i + 100]])
                time.sleep(0.1)  # paces the input; not a synchronisation

        producer = threading.Thread(target=produce_all)
        producer.start()
        killed_at = []
        try:
            for _ in range(kills):
                # Killed while it works: once its output grew since it started.
                before = out.count()
                out.wait_count(before + 300, timeout=90)
                assert app.kill() == -signal.SIGKILL
                killed_at.append(out.count())
                app = env.start("page-visits", *flags)
        finally:
            producer.join()
        assert killed_at[0] < 15 * len(events), "everything was counted before the first kill"
        out.wait(lambda recs: all(final_counts(recs).get(w, 0) >= n for w, n in expected.items()),
                 timeout=120, what="every view counted")
        records = settle(out)
        counts = final_counts(records)
        assert set(counts) == set(expected)
        wrong = {w: (counts[w], n) for w, n in expected.items() if counts[w] != n}
        assert not wrong, "counts differ from the model: %s" % list(wrong.items())[:10]
        # Each window's updates in log order: strictly rising (a view counted
        # twice, or state rolled back, would repeat or lower a count).
        seen = {}
        for k, v in records:
            w = (k, v["window_start"])
            assert v["visits"] > seen.get(w, 0), (w, seen.get(w), v["visits"])
            seen[w] = v["visits"]
        # The kills left no checkpoint: the stores are rebuilt from their
        # changelogs' committed records. The last instance may not have its
        # tasks yet (the one before it can have counted everything before it
        # was killed, and the dead members' sessions must time out first), so
        # wait for its restore rather than read its log at once.
        wait_until(lambda: "rebuilding it" in app.text() or "restored store" in app.text(),
                   timeout=60, what="the last instance's restore in its log")
        print("  exactly-once kill -9 x%d: %d windows exact, %d updates, kills at %s"
              % (kills, len(expected), len(records), killed_at))
        assert app.stop() == 0, app.text()
        out.close()


def test_two_instances_split_and_fail_over():
    with Env() as env:
        env.topics(4, "pageviews", "page-visits")
        out = env.reader("page-visits")
        pages = ["/p%d" % i for i in range(8)]
        flags = ["--client-property", "session.timeout.ms=6000",
                 "--client-property", "heartbeat.interval.ms=500",
                 "--metrics-log-interval-ms", "300"]
        a = env.start("page-visits", *flags, state_dir=os.path.join(env.dir, "a"))
        b = env.start("page-visits", *flags, state_dir=os.path.join(env.dir, "b"))

        def owns_tasks(app):
            # The last assignment it logged gave it partitions.
            lines = [l for l in app.text().splitlines() if "assigned" in l]
            return lines and " assigned 0 partitions" not in lines[-1]

        wait_until(lambda: owns_tasks(a) and owns_tasks(b), timeout=90, what="both instances to own tasks")

        def views(n, offset):
            return [("user-%d" % ((offset + i) % 40), pages[(offset + i) % 8], BASE + ((offset + i) * 13) % 60_000)
                    for i in range(n)]

        def expect(events):
            want = defaultdict(int)
            for _, page, ts in events:
                for start in range(ts // ADVANCE * ADVANCE - WINDOW + ADVANCE, ts + 1, ADVANCE):
                    want[(page, start)] += 1
            return want

        first = views(800, 0)
        env.produce("pageviews", [pageview(*e) for e in first])
        want1 = expect(first)
        try:
            out.wait(lambda r: final_counts(r) == want1, timeout=90, what="the first counts")
        except TimeoutError:
            got1 = final_counts(out.snapshot())
            print("differ:", sorted((w, got1.get(w), n) for w, n in want1.items() if got1.get(w) != n)[:20])
            raise

        def counted(app):
            # Metrics lines of tasks that produced something.
            return [l for l in app.text().splitlines() if " task 1_" in l and " out 0 " not in l]

        wait_until(lambda: counted(a) and counted(b), timeout=30, what="metrics of counting tasks in both logs")
        # All progress committed, so the survivor starts from exactly there.
        env.wait_all_committed("page-visits", ["pageviews"] + env.internal_topics("page-visits", "-repartition"))
        assert b.kill() == -signal.SIGKILL
        a_log_before = len(a.text())

        second = views(800, 800)
        env.produce("pageviews", [pageview(*e) for e in second])
        want = expect(first + second)
        out.wait(lambda r: final_counts(r) == want, timeout=120, what="the counts after the take-over")
        counts = final_counts(settle(out))
        assert counts == want
        after = a.text()[a_log_before:]
        assert "assigned 8 partitions" in after, after[-3000:]
        # B's counting tasks were rebuilt in A from their changelogs' start.
        b_tasks = set(re.findall(r" task (1_\d+): in \d+ out [1-9]", b.text()))
        restored = set(re.findall(r"task (1_\d+): restored store \S+ from \S+ partition \d+ \[0, [1-9]", after))
        assert b_tasks and b_tasks <= restored, (b_tasks, restored, after[-3000:])
        out.close()
        assert a.stop() == 0


def test_missing_topic_and_wrong_address_say_which():
    """An app told a wrong broker address must say it cannot reach the
    cluster, not ask for its topics to be created; a missing topic is the
    one case that says "create it first"."""
    with Broker(BINARY) as b:
        d = tempfile.mkdtemp(prefix="runnel-it-app-")
        try:
            missing = subprocess.run([os.path.join(EXAMPLES, "receipts"), "--brokers",
                                      b.bootstrap, "--state-dir", d],
                                     capture_output=True, timeout=120)
            err = missing.stderr.decode()
            assert missing.returncode != 0, err
            assert "source topic purchases does not exist; create it first" in err, err
            dead = "127.0.0.1:%d" % free_port()
            wrong = subprocess.run([os.path.join(EXAMPLES, "receipts"), "--brokers", dead,
                                    "--state-dir", d], capture_output=True, timeout=120)
            err = wrong.stderr.decode()
            assert wrong.returncode != 0, err
            assert "create it first" not in err, err
            assert "cannot look up source topic purchases at %s" % dead in err, err
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    only = os.environ.get("ONLY")  # run the tests whose name contains this
    run([t for t in [
        test_receipts,
        test_page_visits_windows_and_late_views,
        test_error_alerts_one_alert_per_window,
        test_enrichment_left_join,
        test_clean_restart_continues_exactly,
        test_kill_minus_nine_loses_no_update,
        test_exactly_once_kill_minus_nine_counts_exactly,
        test_two_instances_split_and_fail_over,
        test_missing_topic_and_wrong_address_say_which,
    ] if not only or only in t.__name__])
