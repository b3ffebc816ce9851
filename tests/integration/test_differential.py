"""Differential conformance: the same Kafka request sequences sent to runnel
and to Apache Kafka 4.x (one KRaft node, node id 0 like runnel's), and the
responses compared field by field — error codes, offsets, timestamps,
throttle times, log start offsets, record batches — after masking only what
must differ (host, port, cluster and topic ids, producer and member ids,
free-text error messages). Every other difference fails the test unless
ALLOWED lists it with its reason, and docs/compatibility.md ("Differences
from Apache Kafka") explains each entry.

Requests are encoded by bench/peers/kafka/kafka_wire.py, a minimal codec of
our own written from the protocol spec, so neither broker's client library
stands between the test and the bytes.

Run as `/usr/bin/python3 test_differential.py PATH/TO/runnel`; VERBOSE=1
prints every compared response.
"""

import fnmatch
import json
import os
import shutil
import sys
import tempfile
import time

from harness import BINARY, Broker, run, wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "peers", "kafka"))
from kafka_cluster import KafkaCluster  # noqa: E402
from kafka_messages import version  # noqa: E402
import kafka_wire as kw  # noqa: E402

# Intended differences: a pattern over "scenario/step:field.path" ("*" is a
# wildcard, brackets are literal) -> why.
# Each reason is a row of docs/compatibility.md, "Differences from Apache Kafka".
ALLOWED = {
    # Record timestamps are not checked against the broker's clock
    # (message.timestamp.after.max.ms / before.max.ms); Kafka 4 refuses a
    # CreateTime more than an hour ahead. The fetch after it then differs.
    "produce/future-timestamp:*": "timestamps not checked against the clock",
    "produce/after-errors:*": "timestamps not checked against the clock",
    # flush.messages: runnel flushes by bytes and time (flush.bytes,
    # flush.ms) and acks=all fsyncs every batch; it has no message count.
    "configs/*:results[0].configs.flush.messages": "no flush.messages",
    # One node: min.insync.replicas is fixed at 1 (read-only, a default);
    # Kafka 4 sets it as a cluster-wide dynamic default when formatting.
    "configs/*:results[0].configs.min.insync.replicas.read_only": "single node: min.insync.replicas",
    "configs/*:results[0].configs.min.insync.replicas.config_source": "single node: min.insync.replicas",
    # runnel lists log.retention.ms (its default) as a synonym of an
    # overridden retention.ms; Kafka's default lives in log.retention.hours
    # and it lists the override alone.
    "configs/describe-synonyms:results[0].configs.retention.ms.synonyms*": "retention.ms synonyms",
}

# Settings both brokers run with (Kafka's defaults otherwise): groups start
# rebalancing at once, so that the group scenarios take milliseconds.
COMMON = {"group.initial.rebalance.delay.ms": "0", "auto.create.topics.enable": "false"}

ERRORS = {0: "NONE", 1: "OFFSET_OUT_OF_RANGE", 2: "CORRUPT_MESSAGE", 3: "UNKNOWN_TOPIC_OR_PARTITION",
          6: "NOT_LEADER_OR_FOLLOWER", 10: "MESSAGE_TOO_LARGE", 15: "COORDINATOR_NOT_AVAILABLE",
          16: "NOT_COORDINATOR", 17: "INVALID_TOPIC_EXCEPTION", 21: "INVALID_REQUIRED_ACKS",
          22: "ILLEGAL_GENERATION", 23: "INCONSISTENT_GROUP_PROTOCOL", 24: "INVALID_GROUP_ID",
          25: "UNKNOWN_MEMBER_ID", 26: "INVALID_SESSION_TIMEOUT", 27: "REBALANCE_IN_PROGRESS",
          32: "INVALID_TIMESTAMP", 35: "UNSUPPORTED_VERSION", 36: "TOPIC_ALREADY_EXISTS",
          37: "INVALID_PARTITIONS", 38: "INVALID_REPLICATION_FACTOR", 39: "INVALID_REPLICA_ASSIGNMENT",
          40: "INVALID_CONFIG", 42: "INVALID_REQUEST", 45: "OUT_OF_ORDER_SEQUENCE_NUMBER",
          47: "INVALID_PRODUCER_EPOCH", 68: "NON_EMPTY_GROUP", 69: "GROUP_ID_NOT_FOUND",
          79: "MEMBER_ID_REQUIRED", 86: "GROUP_SUBSCRIBED_TO_TOPIC", 87: "INVALID_RECORD",
          100: "UNKNOWN_TOPIC_ID"}

