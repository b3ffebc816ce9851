"""Apache Kafka's own command-line tools (the Maven Central jars that
bench/peers/kafka/install puts in .cache/kafka/lib) against runnel: the
commands users know must work unchanged. Each check runs the tool as a user
would (bench/peers/kafka/bin/kafka-*) and reads what it prints."""

import json
import os
import re
import subprocess
import tempfile
import time

from harness import BINARY, Broker, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(ROOT, "bench", "peers", "kafka", "bin")
BROKER = None


def tool(name, *args, input=None, timeout=300, ok=True):
    """Runs bench/peers/kafka/bin/NAME ARGS; returns (stdout, stderr)."""
    env = dict(os.environ)
    if "perf-test" not in name and "latency" not in name:
        # A short-lived admin tool starts in about half the CPU time with the
        # client compiler only and the serial collector.
        env.setdefault("KAFKA_JVM_PERFORMANCE_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto")
    r = subprocess.run([os.path.join(TOOLS, name), *args], input=input, capture_output=True,
                       timeout=timeout, env=env)
    out, err = r.stdout.decode(), r.stderr.decode()
    if ok and r.returncode != 0:
        raise AssertionError("%s %s failed (%d):\n%s\n%s\nbroker log:\n%s" % (
            name, " ".join(args), r.returncode, out, err, BROKER.tail()))
    if not ok:
        assert r.returncode != 0, "%s %s should have failed:\n%s" % (name, " ".join(args), out)
    return out, err


def bs():
    return ["--bootstrap-server", BROKER.bootstrap]


def table(text):
    """Rows of a whitespace-separated table with a header line, as dicts."""
    lines = [l.split() for l in text.splitlines() if l.strip()]
    head = next(i for i, l in enumerate(lines) if l and l[0] in ("GROUP", "TOPIC"))
    keys = lines[head]
    return [dict(zip(keys, l)) for l in lines[head + 1:] if len(l) == len(keys)]


def test_topics():
    out, _ = tool("kafka-topics", *bs(), "--create", "--topic", "orders", "--partitions", "3",
                  "--replication-factor", "1", "--config", "retention.ms=86400000")
    assert "Created topic orders." in out, out
    out, _ = tool("kafka-topics", *bs(), "--list")
    assert "orders" in out.split(), out
    out, _ = tool("kafka-topics", *bs(), "--describe", "--topic", "orders")
    assert re.search(r"Topic: orders\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1", out), out
    assert "retention.ms=86400000" in out, out
    for p in range(3):
        assert re.search(r"Partition: %d\s+Leader: \d+\s+Replicas: \d+\s+Isr: \d+" % p, out), out
    tool("kafka-topics", *bs(), "--alter", "--topic", "orders", "--partitions", "5")
    out, _ = tool("kafka-topics", *bs(), "--describe", "--topic", "orders")
    assert "PartitionCount: 5" in out, out
    # Errors users meet: an existing topic, a missing one.
    _, err = tool("kafka-topics", *bs(), "--create", "--topic", "orders", "--partitions", "1", ok=False)
    assert "already exists" in err, err
    _, err = tool("kafka-topics", *bs(), "--describe", "--topic", "nope", ok=False)
    assert "does not exist" in err, err
    tool("kafka-topics", *bs(), "--delete", "--topic", "orders")
    out, _ = tool("kafka-topics", *bs(), "--list")
    assert "orders" not in out.split(), out


def test_console_producer_consumer():
    tool("kafka-topics", *bs(), "--create", "--topic", "console", "--partitions", "2")
    lines = "".join("k%d:v%d\n" % (i % 4, i) for i in range(20))
    tool("kafka-console-producer", *bs(), "--topic", "console", "--reader-property", "parse.key=true",
         "--reader-property", "key.separator=:", "--producer-property", "acks=all", input=lines.encode())
    out, err = tool("kafka-console-consumer", *bs(), "--topic", "console", "--from-beginning",
                    "--max-messages", "20", "--formatter-property", "print.key=true",
                    "--formatter-property", "print.partition=true", "--timeout-ms", "30000")
    got = [l.split("\t") for l in out.splitlines() if l.strip()]
    assert len(got) == 20, (out, err)
    assert "Processed a total of 20 messages" in err, err
    # One key always lands on one partition, and order per key is kept.
    part = {}
    for p, k, v in got:
        assert part.setdefault(k, p) == p, got
    for k in ("k0", "k1", "k2", "k3"):
        vals = [int(v[1:]) for _, kk, v in got if kk == k]
        assert vals == sorted(vals) and len(vals) == 5, got


