"""Topic compression.type with real clients: a topic that names a codec
stores every batch in that codec, whatever codec the producer used, and every
client reads the records back unchanged; "producer" stores batches as sent.
The codec of each stored batch is read from the segment files on disk
(docs/format/log.md)."""

import glob
import os
import struct

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition

from harness import BINARY, Broker, run, wait_until

CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
TOPIC_CODECS = {"uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
FILE_HEADER = 24  # docs/format/log.md: every file we own starts with it


def stored_batches(broker, topic, partition=0):
    """(base offset, record count, codec id) of every batch on disk."""
    out = []
    d = os.path.join(broker.data_dir, "data", "%s-%d" % (topic, partition))
    for path in sorted(glob.glob(os.path.join(d, "*.log"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = FILE_HEADER
        while pos + 61 <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            attributes, = struct.unpack_from(">h", data, pos + 21)
            count, = struct.unpack_from(">i", data, pos + 57)
            out.append((base, count, attributes & 7))
            pos += 12 + length
    return out


def create(admin, topic, config):
    admin.create_topics([NewTopic(topic, 1, 1, config=config)])[topic].result(timeout=30)


def produce_all_codecs(bootstrap, topic, n=50):
    """n records per producer codec, from confluent-kafka and kafka-python;
    returns the values in the order they were acknowledged."""
    values = []
    for codec in CODEC_IDS:
        p = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                      "compression.type": codec, "linger.ms": 5})
        batch = [b"confluent-%s-%d-" % (codec.encode(), i) + b"x" * (i % 300) for i in range(n)]
        errors = []
        for v in batch:
            p.produce(topic, value=v, key=b"k", partition=0,
                      on_delivery=lambda err, m: errors.append(err) if err else None)
        assert p.flush(30) == 0 and not errors, errors
        values += batch
    for codec in CODEC_IDS:
        p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                          compression_type=None if codec == "none" else codec)
        batch = [b"kafka-python-%s-%d-" % (codec.encode(), i) + b"y" * (i % 200) for i in range(n)]
        futures = [p.send(topic, value=v, key=b"k", partition=0) for v in batch]
        for f in futures:
            f.get(timeout=30)
        p.close()
        values += batch
    return values


def consume_confluent(bootstrap, topic, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    wait_until(lambda: got.extend(m for m in c.consume(100, 0.5) if not m.error()) or
               len(got) >= count, timeout=60, what="confluent consumer")
    c.close()
    assert all(m.offset() == i for i, m in enumerate(got))
    return [m.value() for m in got]


def consume_kafka_python(bootstrap, topic, count):
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      consumer_timeout_ms=2000)
    tp = KafkaTopicPartition(topic, 0)
    c.assign([tp])
    c.seek(tp, 0)
    got = []
    wait_until(lambda: got.extend(m.value for ms in c.poll(500).values() for m in ms) or
               len(got) >= count, timeout=60, what="kafka-python consumer")
    c.close()
    return got


def test_topic_codec_recompresses_every_batch():
    with Broker(BINARY, shards=2) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for name, codec_id in TOPIC_CODECS.items():
            topic = "ct-" + name
            create(admin, topic, {"compression.type": name})
            values = produce_all_codecs(b.bootstrap, topic)
            batches = stored_batches(b, topic)
            assert sum(c for _, c, _ in batches) == len(values), batches
            assert {codec for _, _, codec in batches} == {codec_id}, (name, batches)
            assert consume_confluent(b.bootstrap, topic, len(values)) == values
            assert consume_kafka_python(b.bootstrap, topic, len(values)) == values
            r = ConfigResource(ConfigResource.Type.TOPIC, topic)
            desc = admin.describe_configs([r])[r].result(timeout=30)
            assert desc["compression.type"].value == name
            assert not desc["compression.type"].is_read_only


def test_producer_codec_keeps_batches_as_sent_and_alter_switches():
    with Broker(BINARY) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        create(admin, "as-sent", {})
        values = produce_all_codecs(b.bootstrap, "as-sent", n=20)
        codecs = [codec for _, _, codec in stored_batches(b, "as-sent")]
        # Each producer codec shows up as sent (two clients, five codecs each).
        assert set(codecs) == set(CODEC_IDS.values()), codecs
        # Switching the topic to zstd changes the batches written from then on.
        r = ConfigResource(ConfigResource.Type.TOPIC, "as-sent",
                           set_config={"compression.type": "zstd"})
        admin.alter_configs([r])[r].result(timeout=30)
        before = len(stored_batches(b, "as-sent"))
        values += produce_all_codecs(b.bootstrap, "as-sent", n=20)
        after = stored_batches(b, "as-sent")
        assert {codec for _, _, codec in after[before:]} == {4}, after[before:]
        assert consume_confluent(b.bootstrap, "as-sent", len(values)) == values
        # Survives a restart (recovery scans the re-compressed batches).
        b.restart()
        assert consume_kafka_python(b.bootstrap, "as-sent", len(values)) == values


def test_unknown_codec_is_refused():
    with Broker(BINARY) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        f = admin.create_topics([NewTopic("bad", 1, 1, config={"compression.type": "brotli"})])
        try:
            f["bad"].result(timeout=30)
            raise AssertionError("compression.type=brotli accepted")
        except Exception as e:  # KafkaException: INVALID_CONFIG
            assert "INVALID_CONFIG" in str(e) or "nvalid" in str(e), e


if __name__ == "__main__":
    run([test_topic_codec_recompresses_every_batch,
         test_producer_codec_keeps_batches_as_sent_and_alter_switches,
         test_unknown_codec_is_refused])