# A fixed event time for every produced record, so both logs hold the same
# timestamps: recent enough for the default retention and timestamp bounds.
T0 = (int(time.time() * 1000) // 60_000) * 60_000 - 600_000

RUNNEL = None
KAFKA = None


class Side:
    """One broker under test: a connection and what its scenario recorded."""

    def __init__(self, name, port):
        self.name = name
        self.port = port
        self.conn = kw.Connection(port)
        self.steps = {}
        self.ids = {}  # generated id -> symbolic name ("member-1", ...)

    def close(self):
        self.conn.close()

    def call(self, api, body):
        return self.conn.call(api, version(api), body)

    def step(self, label, api, body):
        """Sends a request whose response is compared."""
        resp = self.call(api, body)
        self.steps[label] = (api, resp)
        return resp

    def name_id(self, value, prefix):
        if value and value not in self.ids:
            self.ids[value] = "%s-%d" % (prefix, sum(1 for v in self.ids.values() if v.startswith(prefix)) + 1)
        return self.ids.get(value, value)

    def reconnect(self):
        self.conn.close()
        self.conn = kw.Connection(self.port)


# ---- request helpers -------------------------------------------------------

def create_topic(name, partitions=1, configs=None, rf=1):
    return {"topics": [{"name": name, "num_partitions": partitions, "replication_factor": rf,
                        "configs": [{"name": k, "value": v} for k, v in (configs or {}).items()]}],
            "timeout_ms": 30000}


def produce(topic, partition, batch, acks=-1, transactional_id=None):
    return {"transactional_id": transactional_id, "acks": acks, "timeout_ms": 10000,
            "topic_data": [{"name": topic, "partition_data": [{"index": partition, "records": batch}]}]}


def fetch(topic, partition, offset, max_bytes=1 << 20, max_wait=0, min_bytes=0, isolation=0):
    return {"replica_id": -1, "max_wait_ms": max_wait, "min_bytes": min_bytes, "max_bytes": 50 << 20,
            "isolation_level": isolation, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": topic, "partitions": [{
                "partition": partition, "current_leader_epoch": -1, "fetch_offset": offset,
                "last_fetched_epoch": -1, "log_start_offset": -1, "partition_max_bytes": max_bytes}]}],
            "forgotten_topics_data": [], "rack_id": ""}


def list_offsets(topic, partition, timestamp, isolation=0):
    return {"replica_id": -1, "isolation_level": isolation,
            "topics": [{"name": topic, "partitions": [
                {"partition_index": partition, "current_leader_epoch": -1, "timestamp": timestamp}]}]}


def batch(n, first=0, ts=None, **kw_args):
    """n records with keys k<i> and values v<i> (i from `first`), timestamps
    T0 + i seconds unless given."""
    records = [(b"k%d" % i, b"v%d" % i) for i in range(first, first + n)]
    timestamps = ts or [T0 + 1000 * i for i in range(first, first + n)]
    return kw.record_batch(records, timestamps[0], timestamps=timestamps, **kw_args)


def wait_topic_ready(side, topic, partitions):
    """Kafka makes a new partition's leader asynchronously: waits until every
    partition answers ListOffsets without error (not compared)."""
    def ready():
        for p in range(partitions):
            r = side.call("ListOffsets", list_offsets(topic, p, -1))
            if r["topics"][0]["partitions"][0]["error_code"] != 0:
                return False
        return True
    wait_until(ready, timeout=60, what="%s: %s ready" % (side.name, topic))


def wait_coordinator(side, key):
    """Kafka creates __consumer_offsets on the first FindCoordinator and
    answers COORDINATOR_NOT_AVAILABLE until it exists, then loads the
    group's partition (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR):
    waits until the group's coordinator answers (not compared)."""
    def ready():
        if side.call("FindCoordinator", {"key": key, "key_type": 0})["error_code"] != 0:
            return False
        r = side.call("DescribeGroups", {"groups": [key], "include_authorized_operations": False})
        return r["groups"][0]["error_code"] == 0
    wait_until(ready, timeout=60, what="%s: a coordinator for %s" % (side.name, key))


# ---- scenarios: each runs on both sides --------------------------------------

