"""The current Python Kafka clients from PyPI (py/requirements.txt, in the venv
scripts/setup makes) against runnel, beside the Debian ones the other tests
use: confluent-kafka 2.x (its own current librdkafka), kafka-python 3.x and
aiokafka. Each gets admin calls, an idempotent acks=all producer and a
consumer group of two that reads every record once and commits.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python."""

import asyncio
import time

import py_venv  # noqa: E402

py_venv.enter(__file__)

import confluent_kafka  # noqa: E402
import kafka  # noqa: E402
from confluent_kafka import Consumer, ConsumerGroupState, KafkaError, KafkaException  # noqa: E402
from confluent_kafka import Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry,  # noqa: E402
                                   ConfigResource, NewPartitions, NewTopic, OffsetSpec)

from harness import BINARY, Broker, run, wait_until  # noqa: E402

SETTINGS = {"group.initial.rebalance.delay.ms": 100, "group.min.session.timeout.ms": 1000}
PARTITIONS = 3
RECORDS = 1500


def check_versions():
    assert str(confluent_kafka.version()).startswith("2."), confluent_kafka.version()
    assert kafka.__version__.startswith("3."), kafka.__version__
    print("confluent-kafka %s (librdkafka %s), kafka-python %s, aiokafka %s" % (
        confluent_kafka.version(), confluent_kafka.libversion()[0], kafka.__version__,
        __import__("aiokafka").__version__), flush=True)


# ------------------------------------------------------------ confluent-kafka 2.x

def ck_result(futures, timeout=30):
    return {k: f.result(timeout=timeout) for k, f in futures.items()}


def test_confluent_kafka_2(b=None):
    with Broker(BINARY, settings=SETTINGS) as b:
        conf = {"bootstrap.servers": b.bootstrap}
        admin = AdminClient(conf)
        cluster = admin.describe_cluster(request_timeout=30).result(timeout=30)
        assert len(cluster.nodes) == 1 and cluster.controller.id == cluster.nodes[0].id, cluster
        assert cluster.cluster_id, cluster

        ck_result(admin.create_topics([NewTopic("ck", PARTITIONS, 1, config={"retention.ms": "86400000"}),
                                       NewTopic("ck-scratch", 1, 1)]))
        try:
            ck_result(admin.create_topics([NewTopic("ck", 1, 1)]))
            raise AssertionError("created a topic twice")
        except KafkaException as e:
            assert e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, e
        ck_result(admin.create_partitions([NewPartitions("ck-scratch", 2)]))
        wait_until(lambda: len(admin.list_topics("ck-scratch", timeout=10).topics["ck-scratch"].partitions) == 2,
                   what="ck-scratch to have 2 partitions")

        res = ConfigResource(ConfigResource.Type.TOPIC, "ck")
        got = ck_result(admin.describe_configs([res]))[res]
        assert got["retention.ms"].value == "86400000", got["retention.ms"]
        ck_result(admin.incremental_alter_configs([ConfigResource(
            ConfigResource.Type.TOPIC, "ck", incremental_configs=[
                ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)])]))
        got = ck_result(admin.describe_configs([res]))[res]
        assert got["retention.ms"].value == "3600000", got["retention.ms"]

        # Idempotent, acks=all, zstd.
        p = Producer({**conf, "enable.idempotence": True, "acks": "all", "compression.type": "zstd",
                      "linger.ms": 5})
        acked = {}

        def on_delivery(err, msg):
            assert err is None, err
            acked.setdefault(msg.partition(), []).append(msg.offset())

        t0 = int(time.time() * 1000) - 60_000
        for i in range(RECORDS):
            p.produce("ck", key=b"k%d" % i, value=b"v%d" % i, partition=i % PARTITIONS, timestamp=t0 + i,
                      on_delivery=on_delivery)
        assert p.flush(30) == 0
        for part, offs in acked.items():
            assert offs == list(range(len(offs))), (part, offs[:10])

        # List offsets: earliest, latest, by time (record 301 of partition 1 is offset 100).
        tp1 = TopicPartition("ck", 1)
        lo = ck_result(admin.list_offsets({tp1: OffsetSpec.earliest()}))
        hi = ck_result(admin.list_offsets({tp1: OffsetSpec.latest()}))
        at = ck_result(admin.list_offsets({tp1: OffsetSpec.for_timestamp(t0 + 299)}))
        assert lo[tp1].offset == 0 and hi[tp1].offset == len(acked[1]), (lo, hi)
        assert at[tp1].offset == 100 and at[tp1].timestamp == t0 + 301, at

        # A group of two reads everything once.
        def member():
            c = Consumer({**conf, "group.id": "ck-group", "auto.offset.reset": "earliest",
                          "enable.auto.commit": False, "session.timeout.ms": 6000,
                          "heartbeat.interval.ms": 300, "partition.assignment.strategy": "cooperative-sticky"})
            c.subscribe(["ck"])
            return c

        members = [member(), member()]
        seen = {}
        deadline = time.monotonic() + 60
        while len(seen) < RECORDS and time.monotonic() < deadline:
            for c in members:
                for m in c.consume(100, timeout=0.1):
                    assert m.error() is None, m.error()
                    assert m.key() not in seen, "read twice: %r" % m.key()
                    seen[m.key()] = m.value()
                    c.commit(message=m, asynchronous=False)
        assert len(seen) == RECORDS, len(seen)
        wait_until(lambda: [c.consume(1, timeout=0.05) for c in members] and
                   all(c.assignment() for c in members), what="both members assigned")

        groups = admin.list_consumer_groups().result(timeout=30)
        assert "ck-group" in [g.group_id for g in groups.valid], groups.valid
        d = ck_result(admin.describe_consumer_groups(["ck-group"]))["ck-group"]
        assert d.state == ConsumerGroupState.STABLE and len(d.members) == 2, d
        for c in members:
            c.close()
        wait_until(lambda: ck_result(admin.describe_consumer_groups(["ck-group"]))["ck-group"].state
                   == ConsumerGroupState.EMPTY, what="the group to be empty")

        from confluent_kafka import ConsumerGroupTopicPartitions
        offs = ck_result(admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions("ck-group", [TopicPartition("ck", i) for i in range(PARTITIONS)])]))
        assert sorted((tp.partition, tp.offset) for tp in offs["ck-group"].topic_partitions) == \
            [(i, len(acked[i])) for i in range(PARTITIONS)], offs
        ck_result(admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions("ck-group", [TopicPartition("ck", 0, 5)])]))
        offs = ck_result(admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions("ck-group", [TopicPartition("ck", 0)])]))
        assert offs["ck-group"].topic_partitions[0].offset == 5, offs

        # Delete records, then the group and the scratch topic.
        tp2 = TopicPartition("ck", 2, 100)
        dr = ck_result(admin.delete_records([tp2]))
        assert list(dr.values())[0].low_watermark == 100, dr
        ck_result(admin.delete_consumer_groups(["ck-group"]))
        ck_result(admin.delete_topics(["ck-scratch"]))
        wait_until(lambda: "ck-scratch" not in admin.list_topics(timeout=10).topics, what="ck-scratch deleted")


