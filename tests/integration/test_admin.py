"""Admin APIs against runnel with real clients: DescribeConfigs, AlterConfigs,
IncrementalAlterConfigs, CreatePartitions, DeleteRecords, OffsetForLeaderEpoch.

confluent-kafka (librdkafka) drives what its Python binding offers
(describe/alter configs, create partitions). The APIs it does not expose
here (IncrementalAlterConfigs, DeleteRecords, OffsetForLeaderEpoch) and the
request versions it does not use are sent through kafka-python's protocol
layer, with the request layouts written out below from the Kafka spec."""

import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource, NewPartitions,
                                   NewTopic)
from kafka import KafkaAdminClient
from kafka.protocol.admin import CreateTopicsRequest_v3
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Boolean, Int8, Int16, Int32, Int64, Schema, String

from harness import BINARY, Broker, run, wait_until

NONE, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION = 0, 1, 3
INVALID_PARTITIONS, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG = 37, 39, 40
INVALID_REQUEST, POLICY_VIOLATION = 42, 44
FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH = 74, 75
TOPIC, BROKER = 2, 4
STR = String("utf-8")


# ---- request layouts kafka-python 2.0 lacks (non-flexible versions) ----

def api(key, version, request_fields, response_fields):
    resp = type("Resp%d_%d" % (key, version), (Response,),
                {"API_KEY": key, "API_VERSION": version, "SCHEMA": Schema(*response_fields)})
    return type("Req%d_%d" % (key, version), (Request,),
                {"API_KEY": key, "API_VERSION": version, "RESPONSE_TYPE": resp,
                 "SCHEMA": Schema(*request_fields)})


DeleteRecordsV1 = api(
    21, 1,
    [("topics", Array(("name", STR), ("partitions", Array(("partition", Int32),
                                                          ("offset", Int64))))),
     ("timeout_ms", Int32)],
    [("throttle_time_ms", Int32),
     ("topics", Array(("name", STR), ("partitions", Array(("partition", Int32),
                                                          ("low_watermark", Int64),
                                                          ("error_code", Int16)))))])

IncrementalAlterConfigsV0 = api(
    44, 0,
    [("resources", Array(("resource_type", Int8), ("resource_name", STR),
                         ("configs", Array(("name", STR), ("op", Int8), ("value", STR))))),
     ("validate_only", Boolean)],
    [("throttle_time_ms", Int32),
     ("responses", Array(("error_code", Int16), ("error_message", STR),
                         ("resource_type", Int8), ("resource_name", STR)))])

OffsetForLeaderEpochV0 = api(
    23, 0,
    [("topics", Array(("topic", STR), ("partitions", Array(("partition", Int32),
                                                           ("leader_epoch", Int32)))))],
    [("topics", Array(("topic", STR), ("partitions", Array(("error_code", Int16),
                                                           ("partition", Int32),
                                                           ("end_offset", Int64)))))])

OffsetForLeaderEpochV3 = api(
    23, 3,
    [("replica_id", Int32),
     ("topics", Array(("topic", STR), ("partitions", Array(("partition", Int32),
                                                           ("current_leader_epoch", Int32),
                                                           ("leader_epoch", Int32)))))],
    [("throttle_time_ms", Int32),
     ("topics", Array(("topic", STR), ("partitions", Array(("error_code", Int16),
                                                           ("partition", Int32),
                                                           ("leader_epoch", Int32),
                                                           ("end_offset", Int64)))))])

DescribeConfigsV0 = api(
    32, 0,
    [("resources", Array(("resource_type", Int8), ("resource_name", STR),
                         ("keys", Array(STR))))],
    [("throttle_time_ms", Int32),
     ("results", Array(("error_code", Int16), ("error_message", STR), ("resource_type", Int8),
                       ("resource_name", STR),
                       ("configs", Array(("name", STR), ("value", STR), ("read_only", Boolean),
                                         ("is_default", Boolean), ("is_sensitive", Boolean)))))])