def sc_create_topics(s):
    s.step("create", "CreateTopics", create_topic("ct", 3, {"retention.ms": "3600000", "cleanup.policy": "compact"}))
    s.step("exists", "CreateTopics", create_topic("ct", 3))
    s.step("bad-name", "CreateTopics", create_topic("bad/name", 1))
    s.step("dot-dot", "CreateTopics", create_topic("..", 1))
    s.step("too-long", "CreateTopics", create_topic("x" * 250, 1))
    s.step("zero-partitions", "CreateTopics", create_topic("zp", 0))
    s.step("default-partitions", "CreateTopics", create_topic("dp", -1, rf=-1))
    s.step("rf-3", "CreateTopics", create_topic("rf3", 1, rf=3))
    s.step("rf-0", "CreateTopics", create_topic("rf0", 1, rf=0))
    s.step("bad-config-value", "CreateTopics", create_topic("bcv", 1, {"retention.ms": "abc"}))
    s.step("unknown-config", "CreateTopics", create_topic("ukc", 1, {"no.such.config": "1"}))
    s.step("bad-cleanup-policy", "CreateTopics", create_topic("bcp", 1, {"cleanup.policy": "shred"}))
    body = create_topic("vo", 2)
    body["validate_only"] = True
    s.step("validate-only", "CreateTopics", body)
    s.step("validate-only-left-nothing", "Metadata", {"topics": [{"name": "vo"}], "allow_auto_topic_creation": False})
    s.step("duplicate-in-request", "CreateTopics", {"topics": create_topic("dup", 1)["topics"] * 2, "timeout_ms": 30000})


def sc_metadata(s):
    s.call("CreateTopics", create_topic("md", 2))
    wait_topic_ready(s, "md", 2)
    s.step("one-topic", "Metadata", {"topics": [{"name": "md"}], "allow_auto_topic_creation": False})
    s.step("unknown-topic", "Metadata", {"topics": [{"name": "nope"}], "allow_auto_topic_creation": False})
    s.step("invalid-name", "Metadata", {"topics": [{"name": "bad/name"}], "allow_auto_topic_creation": False})
    s.step("no-topics", "Metadata", {"topics": [], "allow_auto_topic_creation": False})


def sc_produce(s):
    s.call("CreateTopics", create_topic("pr", 2))
    s.call("CreateTopics", create_topic("pr-lat", 1, {"message.timestamp.type": "LogAppendTime"}))
    s.call("CreateTopics", create_topic("pr-small", 1, {"max.message.bytes": "200"}))
    for t, n in (("pr", 2), ("pr-lat", 1), ("pr-small", 1)):
        wait_topic_ready(s, t, n)
    s.step("first", "Produce", produce("pr", 0, batch(3)))
    s.step("second", "Produce", produce("pr", 0, batch(2, 3)))
    s.step("acks-1", "Produce", produce("pr", 1, batch(2), acks=1))
    s.step("acks-2", "Produce", produce("pr", 0, batch(1), acks=2))
    s.step("unknown-partition", "Produce", produce("pr", 7, batch(1)))
    s.step("unknown-topic", "Produce", produce("nope", 0, batch(1)))
    s.step("bad-crc", "Produce", produce("pr", 0, batch(2, crc=12345)))
    s.step("future-timestamp", "Produce", produce("pr", 0, batch(1, ts=[int(time.time() * 1000) + 7200_000])))
    s.step("log-append-time", "Produce", produce("pr-lat", 0, batch(2)))
    s.step("too-large", "Produce", produce("pr-small", 0, kw.record_batch([(b"k", b"x" * 400)], T0)))
    s.step("after-errors", "Fetch", fetch("pr", 0, 0))
    s.step("lat-fetch", "Fetch", fetch("pr-lat", 0, 0))
    s.step("acks-0-then-fetch-end", "ListOffsets", list_offsets("pr", 1, -1))


def sc_idempotent(s):
    s.call("CreateTopics", create_topic("idem", 1))
    wait_topic_ready(s, "idem", 1)
    init = {"transactional_id": None, "transaction_timeout_ms": 60000, "producer_id": -1, "producer_epoch": -1}
    # Kafka answers COORDINATOR_LOAD_IN_PROGRESS until its producer-id
    # manager has a block of ids (not compared).
    wait_until(lambda: s.call("InitProducerId", init)["error_code"] == 0, timeout=60,
               what="%s: InitProducerId" % s.name)
    r = s.step("init", "InitProducerId", init)
    pid, epoch = r["producer_id"], r["producer_epoch"]
    s.name_id(pid, "producer")
    b0 = batch(2, producer_id=pid, producer_epoch=epoch, base_sequence=0)
    s.step("seq-0", "Produce", produce("idem", 0, b0))
    s.step("seq-0-again", "Produce", produce("idem", 0, b0))
    s.step("seq-2", "Produce", produce("idem", 0, batch(2, 2, producer_id=pid, producer_epoch=epoch, base_sequence=2)))
    s.step("gap", "Produce", produce("idem", 0, batch(1, 4, producer_id=pid, producer_epoch=epoch, base_sequence=9)))
    s.step("acks-1-idempotent", "Produce", produce("idem", 0, batch(1, 4, producer_id=pid, producer_epoch=epoch,
                                                                     base_sequence=4), acks=1))
    s.step("fetch", "Fetch", fetch("idem", 0, 0))


