"""Durability across crashes: kill -9 the broker under acks=all load from
idempotent producers; after a restart every acknowledged message is present
exactly once, and nothing is duplicated by the producers' retries."""

import threading
import time
from collections import Counter

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, run, wait_until

TOTAL = 20000


def read_all(bootstrap, topic, partitions, expect_at_least, timeout=60):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                  "enable.auto.commit": False})
    ends = {}
    for p in range(partitions):
        ends[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values = []
    seen = Counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and sum(seen.values()) < sum(ends.values()):
        m = c.poll(1.0)
        if m is None or m.error():
            continue
        values.append(m.value())
        seen[m.partition()] += 1
    c.close()
    assert len(values) >= expect_at_least, (len(values), expect_at_least)
    return values


def test_kill_minus_nine_under_acks_all_idempotent_load():
    with Broker(BINARY) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("crash", 3, 1)])["crash"].result(timeout=30)
        acked = set()
        errors = []

        def on_delivery(err, msg):
            if err is None:
                acked.add(msg.value())
            else:
                errors.append(str(err))

        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all",
                      "enable.idempotence": True, "linger.ms": 1,
                      "message.timeout.ms": 120000, "retry.backoff.ms": 50,
                      "reconnect.backoff.max.ms": 200})
        killed = threading.Event()

        def crash_and_restart():
            wait_until(lambda: len(acked) >= 3000, timeout=120, what="3000 acks")
            b.kill()
            killed.set()
            b.start()

        t = threading.Thread(target=crash_and_restart)
        t.start()
        for i in range(TOTAL):
            while True:
                try:
                    p.produce("crash", value=b"m%06d" % i, key=b"%d" % (i % 7),
                              on_delivery=on_delivery)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)
        # Delivery reports arrive only while the producer is polled.
        deadline = time.monotonic() + 180
        while t.is_alive() and time.monotonic() < deadline:
            p.poll(0.1)
        t.join(timeout=5)
        assert killed.is_set()
        assert p.flush(180) == 0, "messages still in flight"
        assert not errors, errors[:5]
        assert len(acked) == TOTAL, len(acked)

        values = read_all(b.bootstrap, "crash", 3, TOTAL)
        counts = Counter(values)
        dupes = [v for v, n in counts.items() if n > 1]
        assert not dupes, "duplicated: %s" % dupes[:5]
        missing = acked - set(values)
        assert not missing, "acknowledged but lost: %s" % sorted(missing)[:5]


def test_idempotent_retry_of_a_written_batch_is_not_duplicated():
    # A clean restart between two halves: the broker rebuilds producer state
    # from the log, and a producer that keeps its id continues its sequences.
    with Broker(BINARY) as b:
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all",
                      "enable.idempotence": True, "message.timeout.ms": 60000})
        for i in range(500):
            p.produce("idem", value=b"a%d" % i)
        assert p.flush(60) == 0
        b.restart()
        for i in range(500):
            p.produce("idem", value=b"b%d" % i)
        assert p.flush(120) == 0
        values = read_all(b.bootstrap, "idem", 1, 1000)
        assert len(values) == 1000 and len(set(values)) == 1000, len(values)


if __name__ == "__main__":
    run([test_kill_minus_nine_under_acks_all_idempotent_load,
         test_idempotent_retry_of_a_written_batch_is_not_duplicated])