DescribeConfigsV3 = api(
    32, 3,
    [("resources", Array(("resource_type", Int8), ("resource_name", STR),
                         ("keys", Array(STR)))),
     ("include_synonyms", Boolean), ("include_documentation", Boolean)],
    [("throttle_time_ms", Int32),
     ("results", Array(("error_code", Int16), ("error_message", STR), ("resource_type", Int8),
                       ("resource_name", STR),
                       ("configs", Array(("name", STR), ("value", STR), ("read_only", Boolean),
                                         ("source", Int8), ("is_sensitive", Boolean),
                                         ("synonyms", Array(("name", STR), ("value", STR),
                                                            ("source", Int8))),
                                         ("type", Int8), ("doc", STR)))))])


class Raw:
    """Sends hand-built requests over kafka-python's connection layer."""

    def __init__(self, bootstrap):
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)

    def send(self, request):
        f = self.admin._send_request_to_node(self.admin._client.least_loaded_node(), request)
        self.admin._wait_for_futures([f])
        return f.value

    def close(self):
        self.admin.close()


def as_dicts(resp):
    return resp.to_object()


# ---- helpers ----

def admin_for(b):
    return AdminClient({"bootstrap.servers": b.bootstrap})


def create(admin, name, partitions=1, config=None):
    admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])[name].result(30)


def error_of(future):
    try:
        future.result(timeout=30)
    except KafkaException as e:
        return e.args[0].code()
    return NONE


def describe_topic(admin, name):
    res = ConfigResource("topic", name)
    return admin.describe_configs([res])[res].result(timeout=30)


def produce(b, topic, partition, count, timestamp=None):
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 5})
    errors = []
    for i in range(count):
        kw = {"timestamp": timestamp} if timestamp is not None else {}
        p.produce(topic, value=b"v%d" % i, partition=partition,
                  on_delivery=lambda err, m: err and errors.append(err), **kw)
    assert p.flush(30) == 0
    assert not errors, errors


def consume(b, topic, partition, count, start=-2, timeout=30):
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, partition, start)])
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        assert not m.error(), m.error()
        got.append(m)
    c.close()
    return got


def watermarks(b, topic, partition):
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    finally:
        c.close()


# ---- tests ----