def sc_fetch(s):
    s.call("CreateTopics", create_topic("fe", 1))
    wait_topic_ready(s, "fe", 1)
    for i in range(4):  # 4 batches of 5 records: offsets 0-19
        s.call("Produce", produce("fe", 0, batch(5, 5 * i)))
    s.step("from-0", "Fetch", fetch("fe", 0, 0))
    s.step("mid-batch", "Fetch", fetch("fe", 0, 7))
    s.step("at-end", "Fetch", fetch("fe", 0, 20))
    s.step("past-end", "Fetch", fetch("fe", 0, 21))
    s.step("negative", "Fetch", fetch("fe", 0, -5))
    s.step("one-byte-limit", "Fetch", fetch("fe", 0, 5, max_bytes=1))
    s.step("unknown-partition", "Fetch", fetch("fe", 3, 0))
    s.step("unknown-topic", "Fetch", fetch("nope", 0, 0))
    s.step("min-bytes-timeout", "Fetch", fetch("fe", 0, 20, max_wait=200, min_bytes=1))
    s.step("read-committed", "Fetch", fetch("fe", 0, 10, isolation=1))
    s.step("delete-records", "DeleteRecords", {"topics": [{"name": "fe", "partitions": [
        {"partition_index": 0, "offset": 7}]}], "timeout_ms": 10000})
    s.step("below-start", "Fetch", fetch("fe", 0, 2))
    s.step("at-start", "Fetch", fetch("fe", 0, 7))


def sc_list_offsets(s):
    s.call("CreateTopics", create_topic("lo", 1))
    wait_topic_ready(s, "lo", 1)
    s.step("empty-latest", "ListOffsets", list_offsets("lo", 0, -1))
    s.step("empty-earliest", "ListOffsets", list_offsets("lo", 0, -2))
    s.step("empty-max-ts", "ListOffsets", list_offsets("lo", 0, -3))
    s.step("empty-by-time", "ListOffsets", list_offsets("lo", 0, T0))
    # Batches with one record each: offsets by timestamp then hit batch
    # boundaries (inside a batch is another test's concern).
    for i, ts in enumerate([T0 + 5000, T0 + 1000, T0 + 9000, T0 + 9000]):
        s.call("Produce", produce("lo", 0, kw.record_batch([(b"k", b"v%d" % i)], ts)))
    s.step("latest", "ListOffsets", list_offsets("lo", 0, -1))
    s.step("earliest", "ListOffsets", list_offsets("lo", 0, -2))
    s.step("max-timestamp", "ListOffsets", list_offsets("lo", 0, -3))
    s.step("by-time-exact", "ListOffsets", list_offsets("lo", 0, T0 + 5000))
    s.step("by-time-before-all", "ListOffsets", list_offsets("lo", 0, T0))
    s.step("by-time-between", "ListOffsets", list_offsets("lo", 0, T0 + 6000))
    s.step("by-time-after-all", "ListOffsets", list_offsets("lo", 0, T0 + 10_000))
    s.step("by-time-out-of-order", "ListOffsets", list_offsets("lo", 0, T0 + 1000))
    s.step("read-committed-latest", "ListOffsets", list_offsets("lo", 0, -1, isolation=1))
    s.step("unknown-partition", "ListOffsets", list_offsets("lo", 4, -1))
    s.step("unknown-topic", "ListOffsets", list_offsets("nope", 0, -1))
    s.step("bad-special", "ListOffsets", list_offsets("lo", 0, -7))