def test_confluent_kafka_kip848_consumer_protocol():
    """librdkafka with group.protocol=consumer against a broker without
    ConsumerGroupHeartbeat (runnel, like Kafka 3.x) raises no error: it marks
    the coordinator unusable and retries quietly. What must hold is that it
    reads nothing without a group (docs/compatibility.md)."""
    with Broker(BINARY, settings=SETTINGS) as b:
        p = Producer({"bootstrap.servers": b.bootstrap})
        p.produce("ck-848", value=b"x")
        assert p.flush(30) == 0
        errors = []
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "ck-848", "group.protocol": "consumer",
                      "auto.offset.reset": "earliest", "error_cb": errors.append})
        try:
            c.subscribe(["ck-848"])
            deadline = time.monotonic() + 8
            consumed = []
            while time.monotonic() < deadline:
                m = c.poll(0.2)
                if m is not None:
                    (errors if m.error() else consumed).append(m.error() or m)
            assert not consumed, "read without a group"
            assert not c.assignment(), c.assignment()
            print("  librdkafka group.protocol=consumer: no assignment, errors %s" % errors, flush=True)
        finally:
            c.close()


# ------------------------------------------------------------ kafka-python 3.x

def test_kafka_python_3():
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.admin import ConfigResource as KConfigResource, ConfigResourceType, NewPartitions as KNP
    from kafka.admin import NewTopic as KNewTopic
    from kafka.structs import OffsetAndMetadata, TopicPartition as KTP

    with Broker(BINARY, settings=SETTINGS) as b:
        admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
        try:
            cluster = admin.describe_cluster()
            assert len(cluster["brokers"]) == 1 and cluster["cluster_id"], cluster
            admin.create_topics([KNewTopic("kp", PARTITIONS, 1, topic_configs={"retention.ms": "86400000"}),
                                 KNewTopic("kp-scratch", 1, 1)])
            admin.create_partitions({"kp-scratch": KNP(2)})
            cfg = admin.describe_configs([KConfigResource(ConfigResourceType.TOPIC, "kp")])
            assert "86400000" in repr(cfg), cfg
            admin.alter_configs([KConfigResource(ConfigResourceType.TOPIC, "kp", configs={"retention.ms": "3600000"})])
            cfg = admin.describe_configs([KConfigResource(ConfigResourceType.TOPIC, "kp")])
            assert "3600000" in repr(cfg), cfg

            p = KafkaProducer(bootstrap_servers=b.bootstrap, enable_idempotence=True, acks="all",
                              compression_type="gzip", linger_ms=5)
            futures = [p.send("kp", key=b"k%d" % i, value=b"v%d" % i, partition=i % PARTITIONS)
                       for i in range(RECORDS)]
            p.flush(30)
            acked = {}
            for f in futures:
                md = f.get(timeout=30)
                acked.setdefault(md.partition, []).append(md.offset)
            p.close()
            for part, offs in acked.items():
                assert offs == list(range(len(offs))), (part, offs[:10])

            def member():
                return KafkaConsumer("kp", bootstrap_servers=b.bootstrap, group_id="kp-group",
                                     auto_offset_reset="earliest", enable_auto_commit=False,
                                     session_timeout_ms=6000, heartbeat_interval_ms=300)

            members = [member(), member()]
            seen = set()
            deadline = time.monotonic() + 60
            while len(seen) < RECORDS and time.monotonic() < deadline:
                for c in members:
                    for recs in c.poll(timeout_ms=100).values():
                        for r in recs:
                            assert r.key not in seen, "read twice: %r" % r.key
                            seen.add(r.key)
                    c.commit()
            assert len(seen) == RECORDS, len(seen)
            groups = admin.list_groups()
            assert any(g["group_id"] == "kp-group" for g in groups), groups
            d = admin.describe_groups(["kp-group"])["kp-group"]
            assert d["group_state"] == "Stable" and len(d["members"]) == 2, d
            for c in members:
                c.close()
            wait_until(lambda: admin.describe_groups(["kp-group"])["kp-group"]["group_state"] == "Empty",
                       what="the group to be empty")
            offs = admin.list_group_offsets({"kp-group": None})["kp-group"]
            assert {tp.partition: o.offset for tp, o in offs.items()} == \
                {i: len(acked[i]) for i in range(PARTITIONS)}, offs
            admin.alter_group_offsets("kp-group", {KTP("kp", 0): OffsetAndMetadata(3, "", -1)})
            offs = admin.list_group_offsets({"kp-group": None})["kp-group"]
            assert offs[KTP("kp", 0)].offset == 3, offs
            admin.delete_group_offsets("kp-group", [KTP("kp", 1)])
            offs = admin.list_group_offsets({"kp-group": None})["kp-group"]
            assert KTP("kp", 1) not in offs, offs

            admin.delete_records({KTP("kp", 2): 50})
            from kafka.admin import OffsetSpec as KOffsetSpec
            lo = admin.list_partition_offsets({KTP("kp", 2): KOffsetSpec.EARLIEST})
            assert lo[KTP("kp", 2)].offset == 50, lo
            admin.delete_groups(["kp-group"])
            assert not any(g["group_id"] == "kp-group" for g in admin.list_groups())
            admin.delete_topics(["kp-scratch"])
        finally:
            admin.close()


