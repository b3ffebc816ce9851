"""Random seeks while the log moves: several raw connections fetch at random
offsets inside each partition's [log start, high watermark) and look offsets
up by timestamp, while producers append, small segments roll (and are
sealed on the io pool), retention and DeleteRecords move the log start, and
a librdkafka consumer binary-searches a partition by timestamp with seek(),
as a client conformance suite does. Every fetch inside the log must answer
the batch that holds its offset; OFFSET_OUT_OF_RANGE is right only for an
offset the log start has since passed.

The OFFSET_OUT_OF_RANGE at offset 249 of issue 9 was librdkafka's own
binary search (0059-bsearch) on records stamped in 1970: segment.ms was
measured against the broker's clock, so every produce request rolled a
segment and retention deleted all but the last within 100 ms.
test_bsearch_of_records_stamped_in_1970 is that case as it is."""

import os
import random
import socket
import struct
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, run

NONE, OFFSET_OUT_OF_RANGE = 0, 1


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class Raw:
    """Just enough of the Kafka protocol (non-flexible versions) to seek."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.cid = 0

    def close(self):
        self.s.close()

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("broker closed the connection")
            buf += chunk
        return buf

    def call(self, key, version, body):
        self.cid += 1
        msg = struct.pack(">hhi", key, version, self.cid) + kstr("seek-stress") + body
        self.s.sendall(struct.pack(">i", len(msg)) + msg)
        data = self._read(struct.unpack(">i", self._read(4))[0])
        assert struct.unpack(">i", data[:4])[0] == self.cid
        return data[4:]

    def fetch(self, topic, partition, offset, max_bytes):
        """Fetch v5: (error, high watermark, log start, [(base, last)])."""
        body = struct.pack(">iiiib", -1, 1, 1, 8 << 20, 0) + struct.pack(">i", 1) + kstr(topic)
        body += struct.pack(">i", 1) + struct.pack(">iqqi", partition, offset, -1, max_bytes)
        r = self.call(1, 5, body)
        p = 8 + 2 + struct.unpack_from(">h", r, 8)[0] + 4
        _, err, hw, _, start = struct.unpack_from(">ihqqq", r, p)
        p += 30
        p += 4 + max(struct.unpack_from(">i", r, p)[0], 0) * 16
        size = struct.unpack_from(">i", r, p)[0]
        p += 4
        batches, q = [], p
        while q + 61 <= p + size:
            base, length = struct.unpack_from(">qi", r, q)
            batches.append((base, base + struct.unpack_from(">i", r, q + 23)[0]))
            q += 12 + length
        return err, hw, start, batches

    def list_offset(self, topic, partition, ts):
        """ListOffsets v1: (error, offset)."""
        body = struct.pack(">i", -1) + struct.pack(">i", 1) + kstr(topic)
        body += struct.pack(">i", 1) + struct.pack(">iq", partition, ts)
        r = self.call(2, 1, body)
        p = 4 + 2 + struct.unpack_from(">h", r, 4)[0] + 4
        _, err, _, offset = struct.unpack_from(">ihqq", r, p)
        return err, offset

    def delete_records(self, topic, partition, before):
        body = struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
        body += struct.pack(">iq", partition, before) + struct.pack(">i", 10000)
        self.call(21, 0, body)


def test_random_seeks_during_appends_rolls_and_retention():
    settings = {"num.partitions": "4"}
    with Broker(BINARY, shards=2, settings=settings) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        topics = ["seek-%d" % i for i in range(3)]
        futures = admin.create_topics([NewTopic(t, 2, 1, config={
            "segment.bytes": "20000", "index.interval.bytes": "500",
            "retention.bytes": "400000"}) for t in topics])
        for f in futures.values():
            f.result(30)
        t0 = int(time.time() * 1000) - 600000
        stop = threading.Event()
        failures, counts = [], {"fetch": 0, "moved": 0, "lookup": 0}
        lock = threading.Lock()

        def fail(what):
            with lock:
                failures.append(what)

        def produce(k):
            p = Producer({"bootstrap.servers": b.bootstrap, "acks": "1",
                          "linger.ms": random.choice([0, 2]), "batch.num.messages": 50})
            i = 0
            while not stop.is_set():
                p.produce(topics[i % 3], value=os.urandom(random.randint(1, 600)),
                          partition=(i // 3) % 2, timestamp=t0 + i)
                i += 1
                if i % 1000 == 0:
                    p.flush(10)
            p.flush(10)

        def seek(k):
            c, rnd = Raw(b.port), random.Random(k)
            try:
                while not stop.is_set():
                    t, part = rnd.choice(topics), rnd.randrange(2)
                    err, start = c.list_offset(t, part, -2)
                    err2, end = c.list_offset(t, part, -1)
                    if err or err2 or end <= start:
                        continue
                    o = rnd.randrange(start, end)
                    err, hw, log_start, batches = c.fetch(t, part, o, rnd.choice([1, 300, 20000]))
                    with lock:
                        counts["fetch"] += 1
                    # A partition in error carries no log start offset (-1, as
                    # Kafka's): ask again. The log start only grows, so if it is
                    # past `o` now, retention or DeleteRecords passed it.
                    if err == OFFSET_OUT_OF_RANGE and o < c.list_offset(t, part, -2)[1]:
                        with lock:
                            counts["moved"] += 1
                    elif err != NONE:
                        fail(("fetch error", t, part, o, (start, end), err, hw, log_start))
                    elif not batches or not batches[0][0] <= o <= batches[0][1]:
                        fail(("wrong batch", t, part, o, (start, end), batches[:2]))
                    if rnd.random() < 0.1:
                        err, at = c.list_offset(t, part, t0 + rnd.randrange(0, 100000))
                        with lock:
                            counts["lookup"] += 1
                        if err != NONE:
                            fail(("lookup error", t, part, err))
                    if rnd.random() < 0.002:
                        c.delete_records(t, part, start + rnd.randrange(1, 20))
            finally:
                c.close()

        threads = [threading.Thread(target=produce, args=(k,)) for k in range(2)]
        threads += [threading.Thread(target=seek, args=(k,)) for k in range(4)]
        started = time.monotonic()
        for t in threads:
            t.start()
        try:
            bsearch(b.bootstrap, rounds=3)
            # At least 15 s and 500 fetches of seeks (a loaded machine is
            # slower), but never more than 120 s.
            while time.monotonic() - started < 120 and not failures:
                with lock:
                    enough = counts["fetch"] > 500
                if enough and time.monotonic() - started >= 15:
                    break
                time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert not failures, failures[:5]
        assert counts["fetch"] > 500, counts
        print("seeks: %(fetch)d fetches (%(moved)d passed by the log start), "
              "%(lookup)d lookups" % counts)


def librdkafka_stamps(n=1000):
    """The timestamps librdkafka's own 0059-bsearch test gives its records:
    from 1000 ms (January 1970) on, 100 to 108 ms apart."""
    ts, out = 1000, []
    for _ in range(n):
        out.append(ts)
        ts += 100 + ts % 9
    return out


def recent_stamps(n=1000):
    ts, out = int(time.time() * 1000) - 3600 * 1000, []
    for i in range(n):
        out.append(ts)
        ts += 100 + i % 10
    return out


def produce_stamped(bootstrap, topic, stamps, per_request):
    """Record i is b"i", stamped stamps[i], in produce requests of
    `per_request` records (a flush after each)."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i, ts in enumerate(stamps):
        p.produce(topic, value=b"%d" % i, partition=0, timestamp=ts)
        if (i + 1) % per_request == 0:
            assert p.flush(30) == 0
    assert p.flush(30) == 0