def test_describe_topic_configs_sources_and_fixed_settings():
    with Broker(BINARY, settings={"log.retention.bytes": "1000000000"}) as b:
        admin = admin_for(b)
        create(admin, "cfg", 2, {"retention.ms": "3600000", "cleanup.policy": "compact,delete",
                                 "min.insync.replicas": "1"})
        c = describe_topic(admin, "cfg")
        assert c["retention.ms"].value == "3600000"
        assert c["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        assert not c["retention.ms"].is_default
        assert c["cleanup.policy"].value == "compact,delete"
        assert c["min.insync.replicas"].value == "1"
        assert c["segment.bytes"].value == "1073741824"
        assert c["segment.bytes"].source == ConfigSource.DEFAULT_CONFIG.value
        assert c["segment.bytes"].is_default
        # Set in the broker's own settings: the topic inherits it.
        assert c["retention.bytes"].value == "1000000000"
        assert c["retention.bytes"].source == ConfigSource.STATIC_BROKER_CONFIG.value
        assert c["compression.type"].value == "producer"
        assert not c["compression.type"].is_read_only
        assert c["unclean.leader.election.enable"].value == "false"
        assert c["unclean.leader.election.enable"].is_read_only
        assert c["message.timestamp.type"].value == "CreateTime"
        # Settings runnel has fixed accept only their one value.
        for cfg in ({"unclean.leader.election.enable": "true"}, {"min.insync.replicas": "2"}):
            f = admin.create_topics([NewTopic("fixed", 1, 1, config=cfg)])["fixed"]
            assert error_of(f) == INVALID_CONFIG, cfg
        res = ConfigResource("topic", "nope")
        assert error_of(admin.describe_configs([res])[res]) == UNKNOWN_TOPIC_OR_PARTITION


def test_describe_configs_v0_v3_synonyms_docs_and_key_filter():
    with Broker(BINARY, settings={"log.retention.ms": "86400000"}) as b:
        admin = admin_for(b)
        create(admin, "docs", 1, {"segment.ms": "600000"})
        raw = Raw(b.bootstrap)
        try:
            r = as_dicts(raw.send(DescribeConfigsV0(
                resources=[(TOPIC, "docs", ["segment.ms", "retention.ms", "no.such.key"])])))
            res = r["results"][0]
            assert res["error_code"] == NONE
            got = {c["name"]: c for c in res["configs"]}
            assert sorted(got) == ["retention.ms", "segment.ms"], got
            assert got["segment.ms"]["value"] == "600000" and not got["segment.ms"]["is_default"]
            assert got["retention.ms"]["value"] == "86400000"

            r = as_dicts(raw.send(DescribeConfigsV3(
                resources=[(TOPIC, "docs", None), (TOPIC, "missing", None), (9, "x", None)],
                include_synonyms=True, include_documentation=True)))
            ok, missing, bad_type = r["results"]
            assert missing["error_code"] == UNKNOWN_TOPIC_OR_PARTITION
            assert bad_type["error_code"] == INVALID_REQUEST
            got = {c["name"]: c for c in ok["configs"]}
            seg, ret, pol = got["segment.ms"], got["retention.ms"], got["cleanup.policy"]
            assert seg["source"] == 1 and seg["type"] == 5 and seg["doc"]
            assert [(s["name"], s["value"], s["source"]) for s in seg["synonyms"]] == [
                ("segment.ms", "600000", 1), ("log.roll.ms", "604800000", 5)], seg["synonyms"]
            assert ret["source"] == 4
            assert [(s["name"], s["value"], s["source"]) for s in ret["synonyms"]] == [
                ("log.retention.ms", "86400000", 4), ("log.retention.ms", "604800000", 5)]
            assert pol["type"] == 7 and pol["value"] == "delete"

            # The broker's own settings, by node id or by "".
            for name in ("0", ""):
                r = as_dicts(raw.send(DescribeConfigsV3(resources=[(BROKER, name, None)],
                                                        include_synonyms=False,
                                                        include_documentation=False)))
                res = r["results"][0]
                assert res["error_code"] == NONE, res
                got = {c["name"]: c for c in res["configs"]}
                assert got["num.partitions"]["value"] == "1"
                assert got["num.partitions"]["source"] == 5
                assert got["log.retention.ms"]["value"] == "86400000"
                assert got["log.retention.ms"]["source"] == 4
                assert got["auto.create.topics.enable"]["value"] == "true"
                assert got["listeners"]["value"] == "PLAINTEXT://" + b.bootstrap
                assert all(c["read_only"] and c["doc"] is None for c in res["configs"])
            r = as_dicts(raw.send(DescribeConfigsV3(resources=[(BROKER, "7", None)],
                                                    include_synonyms=False,
                                                    include_documentation=False)))
            assert r["results"][0]["error_code"] == INVALID_REQUEST
        finally:
            raw.close()
        # librdkafka's view of the broker resource.
        res = ConfigResource("broker", "0")
        c = admin.describe_configs([res])[res].result(timeout=30)
        assert c["log.retention.ms"].value == "86400000"


def test_alter_configs_replaces_overrides_and_reaches_the_logs():
    with Broker(BINARY, shards=3) as b:
        admin = admin_for(b)
        create(admin, "alt", 4, {"retention.ms": "3600000", "cleanup.policy": "compact,delete"})

        def alter(configs, validate_only=False, name="alt"):
            res = ConfigResource("topic", name, set_config=configs)
            return error_of(admin.alter_configs([res], validate_only=validate_only)[res])

        assert alter({"segment.bytes": "1048576"}, validate_only=True) == NONE
        assert describe_topic(admin, "alt")["segment.bytes"].value == "1073741824"
        assert alter({"segment.bytes": "abc"}) == INVALID_CONFIG
        assert alter({"no.such.setting": "1"}) == INVALID_CONFIG
        assert alter({"retention.ms": "1"}, name="missing") == UNKNOWN_TOPIC_OR_PARTITION
        # AlterConfigs replaces the whole set: cleanup.policy reverts to its default.
        assert alter({"retention.ms": "7200000", "message.timestamp.type": "LogAppendTime"}) == NONE
        c = describe_topic(admin, "alt")
        assert c["retention.ms"].value == "7200000"
        assert c["cleanup.policy"].value == "delete" and c["cleanup.policy"].is_default
        # Every partition's log (spread over the shards) now stamps append time.
        old = int(time.time() * 1000) - 3600 * 1000
        for part in range(4):
            produce(b, "alt", part, 3, timestamp=old)
            for m in consume(b, "alt", part, 3):
                kind, ts = m.timestamp()
                assert kind == 2 and ts > old + 1800 * 1000, (part, kind, ts)  # LOG_APPEND_TIME
        # Broker settings are static: refused, not silently lost at restart.
        res = ConfigResource("broker", "0", set_config={"num.partitions": "3"})
        assert error_of(admin.alter_configs([res])[res]) == INVALID_REQUEST
        # Persisted.
        b.restart()
        admin = admin_for(b)
        c = describe_topic(admin, "alt")
        assert c["retention.ms"].value == "7200000"
        assert c["message.timestamp.type"].value == "LogAppendTime"


def test_incremental_alter_configs():
    with Broker(BINARY) as b:
        admin = admin_for(b)
        create(admin, "inc", 2, {"retention.ms": "3600000", "min.insync.replicas": "1"})
        raw = Raw(b.bootstrap)
        SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3

        def inc(configs, validate_only=False, name="inc", rtype=TOPIC):
            r = as_dicts(raw.send(IncrementalAlterConfigsV0(
                resources=[(rtype, name, configs)], validate_only=validate_only)))
            return r["responses"][0]["error_code"]

        try:
            assert inc([("segment.ms", SET, "60000"), ("min.insync.replicas", DELETE, None)]) == 0
            c = describe_topic(admin, "inc")
            assert c["segment.ms"].value == "60000"
            assert c["retention.ms"].value == "3600000"  # untouched
            assert c["min.insync.replicas"].source == ConfigSource.DEFAULT_CONFIG.value
            assert inc([("cleanup.policy", APPEND, "compact")]) == NONE
            assert describe_topic(admin, "inc")["cleanup.policy"].value == "compact,delete"
            assert inc([("cleanup.policy", SUBTRACT, "delete")]) == NONE
            assert describe_topic(admin, "inc")["cleanup.policy"].value == "compact"
            assert inc([("cleanup.policy", SUBTRACT, "compact")]) == INVALID_CONFIG  # empty
            assert inc([("retention.ms", APPEND, "5")]) == INVALID_CONFIG  # not a list
            assert inc([("retention.ms", 7, "5")]) == INVALID_REQUEST
            assert inc([("retention.ms", SET, "5"), ("retention.ms", SET, "6")]) == INVALID_REQUEST
            assert inc([("retention.ms", SET, None)]) == INVALID_REQUEST
            assert inc([("retention.ms", SET, "-7")]) == INVALID_CONFIG
            assert inc([("retention.ms", SET, "5")], name="missing") == UNKNOWN_TOPIC_OR_PARTITION
            assert inc([("retention.ms", SET, "5")], validate_only=True) == NONE
            assert describe_topic(admin, "inc")["retention.ms"].value == "3600000"
            assert inc([("num.partitions", SET, "4")], name="0", rtype=BROKER) == INVALID_REQUEST
            assert inc([], name="0", rtype=BROKER) == NONE
        finally:
            raw.close()


def test_create_partitions():
    with Broker(BINARY, shards=2) as b:
        admin = admin_for(b)
        create(admin, "grow", 2)
        produce(b, "grow", 1, 5)

        def grow(count, validate_only=False, name="grow", assignment=None):
            np = NewPartitions(name, count, assignment) if assignment else NewPartitions(name, count)
            f = admin.create_partitions([np], validate_only=validate_only)[name]
            return error_of(f)

        def partitions():
            return len(admin.list_topics(timeout=10).topics["grow"].partitions)

        assert grow(5, validate_only=True) == NONE
        assert partitions() == 2
        assert grow(2) == INVALID_PARTITIONS
        assert grow(1) == INVALID_PARTITIONS
        assert grow(3, name="missing") == UNKNOWN_TOPIC_OR_PARTITION
        # An assignment naming this broker alone is valid; any other is not.
        assert grow(3, assignment=[[1]]) == INVALID_REPLICA_ASSIGNMENT
        assert grow(3, assignment=[[0, 0]]) == INVALID_REPLICA_ASSIGNMENT
        assert grow(4, assignment=[[0]]) == INVALID_REPLICA_ASSIGNMENT  # one list per new one
        assert grow(3, assignment=[[0]], validate_only=True) == NONE
        assert partitions() == 2
        # New partitions get the topic's current config.
        res = ConfigResource("topic", "grow", set_config={"message.timestamp.type": "LogAppendTime"})
        admin.alter_configs([res])[res].result(timeout=30)
        assert grow(5) == NONE
        wait_until(lambda: partitions() == 5, timeout=10, what="5 partitions in metadata")
        old = int(time.time() * 1000) - 3600 * 1000
        for part in (2, 3, 4):
            produce(b, "grow", part, 4, timestamp=old)
        got = consume(b, "grow", 4, 4)
        assert [m.value() for m in got] == [b"v%d" % i for i in range(4)]
        assert all(m.timestamp()[0] == 2 and m.timestamp()[1] > old for m in got)
        assert len(consume(b, "grow", 1, 5)) == 5  # old data untouched
        b.restart()
        admin = admin_for(b)
        assert partitions() == 5
        assert watermarks(b, "grow", 4) == (0, 4)


def test_create_topics_with_a_manual_assignment_on_this_broker():
    with Broker(BINARY) as b:
        admin = admin_for(b)

        def create_assigned(name, assignment):
            # librdkafka sends -1 for both counts with an assignment.
            t = NewTopic(name, len(assignment), -1, replica_assignment=assignment)
            return error_of(admin.create_topics([t])[name])

        assert create_assigned("assigned", [[0], [0], [0]]) == NONE
        md = admin.list_topics(timeout=10).topics["assigned"]
        assert sorted(md.partitions) == [0, 1, 2]
        assert all(p.replicas == [0] and p.leader == 0 for p in md.partitions.values())
        produce(b, "assigned", 2, 3)
        assert len(consume(b, "assigned", 2, 3)) == 3
        # Other brokers, several replicas: refused, nothing created.
        assert create_assigned("elsewhere", [[0], [1]]) == INVALID_REPLICA_ASSIGNMENT
        assert create_assigned("mirrored", [[0, 1]]) == INVALID_REPLICA_ASSIGNMENT
        assert "elsewhere" not in admin.list_topics(timeout=10).topics
        # Kafka's rule: an assignment and a partition count do not mix. (The
        # client itself refuses a replication factor with an assignment.)
        raw = Raw(b.bootstrap)
        try:
            r = as_dicts(raw.send(CreateTopicsRequest_v3(
                create_topic_requests=[("both", 2, -1, [(0, [0]), (1, [0])], []),
                                       ("gap", -1, -1, [(0, [0]), (2, [0])], []),
                                       ("raw-ok", -1, -1, [(1, [0]), (0, [0])], [])],
                timeout=10000, validate_only=False)))
            got = {t["topic"]: t["error_code"] for t in r["topic_errors"]}
            assert got == {"both": INVALID_REQUEST, "gap": INVALID_REPLICA_ASSIGNMENT,
                           "raw-ok": NONE}, got
        finally:
            raw.close()
        assert len(admin.list_topics(timeout=10).topics["raw-ok"].partitions) == 2


def test_message_format_version_is_accepted_and_ignored():
    with Broker(BINARY) as b:
        admin = admin_for(b)
        create(admin, "mfv", 1, {"message.format.version": "2.8-IV1"})
        assert describe_topic(admin, "mfv")["message.format.version"].value == "2.8-IV1"
        res = ConfigResource("topic", "mfv", set_config={"message.format.version": "0.10.0"})
        assert error_of(admin.alter_configs([res])[res]) == NONE
        raw = Raw(b.bootstrap)
        try:
            r = as_dicts(raw.send(IncrementalAlterConfigsV0(
                resources=[(TOPIC, "mfv", [("message.format.version", 0, "3.0-IV1")])],
                validate_only=False)))
            assert r["responses"][0]["error_code"] == NONE
            r = as_dicts(raw.send(IncrementalAlterConfigsV0(
                resources=[(TOPIC, "mfv", [("message.format.version", 0, "latest")])],
                validate_only=False)))
            assert r["responses"][0]["error_code"] == INVALID_CONFIG
        finally:
            raw.close()
        assert describe_topic(admin, "mfv")["message.format.version"].value == "3.0-IV1"
        # Without effect: records still go in and out as v2 batches.
        produce(b, "mfv", 0, 5)
        assert [m.value() for m in consume(b, "mfv", 0, 5)] == [b"v%d" % i for i in range(5)]


def test_delete_records():
    with Broker(BINARY, shards=2) as b:
        admin = admin_for(b)
        create(admin, "trim", 2)
        create(admin, "compacted", 1, {"cleanup.policy": "compact"})
        produce(b, "trim", 0, 100)
        produce(b, "trim", 1, 10)
        raw = Raw(b.bootstrap)

        def delete(topic, parts):
            r = as_dicts(raw.send(DeleteRecordsV1(topics=[(topic, parts)], timeout_ms=10000)))
            return {p["partition"]: (p["error_code"], p["low_watermark"])
                    for p in r["topics"][0]["partitions"]}

        try:
            assert delete("trim", [(0, 40), (1, -1), (7, 1)]) == {
                0: (NONE, 40), 1: (NONE, 10), 7: (UNKNOWN_TOPIC_OR_PARTITION, -1)}
            assert watermarks(b, "trim", 0) == (40, 100)
            assert watermarks(b, "trim", 1) == (10, 10)
            got = consume(b, "trim", 0, 60)
            assert [m.offset() for m in got] == list(range(40, 100))
            assert delete("trim", [(0, 10)]) == {0: (NONE, 40)}  # below the start: no-op
            assert delete("trim", [(0, 101)])[0][0] == OFFSET_OUT_OF_RANGE
            assert delete("missing", [(0, 1)]) == {0: (UNKNOWN_TOPIC_OR_PARTITION, -1)}
            assert delete("compacted", [(0, 0)])[0][0] == POLICY_VIOLATION
        finally:
            raw.close()
        # Durable before the answer: survives a crash right after.
        b.kill()
        b.start()
        assert watermarks(b, "trim", 0) == (40, 100)
        assert watermarks(b, "trim", 1) == (10, 10)


def test_offset_for_leader_epoch():
    with Broker(BINARY) as b:
        admin = admin_for(b)
        create(admin, "epochs", 2)
        produce(b, "epochs", 0, 25)
        raw = Raw(b.bootstrap)
        try:
            r = as_dicts(raw.send(OffsetForLeaderEpochV3(replica_id=-1, topics=[
                ("epochs", [(0, -1, 0), (1, 0, 0), (0, -1, 3), (0, -1, -1), (0, 1, 0),
                            (0, -5, 0), (9, -1, 0)]),
                ("missing", [(0, -1, 0)])])))
            got = [(p["error_code"], p["partition"], p["leader_epoch"], p["end_offset"])
                   for t in r["topics"] for p in t["partitions"]]
            assert got == [
                (NONE, 0, 0, 25),                      # current epoch: the log end
                (NONE, 1, 0, 0),                       # current_leader_epoch 0 matches
                (NONE, 0, -1, -1),                     # an epoch we never had
                (NONE, 0, -1, -1),                     # undefined epoch
                (UNKNOWN_LEADER_EPOCH, 0, -1, -1),     # client ahead of us
                (FENCED_LEADER_EPOCH, 0, -1, -1),      # client behind us
                (UNKNOWN_TOPIC_OR_PARTITION, 9, -1, -1),
                (UNKNOWN_TOPIC_OR_PARTITION, 0, -1, -1),
            ], got
            r = as_dicts(raw.send(OffsetForLeaderEpochV0(topics=[("epochs", [(0, 0)])])))
            assert r["topics"][0]["partitions"][0] == {"error_code": 0, "partition": 0,
                                                       "end_offset": 25}
        finally:
            raw.close()


if __name__ == "__main__":
    run([test_describe_topic_configs_sources_and_fixed_settings,
         test_describe_configs_v0_v3_synonyms_docs_and_key_filter,
         test_alter_configs_replaces_overrides_and_reaches_the_logs,
         test_incremental_alter_configs,
         test_create_partitions,
         test_create_topics_with_a_manual_assignment_on_this_broker,
         test_message_format_version_is_accepted_and_ignored,
         test_delete_records,
         test_offset_for_leader_epoch])