# ------------------------------------------------------------ aiokafka

def test_aiokafka():
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin import NewTopic as ANewTopic, RecordsToDelete
    from aiokafka.structs import TopicPartition as ATP

    async def body(bootstrap):
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([ANewTopic("aio", PARTITIONS, 1)])
            assert "aio" in await admin.list_topics()
            cluster = await admin.describe_cluster()
            assert len(cluster["brokers"]) == 1, cluster

            p = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                                 compression_type="gzip", linger_ms=5)
            await p.start()
            try:
                futures = [await p.send("aio", key=b"k%d" % i, value=b"v%d" % i, partition=i % PARTITIONS)
                           for i in range(RECORDS)]
                acked = {}
                for f in futures:
                    md = await asyncio.wait_for(f, 30)
                    acked.setdefault(md.partition, []).append(md.offset)
            finally:
                await p.stop()
            for part, offs in acked.items():
                assert offs == list(range(len(offs))), (part, offs[:10])

            members = [AIOKafkaConsumer("aio", bootstrap_servers=bootstrap, group_id="aio-group",
                                        auto_offset_reset="earliest", enable_auto_commit=False,
                                        session_timeout_ms=6000, heartbeat_interval_ms=300)
                       for _ in range(2)]
            for c in members:
                await c.start()
            try:
                seen = set()
                deadline = time.monotonic() + 60
                while len(seen) < RECORDS and time.monotonic() < deadline:
                    for c in members:
                        batch = await c.getmany(timeout_ms=100)
                        for recs in batch.values():
                            for r in recs:
                                assert r.key not in seen, "read twice: %r" % r.key
                                seen.add(r.key)
                        if batch:
                            await c.commit()
                assert len(seen) == RECORDS, len(seen)
                groups = await admin.list_consumer_groups()
                assert any(g[0] == "aio-group" for g in groups), groups
            finally:
                for c in members:
                    await c.stop()
            offs = await admin.list_consumer_group_offsets("aio-group")
            assert {tp.partition: o.offset for tp, o in offs.items()} == \
                {i: len(acked[i]) for i in range(PARTITIONS)}, offs
            low = await admin.delete_records({ATP("aio", 0): RecordsToDelete(before_offset=20)})
            assert low[ATP("aio", 0)] == 20, low
        finally:
            await admin.close()

    with Broker(BINARY, settings=SETTINGS) as b:
        asyncio.run(asyncio.wait_for(body(b.bootstrap), 240))


if __name__ == "__main__":
    check_versions()
    run([test_confluent_kafka_2, test_confluent_kafka_kip848_consumer_protocol, test_kafka_python_3,
         test_aiokafka])