def bsearch_one(bootstrap, topic, stamps, golden=357):
    """librdkafka's binary search by timestamp with seek(): from the
    watermarks, seek to the middle (500, then 249, ...) until the record
    stamped stamps[golden] is found. Every seek must read the record it
    asked for."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": topic,
                  "fetch.wait.max.ms": 1, "fetch.error.backoff.ms": 1,
                  "queued.min.messages": 1, "enable.auto.commit": False})
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        assert (low, high) == (0, len(stamps)), (low, high)
        for step in range(20):
            mid = low + (high - low) // 2
            tp = TopicPartition(topic, 0, mid)
            if step == 0:
                c.assign([tp])
            else:
                c.seek(tp)
            m = c.poll(10)
            assert m is not None, "no message at %d" % mid
            assert not m.error(), "seek to %d: %s" % (mid, m.error())
            assert m.offset() == mid, (mid, m.offset())
            t = m.timestamp()[1]
            if t == stamps[golden]:
                return
            low, high = (m.offset() + 1, high) if t < stamps[golden] else (low, m.offset() - 1)
        raise AssertionError("binary search did not find offset %d" % golden)
    finally:
        c.close()


def bsearch(bootstrap, rounds):
    """librdkafka's binary search by timestamp (its own test suite does this
    on 1000 records); the first round with its 1970 timestamps, in ten
    produce requests."""
    for r in range(rounds):
        topic = "bsearch-%d" % r
        if r == 0:
            stamps, per_request = librdkafka_stamps(), 100
        else:
            stamps, per_request = recent_stamps(), 1000
        produce_stamped(bootstrap, topic, stamps, per_request)
        bsearch_one(bootstrap, topic, stamps)


def test_bsearch_of_records_stamped_in_1970():
    """librdkafka's 0059-bsearch as it is: 1000 records stamped from 1000 ms
    (1970), here in ten produce requests, as a busy broker makes a producer
    split them. segment.ms was measured against the broker's clock, so each
    request rolled a segment, and retention.ms (7 days, checked every
    100 ms) deleted all but the last: the seek to 249 got
    OFFSET_OUT_OF_RANGE inside the log (issue 9). Now segment.ms is measured
    between record timestamps, as Kafka does: one segment, kept whole."""
    with Broker(BINARY) as b:
        topic = "bsearch-1970"
        stamps = librdkafka_stamps()
        produce_stamped(b.bootstrap, topic, stamps, per_request=100)
        # Maintenance (retention) runs every 100 ms: the log start must stay
        # at 0 through ten of its rounds.
        c = Raw(b.port)
        try:
            until = time.monotonic() + 1.0
            while time.monotonic() < until:
                err, start = c.list_offset(topic, 0, -2)
                assert (err, start) == (NONE, 0), "log start moved: %r" % ((err, start),)
                time.sleep(0.05)
        finally:
            c.close()
        bsearch_one(b.bootstrap, topic, stamps)


if __name__ == "__main__":
    run([test_bsearch_of_records_stamped_in_1970,
         test_random_seeks_during_appends_rolls_and_retention])
