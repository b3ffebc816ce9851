"""A real Prometheus server (Debian's `prometheus`) scrapes runnel's admin
port, and its query API sees what clients did: produce counters equal to
what was produced, and a consumer group's lag that appears and falls to
zero as the consumer catches up (docs/monitoring.md)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, free_port, run, wait_until

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
DASHBOARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                         "monitoring", "grafana-runnel.json")
TOPIC = "prom"
PARTITIONS = 3
RECORDS = 900
GROUP = "prom-group"


class Prometheus:
    """A Prometheus server on a free port with its own storage, scraping
    `target` every second."""

    def __init__(self, target):
        self.dir = tempfile.mkdtemp(prefix="runnel-prom-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: runnel\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self.ready, timeout=60, what="prometheus to be ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("prometheus exited:\n" + self.tail())
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def query_all(self, promql):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": promql}))
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            raise AssertionError("%s: %s" % (promql, e.read().decode()))
        assert body["status"] == "success", body
        return body["data"]["result"]

    def query(self, promql):
        """The instant query's single value, or None if it has no result."""
        result = self.query_all(promql)
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def names(self):
        url = "http://127.0.0.1:%d/api/v1/label/__name__/values" % self.port
        with urllib.request.urlopen(url, timeout=10) as r:
            return set(json.load(r)["data"])

    def wait_for(self, promql, expect, timeout=60):
        """Waits until the query equals `expect` (a number, or a predicate)."""
        check = expect if callable(expect) else (lambda v: v == expect)
        seen = []

        def ok():
            v = self.query(promql)
            seen.append(v)
            return v is not None and check(v)
        try:
            wait_until(ok, timeout=timeout, interval=0.25, what=promql)
        except TimeoutError:
            raise AssertionError("%s: last values %s" % (promql, seen[-5:]))
        return seen[-1]

    def tail(self):
        self.log.flush()
        with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
            return f.read()[-3000:].decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def consume(c, count, positions):
    """Polls until `count` more records arrived; positions[p] = next offset."""
    got = 0
    for _ in range(1200):
        if got >= count:
            break
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        positions[m.partition()] = m.offset() + 1
        got += 1
    assert got == count, (got, count)


def commit(c, positions):
    c.commit(offsets=[TopicPartition(TOPIC, p, positions.get(p, 0)) for p in range(PARTITIONS)],
             asynchronous=False)


def dashboard_queries():
    with open(DASHBOARD) as f:
        d = json.load(f)
    for p in d["panels"]:
        for t in p.get("targets", []):
            yield p["title"], t["expr"]
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            yield "variable " + v["name"], v["query"]["query"]


def check_dashboard(prom, skip_prefix):
    """Every query of the Grafana dashboard is valid PromQL, and every metric
    it names (but those starting with skip_prefix, checked elsewhere) is one
    Prometheus has scraped."""
    names = prom.names()
    for title, expr in dashboard_queries():
        for metric in re.findall(r"\b((?:runnel|process)_[a-z_]+)", expr):
            if not metric.startswith(skip_prefix):
                assert metric in names, "%s: %s is not scraped" % (title, metric)
        if expr.startswith("label_values("):
            continue  # Grafana's own function, not PromQL
        promql = re.sub(r"\$__rate_interval", "1m", expr)
        promql = re.sub(r"\$[a-z]+", ".*", promql)
        prom.query_all(promql)


def test_prometheus_sees_produce_and_lag():
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": 0}) as b:
        prom = Prometheus("127.0.0.1:%d" % b.admin_port)
        try:
            prom.wait_for('up{job="runnel"}', 1)
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS,
                                          replication_factor=1)])[TOPIC].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 5})
            for i in range(RECORDS):
                p.produce(TOPIC, value=b"record-%d" % i, partition=i % PARTITIONS)
            assert p.flush(30) == 0

            # Produce counters equal what was produced.
            prom.wait_for('sum(runnel_topic_records_in_total{topic="%s"})' % TOPIC, RECORDS)
            prom.wait_for('sum(runnel_partition_high_watermark{topic="%s"})' % TOPIC, RECORDS)
            prom.wait_for('runnel_request_latency_seconds_count{api="Produce"}', lambda v: v >= 1)
            prom.wait_for('histogram_quantile(0.99, sum by (le) '
                          '(runnel_request_latency_seconds_bucket{api="Produce"}))',
                          lambda v: 0 < v <= 10)

            # A consumer a third of the way through: lag appears...
            c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": GROUP,
                          "auto.offset.reset": "earliest", "enable.auto.commit": False})
            c.subscribe([TOPIC])
            positions = {}
            consume(c, RECORDS // 3, positions)
            commit(c, positions)
            lag = 'sum(runnel_consumer_group_lag{group="%s",topic="%s"})' % (GROUP, TOPIC)
            prom.wait_for(lag, RECORDS - RECORDS // 3)
            prom.wait_for('runnel_consumer_group_members{group="%s"}' % GROUP, 1)
            prom.wait_for('runnel_consumer_group_state{group="%s",state="Stable"}' % GROUP, 1)

            # ...and falls to zero as it catches up.
            consume(c, RECORDS - RECORDS // 3, positions)
            commit(c, positions)
            prom.wait_for(lag, 0)
            prom.wait_for('sum(runnel_topic_records_out_total{topic="%s"})' % TOPIC,
                          lambda v: v >= RECORDS)
            c.close()
            prom.wait_for('runnel_consumer_group_members{group="%s"}' % GROUP, 0)
            check_dashboard(prom, "runnel_stream_")
        except Exception:
            print(prom.tail())
            raise
        finally:
            prom.stop()


run([test_prometheus_sees_produce_and_lag])
