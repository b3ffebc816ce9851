"""Consumers that vanish mid-response, while a producer keeps producing.

Used by test_disconnects.py (a short run in ctest) and bench/disconnects (ten
minutes or more). A broker is started with a topic pre-filled so that fetches
from the start return multi-MiB responses (sent with sendfile). Then, in a
loop bounded by time, waves of consumers fetch and disappear at random
points:

  rst       a raw socket sends a Fetch for up to 48 MiB, reads a random part
            of the response and closes with SO_LINGER 0 (a TCP RST)
  close     the same, but an ordinary close (the unread data makes the
            kernel answer the broker's next segments with RST too)
  kill9     kcat (librdkafka) consuming from the beginning, killed with
            SIGKILL after a random delay
  small     kcat with receive.message.max.bytes far below the batch size:
            librdkafka drops the connection when it sees the response size

Meanwhile an idempotent producer with acks=all produces numbered records.
At the end everything is read back: every acknowledged record must be there
exactly once, and the broker must still be the process that started.
"""

import os
import random
import signal
import socket
import struct
import subprocess
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import Broker, wait_until

TOPIC = "churn"
PARTITIONS = 4
RECORD_BYTES = 16 * 1024
KINDS = ("rst", "close", "kill9", "small")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fetch_request(correlation_id, partition, max_bytes):
    """A Fetch v4 request frame for TOPIC/partition from offset 0."""
    client = b"churn"
    topic = TOPIC.encode()
    body = struct.pack(">iiiib", -1, 500, 1, max_bytes, 0)
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, 0, max_bytes)
    header = struct.pack(">hhih", 1, 4, correlation_id, len(client)) + client
    frame = header + body
    return struct.pack(">i", len(frame)) + frame


def raw_vanish(port, rng, reset):
    """Asks for a big response, reads a random part of it, and goes away."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(fetch_request(rng.randrange(1 << 30), rng.randrange(PARTITIONS), 48 << 20))
        want = rng.choice([0, 1, 4096, rng.randrange(1 << 16), rng.randrange(8 << 20)])
        got = 0
        while got < want:
            chunk = s.recv(min(1 << 16, want - got))
            if not chunk:
                break
            got += len(chunk)
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        s.close()


def kcat_vanish(bootstrap, rng, small):
    args = ["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-o", "beginning", "-q",
            "-X", "fetch.wait.max.ms=100"]
    if small:
        # librdkafka drops the connection on a response larger than this.
        args += ["-X", "receive.message.max.bytes=1000", "-X", "fetch.max.bytes=400",
                 "-X", "max.partition.fetch.bytes=400"]
    else:
        args += ["-X", "fetch.max.bytes=52428800", "-X", "max.partition.fetch.bytes=16777216",
                 "-X", "receive.message.max.bytes=60000000"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=rng.uniform(0.05, 1.0))
    except subprocess.TimeoutExpired:
        pass
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)


class KeepProducing(threading.Thread):
    """An idempotent acks=all producer of numbered records, until stopped."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "enable.idempotence": True, "linger.ms": 5,
                                  "batch.size": 1 << 20, "message.timeout.ms": 120000})
        self.stop = threading.Event()
        self.sent = 0
        self.acked = set()
        self.failed = []
        self.pad = b"x" * (RECORD_BYTES - 12)

    def on_delivery(self, err, msg):
        if err is not None:
            self.failed.append(str(err))
        else:
            self.acked.add(int(msg.value()[:12]))

    def produce(self, n):
        for _ in range(n):
            value = b"%012d" % self.sent + self.pad
            while True:
                try:
                    self.producer.produce(TOPIC, value, partition=self.sent % PARTITIONS,
                                          on_delivery=self.on_delivery)
                    break
                except BufferError:
                    self.producer.poll(0.05)
            self.sent += 1
            self.producer.poll(0)

    def run(self):
        # About 2.5 MiB/s: steady appends without filling the disk in a long run.
        while not self.stop.is_set():
            self.produce(16)
            self.producer.poll(0)
            self.stop.wait(0.1)
        self.producer.flush(120)