def test_consumer_groups_describe_and_reset():
    tool("kafka-topics", *bs(), "--create", "--topic", "lag", "--partitions", "2")
    # 20 keys: both partitions get some (the keys' murmur2 hashes decide).
    tool("kafka-console-producer", *bs(), "--topic", "lag", "--reader-property", "parse.key=true",
         "--reader-property", "key.separator=:", input="".join("k%d:%d\n" % (i, i) for i in range(20)).encode())
    # The group consumes 6 of the 20 messages and commits (the console
    # consumer commits on close).
    tool("kafka-console-consumer", *bs(), "--topic", "lag", "--group", "g1", "--from-beginning",
         "--max-messages", "6", "--timeout-ms", "30000")
    out, _ = tool("kafka-consumer-groups", *bs(), "--list")
    assert "g1" in out.split(), out
    out, _ = tool("kafka-consumer-groups", *bs(), "--describe", "--group", "g1")
    rows = {r["PARTITION"]: r for r in table(out)}
    assert sorted(rows) == ["0", "1"], out
    end = {p: int(r["LOG-END-OFFSET"]) for p, r in rows.items()}
    assert sum(end.values()) == 20 and min(end.values()) > 3, out
    for r in rows.values():
        assert int(r["LAG"]) == int(r["LOG-END-OFFSET"]) - int(r["CURRENT-OFFSET"]), out
    assert sum(int(r["CURRENT-OFFSET"]) for r in rows.values()) >= 6, out
    # Reset: a dry run changes nothing, --execute does.
    out, _ = tool("kafka-consumer-groups", *bs(), "--group", "g1", "--topic", "lag", "--reset-offsets",
                  "--to-earliest", "--dry-run")
    assert [r["NEW-OFFSET"] for r in table(out)] == ["0", "0"], out
    tool("kafka-consumer-groups", *bs(), "--group", "g1", "--topic", "lag:0", "--reset-offsets",
         "--to-offset", "3", "--execute")
    tool("kafka-consumer-groups", *bs(), "--group", "g1", "--topic", "lag:1", "--reset-offsets",
         "--to-latest", "--execute")
    out, _ = tool("kafka-consumer-groups", *bs(), "--describe", "--group", "g1")
    rows = {r["PARTITION"]: r for r in table(out)}
    assert rows["0"]["CURRENT-OFFSET"] == "3" and rows["0"]["LAG"] == str(end["0"] - 3), out
    assert rows["1"]["CURRENT-OFFSET"] == str(end["1"]) and rows["1"]["LAG"] == "0", out
    out, _ = tool("kafka-consumer-groups", *bs(), "--group", "g1", "--all-topics", "--reset-offsets",
                  "--shift-by", "-2", "--execute")
    rows = {r["PARTITION"]: r for r in table(out)}
    assert rows["0"]["NEW-OFFSET"] == "1" and rows["1"]["NEW-OFFSET"] == str(end["1"] - 2), out
    out, _ = tool("kafka-consumer-groups", *bs(), "--delete", "--group", "g1")
    assert "Deletion of requested consumer groups ('g1') was successful." in out, out


def test_configs():
    tool("kafka-topics", *bs(), "--create", "--topic", "cfg", "--partitions", "1")
    tool("kafka-configs", *bs(), "--entity-type", "topics", "--entity-name", "cfg", "--alter",
         "--add-config", "retention.ms=1000,cleanup.policy=compact")
    out, _ = tool("kafka-configs", *bs(), "--entity-type", "topics", "--entity-name", "cfg", "--describe")
    assert "retention.ms=1000" in out and "cleanup.policy=compact" in out, out
    tool("kafka-configs", *bs(), "--entity-type", "topics", "--entity-name", "cfg", "--alter",
         "--delete-config", "retention.ms")
    out, _ = tool("kafka-configs", *bs(), "--entity-type", "topics", "--entity-name", "cfg", "--describe")
    assert "retention.ms" not in out and "cleanup.policy=compact" in out, out
    # --all lists the defaults too.
    out, _ = tool("kafka-configs", *bs(), "--entity-type", "topics", "--entity-name", "cfg", "--describe", "--all")
    assert "retention.ms=604800000" in out and "segment.bytes=" in out, out
    out, _ = tool("kafka-configs", *bs(), "--entity-type", "brokers", "--entity-default", "--describe")
    assert "Default configs for brokers" in out or out.strip() == "", out
    _, err = tool("kafka-configs", *bs(), "--entity-type", "topics", "--entity-name", "cfg", "--alter",
                  "--add-config", "retention.ms=abc", ok=False)
    assert "retention.ms" in err, err


