"""The broker's admin HTTP server: /metrics in Prometheus' text format with
counts that match what real clients did, /health, /ready, runtime log
levels, and the --admin-listen flag (docs/monitoring.md)."""

import json
import re
import socket
import struct
import subprocess
import tempfile
import urllib.error
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, free_port, run, wait_until


def http(b, method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (b.admin_port, path), data=body,
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? '
                    r'(-?[0-9.e+-]+|NaN|\+Inf|-Inf)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Strictly parses the text format: every sample belongs to the family
    whose TYPE line came last. Returns {(name, frozenset(labels)): value}."""
    samples = {}
    family = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            family = name
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name = m.group(1)
        assert family and (name == family or name in (family + "_bucket", family + "_sum",
                                                      family + "_count")), line
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        key = (name, labels)
        assert key not in samples, "duplicate series %r" % line
        samples[key] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def total(samples, name, **labels):
    want = set(labels.items())
    return sum(v for (n, l), v in samples.items() if n == name and want <= set(l))


def scrape(b):
    status, ctype, body = http(b, "GET", "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
    return parse(body)


def test_endpoints():
    with Broker(BINARY) as b:
        assert b.admin_port
        assert http(b, "GET", "/health")[0] == 200
        assert http(b, "GET", "/ready") == (200, "text/plain; charset=utf-8", "ready\n")
        status, _, body = http(b, "GET", "/")
        assert status == 200 and "/metrics" in body
        assert http(b, "GET", "/nothing")[0] == 404
        assert http(b, "POST", "/metrics")[0] == 405
        s = scrape(b)
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_open_fds", "process_start_time_seconds", "runnel_connections",
                     "runnel_storage_disk_free_bytes", "runnel_shards"):
            assert value(s, name) is not None, name
        assert value(s, "runnel_build_info", version=value_version(s)) == 1


def value_version(samples):
    for (n, l) in samples:
        if n == "runnel_build_info":
            return dict(l)["version"]
    raise AssertionError("no runnel_build_info")


def test_log_level_at_runtime():
    with Broker(BINARY) as b:
        assert json.loads(http(b, "GET", "/v1/loglevel")[2]) == {"level": "info"}
        status, _, body = http(b, "PUT", "/v1/loglevel?level=debug")
        assert status == 200, body
        assert json.loads(body) == {"level": "debug", "previous": "info"}
        # Debug lines now reach the log: an idle connection's close is one.
        wait_until(lambda: "log level set to debug" in b.tail(200), what="the change logged")
        status, _, body = http(b, "PUT", "/v1/loglevel?level=shout")
        assert status == 400 and "unknown level" in body, body
        assert json.loads(http(b, "GET", "/v1/loglevel")[2]) == {"level": "debug"}
        status, _, body = http(b, "PUT", "/v1/loglevel", b'{"level": "warn", "expires": 1}')
        assert status == 200, body
        wait_until(lambda: json.loads(http(b, "GET", "/v1/loglevel")[2])["level"] == "debug",
                   timeout=15, what="the level to come back after expires")


def test_counts_match_what_clients_did():
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": 0}) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("m1", num_partitions=3, replication_factor=1)])["m1"].result(30)
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 5})
        for i in range(300):
            v = ("value-%d" % i).encode()
            p.produce("m1", value=v, partition=i % 3)
        assert p.flush(30) == 0

        s = scrape(b)
        assert value(s, "runnel_topic_records_in_total", topic="m1") == 300
        assert value(s, "runnel_topic_bytes_in_total", topic="m1") > 300 * 9
        assert total(s, "runnel_partition_high_watermark", topic="m1") == 300
        for part in range(3):
            assert value(s, "runnel_partition_high_watermark", topic="m1", partition=str(part)) == 100
            assert value(s, "runnel_partition_log_start_offset", topic="m1", partition=str(part)) == 0
            assert value(s, "runnel_partition_size_bytes", topic="m1", partition=str(part)) > 0
        assert value(s, "runnel_requests_total", api="Produce") >= 1
        assert value(s, "runnel_request_latency_seconds_count", api="Produce") == \
            value(s, "runnel_requests_total", api="Produce")
        assert value(s, "runnel_request_latency_seconds_bucket", api="Produce", le="+Inf") == \
            value(s, "runnel_request_latency_seconds_count", api="Produce")
        # acks=all: every produce waited for an fsync.
        assert value(s, "runnel_storage_fsync_seconds_count") > 0

        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "g1",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe(["m1"])
        got = 0
        deadline_polls = 600
        while got < 300 and deadline_polls > 0:
            deadline_polls -= 1
            m = c.poll(0.1)
            if m is not None and not m.error():
                got += 1
        assert got == 300
        c.commit(asynchronous=False)
        s = scrape(b)
        assert value(s, "runnel_topic_records_out_total", topic="m1") >= 300
        assert value(s, "runnel_topic_bytes_out_total", topic="m1") > 0
        assert value(s, "runnel_consumer_group_members", group="g1") == 1
        assert value(s, "runnel_consumer_group_state", group="g1", state="Stable") == 1
        assert value(s, "runnel_consumer_group_state", group="g1", state="Empty") == 0
        assert value(s, "runnel_consumer_group_rebalances_total", group="g1") >= 1
        assert total(s, "runnel_consumer_group_committed_offset", group="g1", topic="m1") == 300
        assert total(s, "runnel_consumer_group_lag", group="g1", topic="m1") == 0
        assert value(s, "runnel_connections") >= 1
        c.close()
        s = scrape(b)
        assert value(s, "runnel_consumer_group_members", group="g1") == 0
        assert value(s, "runnel_consumer_group_state", group="g1", state="Empty") == 1

        # More records: the idle group's lag follows the high watermark.
        for i in range(30):
            p.produce("m1", value=b"x", partition=1)
        assert p.flush(30) == 0
        s = scrape(b)
        assert value(s, "runnel_consumer_group_lag", group="g1", topic="m1", partition="1") == 30

        # A deleted topic leaves the scrape.
        admin.delete_topics(["m1"])["m1"].result(30)
        wait_until(lambda: value(scrape(b), "runnel_topic_records_in_total", topic="m1") is None,
                   what="m1's series to go")
        assert value(scrape(b), "runnel_partition_high_watermark", topic="m1", partition="0") is None


def test_errors_by_api_and_code():
    with Broker(BINARY, settings={"auto.create.topics.enable": "false"}) as b:
        p = Producer({"bootstrap.servers": b.bootstrap, "message.timeout.ms": 2000,
                      "topic.metadata.refresh.interval.ms": 200})
        p.produce("absent", value=b"x")
        p.flush(10)
        s = scrape(b)
        assert value(s, "runnel_request_errors_total", api="Metadata",
                     error="UNKNOWN_TOPIC_OR_PARTITION") >= 1, \
            [k for k in s if k[0] == "runnel_request_errors_total"]
        # A malformed request closes its connection and counts as INVALID_REQUEST.
        with socket.create_connection(("127.0.0.1", b.port), timeout=10) as sk:
            body = struct.pack(">i", 1000)  # Metadata v0: 1000 topics, none sent
            header = struct.pack(">hhih", 3, 0, 7, -1)
            sk.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
            assert sk.recv(100) == b""
        s = scrape(b)
        assert value(s, "runnel_request_errors_total", api="Metadata", error="INVALID_REQUEST") == 1


def test_admin_listen_off_and_in_use():
    with tempfile.TemporaryDirectory(prefix="runnel-it-") as d:
        # off: no admin server, the broker serves as before.
        kport = free_port()
        proc = subprocess.Popen([BINARY, "serve", "--data-dir", d + "/a", "--listen",
                                 "127.0.0.1:%d" % kport, "--admin-listen", "off",
                                 "--connect-listen", "off", "--sql-listen", "off"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            first = proc.stdout.readline()
            assert first.startswith(b"runnel: ready on"), first
        finally:
            proc.terminate()
            proc.wait(30)
            proc.stdout.close()
        # A port already taken: a clear start-up error naming the flag.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            r = subprocess.run([BINARY, "serve", "--data-dir", d + "/b", "--listen", "127.0.0.1:0",
                                "--admin-listen", "127.0.0.1:%d" % port,
                                "--connect-listen", "off", "--sql-listen", "off"],
                               capture_output=True, timeout=60)
            assert r.returncode == 1, r
            assert b"cannot start the admin server" in r.stderr and b"--admin-listen" in r.stderr, \
                r.stderr
        r = subprocess.run([BINARY, "serve", "--data-dir", d + "/c", "--admin-listen", "nonsense"],
                           capture_output=True, timeout=60)
        assert r.returncode == 2 and b"--admin-listen expects HOST:PORT or off" in r.stderr, r


run([test_endpoints, test_log_level_at_runtime, test_counts_match_what_clients_did,
     test_errors_by_api_and_code, test_admin_listen_off_and_in_use])