def sc_delete_records(s):
    s.call("CreateTopics", create_topic("dr", 2))
    wait_topic_ready(s, "dr", 2)
    s.call("Produce", produce("dr", 0, batch(10)))

    def dr(p, off):
        return {"topics": [{"name": "dr", "partitions": [{"partition_index": p, "offset": off}]}],
                "timeout_ms": 10000}
    s.step("to-4", "DeleteRecords", dr(0, 4))
    s.step("backwards", "DeleteRecords", dr(0, 2))
    s.step("past-end", "DeleteRecords", dr(0, 11))
    s.step("to-hw", "DeleteRecords", dr(0, -1))
    s.step("empty-partition", "DeleteRecords", dr(1, 0))
    s.step("unknown-partition", "DeleteRecords", dr(5, 0))
    s.step("earliest-after", "ListOffsets", list_offsets("dr", 0, -2))
    s.step("fetch-after", "Fetch", fetch("dr", 0, 10))


def sc_configs(s):
    s.call("CreateTopics", create_topic("cf", 1, {"retention.ms": "3600000"}))
    wait_topic_ready(s, "cf", 1)
    keys = ["retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes", "min.insync.replicas",
            "message.timestamp.type", "retention.bytes", "flush.messages"]

    def describe(name, k=keys, rtype=2, synonyms=False):
        return {"resources": [{"resource_type": rtype, "resource_name": name, "configuration_keys": k}],
                "include_synonyms": synonyms, "include_documentation": False}
    s.step("describe", "DescribeConfigs", describe("cf"))
    s.step("describe-synonyms", "DescribeConfigs", describe("cf", ["retention.ms", "segment.bytes"], synonyms=True))
    s.step("describe-unknown-topic", "DescribeConfigs", describe("nope"))
    s.step("describe-unknown-key", "DescribeConfigs", describe("cf", ["no.such.key"]))

    def incremental(name, configs, validate=False):
        return {"resources": [{"resource_type": 2, "resource_name": name, "configs": [
            {"name": k, "config_operation": op, "value": v} for k, op, v in configs]}], "validate_only": validate}
    s.step("inc-set", "IncrementalAlterConfigs", incremental("cf", [("retention.ms", 0, "1000"),
                                                                    ("cleanup.policy", 0, "compact")]))
    s.step("inc-delete", "IncrementalAlterConfigs", incremental("cf", [("retention.ms", 1, None)]))
    s.step("inc-append", "IncrementalAlterConfigs", incremental("cf", [("cleanup.policy", 2, "delete")]))
    s.step("inc-subtract", "IncrementalAlterConfigs", incremental("cf", [("cleanup.policy", 3, "compact")]))
    s.step("inc-bad-value", "IncrementalAlterConfigs", incremental("cf", [("retention.ms", 0, "x")]))
    s.step("inc-unknown-key", "IncrementalAlterConfigs", incremental("cf", [("no.such.key", 0, "1")]))
    s.step("inc-unknown-topic", "IncrementalAlterConfigs", incremental("nope", [("retention.ms", 0, "1")]))
    s.step("inc-validate-only", "IncrementalAlterConfigs", incremental("cf", [("segment.bytes", 0, "2000000")], True))
    s.step("after-incremental", "DescribeConfigs", describe("cf"))
    s.step("alter-replaces-all", "AlterConfigs", {"resources": [{"resource_type": 2, "resource_name": "cf", "configs": [
        {"name": "segment.bytes", "value": "5000000"}]}], "validate_only": False})
    s.step("after-alter", "DescribeConfigs", describe("cf"))


def sc_create_partitions(s):
    s.call("CreateTopics", create_topic("cp", 2))
    wait_topic_ready(s, "cp", 2)

    def cp(name, count, validate=False):
        return {"topics": [{"name": name, "count": count, "assignments": None}], "timeout_ms": 10000,
                "validate_only": validate}
    s.step("grow", "CreatePartitions", cp("cp", 4))
    s.step("same", "CreatePartitions", cp("cp", 4))
    s.step("shrink", "CreatePartitions", cp("cp", 3))
    s.step("validate-only", "CreatePartitions", cp("cp", 6, True))
    s.step("unknown-topic", "CreatePartitions", cp("nope", 3))
    wait_topic_ready(s, "cp", 4)
    s.step("metadata", "Metadata", {"topics": [{"name": "cp"}], "allow_auto_topic_creation": False})