def test_get_offsets_and_delete_records():
    tool("kafka-topics", *bs(), "--create", "--topic", "offs", "--partitions", "2")
    tool("kafka-console-producer", *bs(), "--topic", "offs", "--reader-property", "parse.key=true",
         "--reader-property", "key.separator=:", input="".join("k%d:%d\n" % (i, i) for i in range(10)).encode())
    out, _ = tool("kafka-get-offsets", *bs(), "--topic", "offs")
    latest = dict(l.rsplit(":", 1) for l in out.split())
    assert sum(int(v) for v in latest.values()) == 10, out
    out, _ = tool("kafka-get-offsets", *bs(), "--topic", "offs", "--time", "-2")
    assert all(l.endswith(":0") for l in out.split()), out
    # By timestamp: a time in the future has no offset; the earliest time
    # finds each partition's first offset.
    out, _ = tool("kafka-get-offsets", *bs(), "--topic", "offs", "--time", str(int(time.time() * 1000) + 3600_000))
    assert out.strip() == "", out
    out, _ = tool("kafka-get-offsets", *bs(), "--topic", "offs", "--time", "0")
    assert all(l.endswith(":0") for l in out.split()), out
    out, _ = tool("kafka-get-offsets", *bs(), "--topic", "offs", "--time", "-3")  # max timestamp
    got = dict(l.rsplit(":", 1) for l in out.split())
    assert set(got) == {p for p, end in latest.items() if int(end) > 0}, (out, latest)
    assert all(0 <= int(got[p]) < int(latest[p]) for p in got), (out, latest)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"version": 1, "partitions": [{"topic": "offs", "partition": 0, "offset": 2}]}, f)
        f.flush()
        out, _ = tool("kafka-delete-records", *bs(), "--offset-json-file", f.name)
    assert "low_watermark: 2" in out, out
    out, _ = tool("kafka-get-offsets", *bs(), "--topic", "offs", "--partitions", "0", "--time", "-2")
    assert out.strip() == "offs:0:2", out


def test_perf_tools():
    tool("kafka-topics", *bs(), "--create", "--topic", "perf", "--partitions", "4")
    out, _ = tool("kafka-producer-perf-test", "--topic", "perf", "--num-records", "20000", "--record-size", "100",
                  "--throughput", "-1", "--producer-props", "bootstrap.servers=" + BROKER.bootstrap, "acks=all")
    assert re.search(r"^20000 records sent, [\d.]+ records/sec", out, re.M), out
    out, err = tool("kafka-consumer-perf-test", *bs(), "--topic", "perf", "--num-records", "20000",
                    "--timeout", "30000")
    lines = out.strip().splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith("start.time"))
    row = lines[head:head + 2]
    fields = dict(zip([s.strip() for s in row[0].split(",")], [s.strip() for s in row[1].split(",")]))
    assert int(fields["data.consumed.in.nMsg"]) == 20000, fields
    assert abs(float(fields["data.consumed.in.MB"]) - 20000 * 100 / 1048576) < 0.01, fields
    # EndToEndLatency: bootstrap-server topic num-records producer-acks record-size
    out, _ = tool("kafka-e2e-latency", BROKER.bootstrap, "perf-e2e", "200", "all", "100")
    assert re.search(r"Avg latency: [\d.]+ ms", out), out


def main():
    global BROKER
    with Broker(BINARY) as b:
        BROKER = b
        tests = [test_topics, test_console_producer_consumer, test_consumer_groups_describe_and_reset,
                 test_configs, test_get_offsets_and_delete_records, test_perf_tools]
        only = os.environ.get("ONLY")  # run the tests whose name contains this
        run([t for t in tests if not only or only in t.__name__])


main()
