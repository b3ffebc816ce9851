"""confluent-kafka-python and kafka-python against runnel (no consumer groups
here; see test_groups.py): produce with acks=all, consume by assignment,
ListOffsets, admin create/delete topics."""

import time

from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, run, wait_until


def consume_partition(bootstrap, topic, partition, start, count, timeout=30):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, partition, start)])
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            raise AssertionError(str(m.error()))
        got.append(m)
    c.close()
    return got


def test_confluent_produce_acks_all_and_consume():
    with Broker(BINARY) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        fs = admin.create_topics([NewTopic("orders", num_partitions=3, replication_factor=1)])
        fs["orders"].result(timeout=30)
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 2})
        acked = []
        for i in range(3000):
            p.produce("orders", key=b"k%d" % i, value=b"v%d" % i, partition=i % 3,
                      on_delivery=lambda err, m: acked.append((err, m.partition(), m.offset())))
        assert p.flush(30) == 0
        assert all(err is None for err, _, _ in acked) and len(acked) == 3000
        for part in range(3):
            msgs = consume_partition(b.bootstrap, "orders", part, 0, 1000)
            assert [m.value() for m in msgs] == [b"v%d" % i for i in range(part, 3000, 3)]
            assert [m.offset() for m in msgs] == list(range(1000))


def test_list_offsets_earliest_latest_and_by_time():
    with Broker(BINARY) as b:
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all"})
        base = int(time.time() * 1000) - 100000
        for i in range(100):
            p.produce("times", value=b"x", timestamp=base + i * 1000)
            p.flush(10)  # one batch each, so lookups land on batch boundaries
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused"})
        lo, hi = c.get_watermark_offsets(TopicPartition("times", 0), timeout=10)
        assert (lo, hi) == (0, 100), (lo, hi)
        r = c.offsets_for_times([TopicPartition("times", 0, base + 42 * 1000)], timeout=10)
        assert r[0].offset == 42, r
        r = c.offsets_for_times([TopicPartition("times", 0, base + 1000 * 1000)], timeout=10)
        assert r[0].offset == -1, r  # nothing that late: end of log
        c.close()


def test_offsets_for_times_looks_inside_a_batch():
    # Two records in one batch, far apart in time: the lookup of the second
    # one's timestamp answers the second one's offset, as Kafka does.
    with Broker(BINARY) as b:
        # Timestamps from 1970 and 2001: without retention.ms=-1, a second
        # batch (if the producer split them) would roll the segment on time
        # and retention would delete the first one, as it would on Kafka.
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("inside", 1, 1, config={"retention.ms": "-1"})])[
            "inside"].result(timeout=30)
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 1000,
                      "compression.type": "lz4"})
        offsets = []
        for ts in (1234, 999999999999):
            p.produce("inside", value=b"v%d" % ts, timestamp=ts, partition=0,
                      on_delivery=lambda err, m: offsets.append((err, m.offset())))
        assert p.flush(30) == 0
        assert offsets == [(None, 0), (None, 1)], offsets
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused"})
        for ts, want in ((999999999999, 1), (1234, 0), (1235, 1), (0, 0),
                         (1000000000000, -1)):
            r = c.offsets_for_times([TopicPartition("inside", 0, ts)], timeout=10)
            assert r[0].offset == want, (ts, r)
        c.close()


def test_admin_create_validate_and_delete_topics():
    with Broker(BINARY) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        fs = admin.create_topics([NewTopic("bad name!", 1, 1)])
        try:
            fs["bad name!"].result(timeout=30)
            raise AssertionError("invalid topic name accepted")
        except KafkaException as e:
            assert e.args[0].code() == 17, e  # INVALID_TOPIC_EXCEPTION
        admin.create_topics([NewTopic("gone", 2, 1, config={"retention.ms": "3600000"})])[
            "gone"].result(timeout=30)
        again = admin.create_topics([NewTopic("gone", 2, 1)])["gone"]
        try:
            again.result(timeout=30)
            raise AssertionError("duplicate topic accepted")
        except KafkaException as e:
            assert e.args[0].code() == 36, e  # TOPIC_ALREADY_EXISTS
        assert "gone" in admin.list_topics(timeout=10).topics
        admin.delete_topics(["gone"])["gone"].result(timeout=30)
        wait_until(lambda: "gone" not in admin.list_topics(timeout=10).topics, what="deletion")
        # Topics survive a restart (metadata is persisted).
        admin.create_topics([NewTopic("kept", 5, 1)])["kept"].result(timeout=30)
        b.restart()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        md = admin.list_topics(timeout=10)
        assert len(md.topics["kept"].partitions) == 5 and "gone" not in md.topics


def test_kafka_python_produce_consume():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition as KTP
    with Broker(BINARY) as b:
        p = KafkaProducer(bootstrap_servers=b.bootstrap, acks="all")
        futures = [p.send("kp", key=b"k", value=b"m%d" % i) for i in range(200)]
        p.flush()
        assert [f.get(timeout=10).offset for f in futures] == list(range(200))
        c = KafkaConsumer(bootstrap_servers=b.bootstrap, enable_auto_commit=False,
                          consumer_timeout_ms=5000)
        c.assign([KTP("kp", 0)])
        c.seek_to_beginning()
        got = [m.value for m in c]
        assert got == [b"m%d" % i for i in range(200)], got[:5]
        c.close()
        p.close()


def test_out_of_range_resets_and_read_committed_reads_everything():
    with Broker(BINARY) as b:
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all"})
        for i in range(50):
            p.produce("oor", value=b"r%d" % i)
        assert p.flush(30) == 0
        # Offset 1000 is past the end: OFFSET_OUT_OF_RANGE, then the client
        # resets to earliest as configured.
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest",
                      "isolation.level": "read_committed"})
        c.assign([TopicPartition("oor", 0, 1000)])
        got = []
        deadline = time.monotonic() + 30
        while len(got) < 50 and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is not None and not m.error():
                got.append(m.value())
        c.close()
        assert got == [b"r%d" % i for i in range(50)], got[:3]


if __name__ == "__main__":
    run([test_confluent_produce_acks_all_and_consume, test_list_offsets_earliest_latest_and_by_time,
         test_offsets_for_times_looks_inside_a_batch,
         test_admin_create_validate_and_delete_topics, test_kafka_python_produce_consume,
         test_out_of_range_resets_and_read_committed_reads_everything])