def sc_delete_topics(s):
    s.call("CreateTopics", create_topic("dt", 1))
    wait_topic_ready(s, "dt", 1)
    s.step("delete", "DeleteTopics", {"topics": [{"name": "dt"}], "timeout_ms": 10000})
    s.step("again", "DeleteTopics", {"topics": [{"name": "dt"}], "timeout_ms": 10000})
    s.step("unknown-id", "DeleteTopics", {"topics": [{"name": None, "topic_id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}],
                                          "timeout_ms": 10000})
    wait_until(lambda: s.call("Metadata", {"topics": [{"name": "dt"}]})["topics"][0]["error_code"] == 3,
               timeout=30, what="dt gone")
    s.step("metadata-after", "Metadata", {"topics": [{"name": "dt"}], "allow_auto_topic_creation": False})


def sc_offsets(s):
    s.call("CreateTopics", create_topic("of", 2))
    wait_topic_ready(s, "of", 2)
    wait_coordinator(s, "og")

    def commit(group, offs, generation=-1, member=""):
        return {"group_id": group, "generation_id_or_member_epoch": generation, "member_id": member,
                "group_instance_id": None, "topics": [{"name": t, "partitions": [
                    {"partition_index": p, "committed_offset": o, "committed_leader_epoch": -1,
                     "committed_metadata": "m%d" % o} for p, o in ps]} for t, ps in offs]}

    def fetch_offsets(group, topics):
        return {"group_id": group, "topics": topics, "require_stable": False}
    s.step("find-coordinator", "FindCoordinator", {"key": "og", "key_type": 0})
    s.step("fetch-none", "OffsetFetch", fetch_offsets("og", [{"name": "of", "partition_indexes": [0, 1]}]))
    s.step("commit", "OffsetCommit", commit("og", [("of", [(0, 5), (1, 7)])]))
    s.step("fetch", "OffsetFetch", fetch_offsets("og", [{"name": "of", "partition_indexes": [0, 1, 9]}]))
    s.step("fetch-all", "OffsetFetch", fetch_offsets("og", None))
    s.step("commit-unknown-topic", "OffsetCommit", commit("og", [("nope", [(0, 1)])]))
    s.step("commit-unknown-partition", "OffsetCommit", commit("og", [("of", [(9, 1)])]))
    s.step("commit-empty-group", "OffsetCommit", commit("", [("of", [(0, 1)])]))
    s.step("commit-generation-without-member", "OffsetCommit", commit("og", [("of", [(0, 1)])], generation=3))
    s.step("list-groups", "ListGroups", {"states_filter": []})
    s.step("describe", "DescribeGroups", {"groups": ["og"], "include_authorized_operations": False})
    s.step("offset-delete", "OffsetDelete", {"group_id": "og", "topics": [{"name": "of", "partitions": [
        {"partition_index": 0}]}]})
    s.step("fetch-after-delete", "OffsetFetch", fetch_offsets("og", [{"name": "of", "partition_indexes": [0, 1]}]))
    s.step("delete-group", "DeleteGroups", {"groups_names": ["og", "never-existed"]})
    s.step("fetch-after-group-delete", "OffsetFetch", fetch_offsets("og", None))


def sc_group_protocol(s):
    wait_coordinator(s, "gp")
    meta = b"\x00\x01\x00\x00\x00\x01\x00\x02of\xff\xff\xff\xff"  # consumer protocol v1: topics ["of"]

    def join(member="", timeout=10000, protocols=(("range", meta),), ptype="consumer", group="gp"):
        return {"group_id": group, "session_timeout_ms": timeout, "rebalance_timeout_ms": 10000,
                "member_id": member, "group_instance_id": None, "protocol_type": ptype,
                "protocols": [{"name": n, "metadata": m} for n, m in protocols]}
    s.step("empty-group-id", "JoinGroup", join(group=""))
    s.step("session-too-short", "JoinGroup", join(timeout=10))
    s.step("session-too-long", "JoinGroup", join(timeout=3_600_000))
    s.step("no-protocols", "JoinGroup", join(protocols=()))
    r = s.step("first-join", "JoinGroup", join())
    member = r["member_id"]
    s.name_id(member, "member")
    r = s.step("join-with-id", "JoinGroup", join(member))
    gen = r["generation_id"]
    s.step("other-protocol-type", "JoinGroup", join(ptype="connect"))

    def sync(generation, m, assignments):
        return {"group_id": "gp", "generation_id": generation, "member_id": m, "group_instance_id": None,
                "protocol_type": "consumer", "protocol_name": "range",
                "assignments": [{"member_id": a, "assignment": b} for a, b in assignments]}
    s.step("sync-wrong-generation", "SyncGroup", sync(gen + 5, member, []))
    s.step("sync-unknown-member", "SyncGroup", sync(gen, "nobody", []))
    s.step("sync", "SyncGroup", sync(gen, member, [(member, b"\x00\x01assignment")]))

    def hb(generation, m):
        return {"group_id": "gp", "generation_id": generation, "member_id": m, "group_instance_id": None}
    s.step("heartbeat", "Heartbeat", hb(gen, member))
    s.step("heartbeat-wrong-generation", "Heartbeat", hb(gen + 1, member))
    s.step("heartbeat-unknown-member", "Heartbeat", hb(gen, "nobody"))
    s.step("heartbeat-unknown-group", "Heartbeat", {"group_id": "nogroup", "generation_id": 1, "member_id": "x",
                                                    "group_instance_id": None})
    s.step("commit-in-generation", "OffsetCommit", {
        "group_id": "gp", "generation_id_or_member_epoch": gen, "member_id": member, "group_instance_id": None,
        "topics": [{"name": "of", "partitions": [{"partition_index": 0, "committed_offset": 3,
                                                    "committed_leader_epoch": -1, "committed_metadata": None}]}]})
    s.step("commit-wrong-generation", "OffsetCommit", {
        "group_id": "gp", "generation_id_or_member_epoch": gen + 1, "member_id": member, "group_instance_id": None,
        "topics": [{"name": "of", "partitions": [{"partition_index": 0, "committed_offset": 4,
                                                    "committed_leader_epoch": -1, "committed_metadata": None}]}]})
    s.step("describe-stable", "DescribeGroups", {"groups": ["gp"], "include_authorized_operations": False})
    s.step("delete-non-empty", "DeleteGroups", {"groups_names": ["gp"]})
    s.step("leave-unknown", "LeaveGroup", {"group_id": "gp", "members": [{"member_id": "nobody",
                                                                       "group_instance_id": None}]})
    s.step("leave", "LeaveGroup", {"group_id": "gp", "members": [{"member_id": member, "group_instance_id": None}]})
    s.step("describe-empty", "DescribeGroups", {"groups": ["gp", "never-existed"],
                                                "include_authorized_operations": False})
    s.step("list-empty-state", "ListGroups", {"states_filter": ["Empty"]})


def sc_offset_for_leader_epoch(s):
    s.call("CreateTopics", create_topic("ole", 1))
    wait_topic_ready(s, "ole", 1)
    s.call("Produce", produce("ole", 0, batch(4)))

    def q(epoch, current=-1, partition=0):
        return {"replica_id": -1, "topics": [{"topic": "ole", "partitions": [
            {"partition": partition, "current_leader_epoch": current, "leader_epoch": epoch}]}]}
    s.step("epoch-0", "OffsetForLeaderEpoch", q(0))
    s.step("epoch-future", "OffsetForLeaderEpoch", q(5))
    s.step("fenced-current", "OffsetForLeaderEpoch", q(0, current=7))
    s.step("unknown-partition", "OffsetForLeaderEpoch", q(0, partition=3))


SCENARIOS = [sc_create_topics, sc_metadata, sc_produce, sc_idempotent, sc_fetch, sc_list_offsets,
             sc_delete_records, sc_configs, sc_create_partitions, sc_delete_topics, sc_offsets,
             sc_group_protocol, sc_offset_for_leader_epoch]


# ---- normalisation and comparison -----------------------------------------------

MASKED = {"host", "port", "cluster_id", "error_message", "batch_index_error_message", "client_host",
          "client_id", "throttle_time_ms_never"}


def normalise(side, api, value, path=""):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in MASKED:
                continue
            if k == "topic_id" and isinstance(v, str):
                out[k] = "zero" if v == "00000000-0000-0000-0000-000000000000" else "set"
            elif k == "producer_id" and isinstance(v, int) and v >= 0:
                out[k] = side.ids.get(v, "set")
            elif k in ("member_id", "leader") and isinstance(v, str):
                out[k] = side.ids.get(v, v if v in ("", "nobody", "x") else "generated")
            elif k == "log_append_time_ms" and v != -1:
                out[k] = "broker time" if abs(v - time.time() * 1000) < 600_000 else v
            elif k == "records" and isinstance(v, (bytes, type(None))):
                out[k] = normalise(side, api, kw.parse_batches(v), path + "." + k)
            elif k == "configs" and api == "CreateTopics" and isinstance(v, list):
                # Only the settings both brokers know are compared here; the
                # full lists are compared through DescribeConfigs keys.
                keep = {"retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes"}
                out[k] = normalise(side, api, [c for c in v if c["name"] in keep], path + "." + k)
            elif k == "max_timestamp" and isinstance(v, int) and value.get("attributes", 0) & 0x8:
                out[k] = "log append time"
            elif k == "crc_ok":
                out[k] = v
            else:
                out[k] = normalise(side, api, v, path + "." + k)
        if "records" in out and isinstance(out["records"], list) and value.get("attributes", 0) & 0x8:
            # LogAppendTime batches: the broker's clock, per broker.
            for r in out["records"]:
                r["timestamp"] = "log append time"
            out["first_timestamp"] = "log append time"
        return out
    if isinstance(value, list):
        items = [normalise(side, api, v, path) for v in value]
        last = path.rsplit(".", 1)[-1]
        # Configs are compared by name (a setting one broker lacks shows as
        # <absent>); groups, whose order carries no meaning, sorted by id.
        if last == "configs" and all(isinstance(i, dict) and "name" in i for i in items):
            return {i["name"]: {k: v for k, v in i.items() if k != "name"} for i in items}
        if items and last in ("groups", "results") and \
                all(isinstance(i, dict) and isinstance(i.get("group_id"), str) for i in items):
            return sorted(items, key=lambda i: i["group_id"])
        return items
    return value


def diff(a, b, path=""):
    """Differences between two normalised values: a list of (path, a, b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff(a.get(k, "<absent>"), b.get(k, "<absent>"), "%s.%s" % (path, k) if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [(path + ".length", len(a), len(b))] + [
                d for i in range(min(len(a), len(b))) for d in diff(a[i], b[i], "%s[%d]" % (path, i))]
        return [d for i in range(len(a)) for d in diff(a[i], b[i], "%s[%d]" % (path, i))]
    return [] if a == b else [(path, a, b)]


def show(v, path):
    if path.endswith("error_code") and v in ERRORS:
        return "%d (%s)" % (v, ERRORS[v])
    return json.dumps(v, default=repr)[:200]


def run_scenario(sc):
    sides = [Side("runnel", RUNNEL.port), Side("kafka", KAFKA.nodes[0].port)]
    try:
        for s in sides:
            sc(s)
    finally:
        for s in sides:
            s.close()
    r, k = sides
    assert list(r.steps) == list(k.steps)
    unexpected, allowed = [], []
    for label in r.steps:
        api = r.steps[label][0]
        a = normalise(r, api, r.steps[label][1])
        b = normalise(k, api, k.steps[label][1])
        if os.environ.get("VERBOSE"):
            print("  %s/%s runnel: %s\n  %s/%s kafka:  %s" % (sc.__name__, label, json.dumps(a, default=repr),
                                                           sc.__name__, label, json.dumps(b, default=repr)))
        for path, va, vb in diff(a, b):
            key = "%s/%s:%s" % (sc.__name__[3:], label, path)
            # Brackets in a pattern are literal (list indexes), "*" is a wildcard.
            why = next((w for p, w in ALLOWED.items() if fnmatch.fnmatchcase(key, p.replace("[", "[[]"))),
                       None)
            (allowed if why else unexpected).append((key, va, vb, why))
    for key, va, vb, why in allowed:
        print("  allowed %s: runnel %s, kafka %s (%s)" % (key, show(va, key), show(vb, key), why))
    for key, va, vb, _ in unexpected:
        print("  DIFFERENT %s: runnel %s, kafka %s" % (key, show(va, key), show(vb, key)))
    assert not unexpected, "%d unintended differences" % len(unexpected)


def main():
    global RUNNEL, KAFKA
    d = tempfile.mkdtemp(prefix="runnel-differential-")
    KAFKA = KafkaCluster(1, os.path.join(d, "kafka"), dict(COMMON), heap="512M", first_id=0)
    os.makedirs(os.path.join(d, "runnel"))
    RUNNEL = Broker(BINARY, os.path.join(d, "runnel"), settings=COMMON)
    try:
        RUNNEL.start()
        KAFKA.start()
        tests = []
        for sc in SCENARIOS:
            def t(sc=sc):
                run_scenario(sc)
            t.__name__ = sc.__name__[3:]
            tests.append(t)
        only = os.environ.get("ONLY")
        run([t for t in tests if not only or only in t.__name__])
    finally:
        RUNNEL.stop()
        KAFKA.stop()
        shutil.rmtree(d, ignore_errors=True)


main()