def read_back(bootstrap, expect_total):
    """Every record of TOPIC, as {seq: count}."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "churn-verify",
                  "enable.auto.commit": False, "fetch.max.bytes": 52428800,
                  "max.partition.fetch.bytes": 16777216})
    try:
        ends = {}
        for p in range(PARTITIONS):
            lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=30)
            ends[p] = hi
        c.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
        seen = {}
        pos = {p: 0 for p in range(PARTITIONS)}
        deadline = time.monotonic() + 300
        while any(pos[p] < ends[p] for p in ends) and time.monotonic() < deadline:
            for m in c.consume(1000, 1.0):
                if m.error():
                    continue
                seq = int(m.value()[:12])
                seen[seq] = seen.get(seq, 0) + 1
                pos[m.partition()] = m.offset() + 1
        if any(pos[p] < ends[p] for p in ends):
            raise AssertionError("read back only %s of %s" % (pos, ends))
        return seen
    finally:
        c.close()


def churn(binary, seconds, prefill_mib=64, wave=6, seed=None, report=print, shards=2):
    """Runs the churn for `seconds`; returns the figures. Raises on a failure."""
    rng = random.Random(seed if seed is not None else time.time_ns())
    stats = {k: 0 for k in KINDS}
    broker = Broker(binary, shards=shards)
    broker.start()
    producer = None
    try:
        pid = broker.proc.pid
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(30)
        producer = KeepProducing(broker.bootstrap)
        # Pre-fill: a fetch from the start then returns megabytes.
        producer.produce(prefill_mib * 1024 * 1024 // RECORD_BYTES)
        producer.producer.flush(120)
        if producer.failed:
            raise AssertionError("pre-fill failed: %s" % producer.failed[:3])
        rss_before = rss_kib(pid)
        producer.start()
        start = time.monotonic()
        cycles = 0
        last_report = start
        while time.monotonic() - start < seconds:
            threads = []
            for _ in range(wave):
                kind = rng.choice(KINDS)
                stats[kind] += 1
                r = random.Random(rng.random())
                if kind in ("rst", "close"):
                    fn = (lambda reset, r=r: raw_vanish(broker.port, r, reset))
                    t = threading.Thread(target=fn, args=(kind == "rst",))
                else:
                    t = threading.Thread(target=kcat_vanish,
                                         args=(broker.bootstrap, r, kind == "small"))
                t.start()
                threads.append(t)
            for t in threads:
                t.join(60)
            cycles += 1
            if not broker.alive():
                raise AssertionError("broker died (exit status %s) after %d cycles:\n%s"
                                     % (broker.proc.returncode, cycles, broker.tail()))
            if time.monotonic() - last_report >= 60:
                last_report = time.monotonic()
                report("churn: %.0fs, %d cycles, %d consumers gone, %d records acked, RSS %d KiB"
                       % (last_report - start, cycles, sum(stats.values()), len(producer.acked),
                          rss_kib(pid)))
        producer.stop.set()
        producer.join(180)
        rss_after = rss_kib(pid)
        if producer.failed:
            raise AssertionError("%d produce(s) failed: %s"
                                 % (len(producer.failed), producer.failed[:3]))
        seen = read_back(broker.bootstrap, producer.sent)
        missing = [s for s in producer.acked if s not in seen]
        dups = [s for s, n in seen.items() if n > 1]
        if missing:
            raise AssertionError("%d acknowledged record(s) lost, e.g. %s" % (len(missing),
                                                                             missing[:5]))
        if dups:
            raise AssertionError("%d record(s) stored twice, e.g. %s" % (len(dups), dups[:5]))
        if not broker.alive():
            raise AssertionError("broker died:\n" + broker.tail())
        closed_lines = sum(1 for line in broker.tail(100000).splitlines()
                           if "closing connection" in line)
        return {"seconds": round(time.monotonic() - start), "cycles": cycles,
                "consumers_gone": sum(stats.values()), "by_kind": stats,
                "records_acked": len(producer.acked), "records_read_back": len(seen),
                "rss_kib_before": rss_before, "rss_kib_after": rss_after,
                "close_log_lines": closed_lines}
    finally:
        if producer is not None:
            producer.stop.set()
        broker.cleanup()
