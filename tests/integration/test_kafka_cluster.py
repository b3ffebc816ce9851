"""DESIGN decision 9, proven: runnel's CLI, `runnel bench` and the stream
examples run unchanged against a real 3-broker Apache Kafka cluster (KRaft,
loopback, replication factor 3, min.insync.replicas=2), and the page-visits
example's output stays exactly the model's while one Kafka broker is killed
under it; `runnel sql` keeps a view and an upsert sink over the cluster's
topics across a kill -9 of the SQL process.

One cluster (bench/peers/kafka/kafka_cluster.py, the Maven Central jars) is
shared by every check here: a Kafka start costs several seconds per node.
Run as `/usr/bin/python3 test_kafka_cluster.py PATH/TO/runnel`; the example
binaries come from $RUNNEL_EXAMPLES as in test_stream_examples.py.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, run, wait_until
import test_stream_examples as se

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "peers", "kafka"))
from kafka_cluster import KafkaCluster  # noqa: E402
import kafka_wire  # noqa: E402

CLUSTER = None


class ClusterEnv(se.Env):
    """test_stream_examples' Env (apps, readers, producer) on the shared Kafka
    cluster instead of a runnel broker; topics get replication factor 3."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="runnel-kafka-it-")
        self.broker = CLUSTER
        self.bootstrap = CLUSTER.bootstrap
        self.admin = AdminClient({"bootstrap.servers": self.bootstrap})
        self.apps = []
        self.readers = []
        return self

    def __exit__(self, *exc):
        for r in self.readers:
            r.close()
        for a in self.apps:
            try:
                a.stop(signal.SIGKILL)
            except Exception:
                pass
        if exc[0] is not None:
            for a in self.apps:
                print("---- %s log\n%s" % (a.name, "\n".join(a.text().splitlines()[-80:])))
            for n in CLUSTER.nodes:
                print("---- kafka node %d\n%s" % (n.id, n.tail(30)))
        shutil.rmtree(self.dir, ignore_errors=True)

    def topics(self, partitions, *names, leader=None):
        """Creates the topics; with `leader`, every partition's preferred
        leader is that broker (listed first of its replicas)."""
        if leader is None:
            new = [NewTopic(n, partitions, 3) for n in names]
        else:
            ids = [leader] + [n.id for n in CLUSTER.nodes if n.id != leader]
            new = [NewTopic(n, partitions, replica_assignment=[ids] * partitions) for n in names]
        fs = self.admin.create_topics(new)
        for f in fs.values():
            f.result(timeout=60)
        # Kafka creates topics asynchronously, and each broker learns of them
        # in its own time: wait until every live broker has a leader for every
        # partition, as a user's topics would be long before an app starts.
        wait_until(lambda: all(known_everywhere(n, partitions) for n in names), timeout=60,
                   what="leaders for %s on every broker" % (names,))


def known_everywhere(topic, partitions):
    for node in CLUSTER.nodes:
        if not node.alive():
            continue
        try:
            with kafka_wire.Connection(node.port, timeout=5.0) as c:
                md = c.call("Metadata", 12, {"topics": [{"name": topic}]})
        except OSError:
            return False
        t = md["topics"][0]
        if t["error_code"] != 0 or len(t["partitions"]) != partitions or \
                any(p["leader_id"] < 0 for p in t["partitions"]):
            return False
    return True


def cli(*args, input=None, timeout=120):
    r = subprocess.run([BINARY, *args, "--brokers", CLUSTER.bootstrap], input=input,
                       capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("runnel %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.decode()))
    return r.stdout.decode()


def test_cli():
    assert "created topic orders" in cli("topic", "create", "orders", "--partitions", "3",
                                         "--replication-factor", "3", "--config", "retention.ms=3600000")
    listed = {t["name"]: t for t in json.loads(cli("topic", "list", "--format", "json"))}
    assert listed["orders"]["partitions"] == 3 and listed["orders"]["replication_factor"] == 3, listed
    d = json.loads(cli("topic", "describe", "orders", "--format", "json"))
    assert [p["partition"] for p in d["partitions"]] == [0, 1, 2], d
    assert all(len(p["replicas"]) == 3 for p in d["partitions"]), d
    configs = {c["name"]: c["value"] for c in d["configs"]}
    assert configs["retention.ms"] == "3600000", configs
    cli("produce", "orders", "--key-separator", ":", input=b"".join(b"k%d:v%d\n" % (i % 5, i) for i in range(50)))
    out = cli("consume", "orders", "--from-beginning", "--count", "50", "--group", "cli-g", "--format", "json")
    got = [json.loads(l) for l in out.splitlines()]
    assert sorted(int(m["value"][1:]) for m in got) == list(range(50)), got
    groups = cli("group", "list")
    assert "cli-g" in groups, groups
    desc = cli("group", "describe", "cli-g")
    assert "orders" in desc, desc
    cli("topic", "delete", "orders")
    assert "orders" not in {t["name"] for t in json.loads(cli("topic", "list", "--format", "json"))}


def test_offsets_of_a_new_topic():
    # Kafka creates a topic asynchronously: right after CreateTopics a
    # partition's leader may be unknown to the broker asked (NOT_LEADER /
    # LEADER_NOT_AVAILABLE). runnel's admin client asks again until the
    # leader is known (bounded by its timeout), so create-then-describe (and
    # runnel bench e2e, which reads the offsets of the topic it just created)
    # works on a cluster.
    for i in range(8):
        cli("topic", "create", "fresh-%d" % i, "--partitions", "6", "--replication-factor", "3")
        d = json.loads(cli("topic", "describe", "fresh-%d" % i, "--format", "json"))
        assert [p["end_offset"] for p in d["partitions"]] == [0] * 6, d


def test_bench():
    out = cli("bench", "produce", "--topic", "bench", "--partitions", "6", "--message-bytes", "512",
              "--acks", "all", "--duration", "3s", "--keep-topic", "--json", timeout=180)
    res = json.loads(out.strip().splitlines()[-1])
    assert res["count"] > 0 and res["errors"] == 0 and res["msgs_per_s"] > 0, res
    out = cli("bench", "consume", "--topic", "bench", "--json", timeout=180)
    res2 = json.loads(out.strip().splitlines()[-1])
    assert res2["count"] == res["count"], (res, res2)
    out = cli("bench", "e2e", "--topic", "bench-e2e", "--partitions", "3", "--rate", "2000",
              "--acks", "all", "--duration", "3s", "--json", timeout=180)
    res3 = json.loads(out.strip().splitlines()[-1])
    assert res3["count"] > 0 and res3["errors"] == 0 and res3["p99_ms"] > 0, res3


def test_stream_examples():
    with ClusterEnv() as env:
        env.topics(1, "pageviews", "page-visits")
        out = env.reader("page-visits")
        env.start("page-visits")
        events = [("u%d" % i, ["/a", "/b", "/c"][i % 3], se.BASE + i * 9_000) for i in range(120)]
        env.produce("pageviews", [se.pageview(*e) for e in events])
        expected, _ = se.page_visits_model(events)
        out.wait_count(sum(len(v) for v in expected.values()), timeout=120)
        got = se.by_key(se.settle(out))
        assert dict(got) == dict(expected), {p: (len(got[p]), len(expected[p])) for p in expected}
        # Its internal topics were created on the cluster with the cluster's
        # replication (the app asks for the broker default).
        md = env.admin.list_topics(timeout=10)
        internal = [t for t in md.topics if t.startswith("page-visits-")]
        assert internal, sorted(md.topics)
        for t in internal:
            for p in md.topics[t].partitions.values():
                assert len(p.replicas) == 3, (t, p.replicas)


def leader_of(admin, topic, partition=0):
    return admin.list_topics(topic, timeout=10).topics[topic].partitions[partition].leader


def coordinator_of(group):
    """The broker that coordinates `group` (FindCoordinator; Kafka picks it
    from the group id's __consumer_offsets partition, so it is known before
    the group exists, once that topic has leaders)."""
    def ask():
        node = next(n for n in CLUSTER.nodes if n.alive())
        with kafka_wire.Connection(node.port, timeout=10.0) as c:
            r = c.call("FindCoordinator", 3, {"key": group, "key_type": 0})
        return r["node_id"] if r["error_code"] == 0 and r["node_id"] >= 0 else None
    return wait_until(ask, timeout=60, interval=0.5, what="the coordinator of group " + group)


def kill_coordinator_under_page_visits(env, app_id, *flags):
    """Runs page-visits as `app_id` on 600 views and kills, half-way, the
    broker that is the app's group coordinator and the leader of its input
    and output, so the consumer (fetch, commit, heartbeat) and the producer
    lose their broker at once: the hardest case, every run (left to chance
    it happened in some runs only). Returns the reader of the output, the
    model's updates per page, their total and the app."""
    victim = coordinator_of(app_id)
    src, dst = app_id + "-in", app_id + "-out"
    env.topics(1, src, dst, leader=victim)
    out = env.reader(dst)
    app = env.start("page-visits", "--topic", "pageviews=" + src, "--topic", "page-visits=" + dst,
                    "--application-id", app_id, *flags)
    pages = ["/p%d" % i for i in range(4)]
    events = [("u%d" % i, pages[i % 4], se.BASE + i * 3_000) for i in range(600)]
    expected, _ = se.page_visits_model(events)
    total = sum(len(v) for v in expected.values())
    first, second = events[:300], events[300:]
    env.produce(src, [se.pageview(*e) for e in first])
    want_first = sum(len(v) for v in se.page_visits_model(first)[0].values())
    out.wait_count(want_first // 2, timeout=120)
    assert leader_of(env.admin, src) == victim, (leader_of(env.admin, src), victim)
    idx = [n.id for n in CLUSTER.nodes].index(victim)
    CLUSTER.kill(idx)
    # More input while the broker is down: 2 of 3 replicas still satisfy
    # min.insync.replicas=2.
    env.produce(src, [se.pageview(*e) for e in second[:150]])
    wait_until(lambda: leader_of(env.admin, src) not in (-1, victim), timeout=60,
               what="a new leader for " + src)
    CLUSTER.start_node(idx)
    env.produce(src, [se.pageview(*e) for e in second[150:]])
    return out, expected, total, app


def test_page_visits_survives_a_broker_kill():
    with ClusterEnv() as env:
        # The member's session is Kafka's default (45 s): it outlasts the
        # coordinator's move to another broker (the cluster notices the dead
        # broker after broker.session.timeout.ms, 9 s, then the new
        # coordinator loads the group; librdkafka waits for it), so the
        # member keeps its partitions and the output is exactly the model.
        out, expected, total, _ = kill_coordinator_under_page_visits(env, "pv-kill")
        out.wait_count(total, timeout=180)
        got = se.by_key(se.settle(out, quiet=2.0))
        # Exactly the model: every update once, in order, per page.
        for page in expected:
            assert got[page] == expected[page], (page, len(got[page]), len(expected[page]))
        assert set(got) == set(expected), (sorted(got), sorted(expected))
        CLUSTER.wait_ready(180)


def test_page_visits_fenced_by_a_broker_kill():
    with ClusterEnv() as env:
        # A 6 s session (the broker's minimum) runs out before the
        # coordinator has moved: the member is fenced (its partitions lost,
        # a commit in flight refused with UNKNOWN_MEMBER_ID), rejoins and
        # reprocesses from the last commit. The app must go on: at-least-once,
        # no view lost, a view counted twice allowed.
        short = ["--client-property", "session.timeout.ms=6000",
                 "--client-property", "heartbeat.interval.ms=500"]
        out, expected, _, app = kill_coordinator_under_page_visits(env, "pv-fenced", *short)
        windows = {(p, u["window_start"]): u["visits"] for p, ups in expected.items() for u in ups}
        out.wait(lambda recs: all(se.final_counts(recs).get(w, 0) >= n for w, n in windows.items()),
                 timeout=180, what="every view counted")
        counts = se.final_counts(se.settle(out, quiet=2.0))
        assert set(counts) == set(windows), (len(counts), len(windows))
        lost = {w: (counts[w], n) for w, n in windows.items() if counts[w] < n}
        assert not lost, lost
        assert app.alive(), app.text()
        fenced = [l for l in app.text().splitlines()
                  if "SESSTMOUT" in l or "rebalanced without this member" in l]
        print("  fenced: %s; largest over-count %d" % (
            "; ".join(l.split("] ", 2)[-1][:100] for l in fenced[:2]) or "not seen",
            max(counts[w] - n for w, n in windows.items())))
        CLUSTER.wait_ready(180)


def test_sql_over_kafka():
    """`runnel sql` against the Kafka cluster (issue 15: sources and sinks over
    any Kafka-protocol cluster): the catalog in a compacted topic of the
    cluster, a source, a view and an upsert sink; FLUSH, then the view
    equals the counts and the sink's topic the view; kill -9 of the SQL
    process, more records, a restart from its state directory: nothing
    counted twice, the sink's topic follows, and an exactly-once sink (on
    Kafka's transactions) holds every id once for a read_committed reader,
    also after a start that died between an epoch's transaction and its
    state commit."""
    from test_sql_psql import SqlServer
    cli("topic", "create", "sql-clicks", "--partitions", "3", "--replication-factor", "3")
    cli("topic", "create", "sql-visits", "--partitions", "3", "--replication-factor", "3")
    cli("topic", "create", "sql-ids", "--partitions", "3", "--replication-factor", "3")
    wait_until(lambda: all(known_everywhere(t, 3) for t in ("sql-clicks", "sql-visits", "sql-ids")),
               what="the topics on every node")
    pages = ["/home", "/about", "/cart", "/faq"]

    def produce(start, n):
        cli("produce", "sql-clicks", input="".join(
            '{"id": %d, "page": "%s"}\n' % (i, pages[i % len(pages)]) for i in range(start, start + n)).encode())

    def expected(n):
        return {p: sum(1 for i in range(n) if pages[i % len(pages)] == p) for p in pages}

    def sink_latest():
        c = Consumer({"bootstrap.servers": CLUSTER.bootstrap, "group.id": "sql-check-%f" % time.time(),
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe(["sql-visits"])
        latest, idle = {}, 0
        try:
            while idle < 3:
                m = c.poll(1.0)
                if m is None:
                    idle += 1
                    continue
                if m.error():
                    continue
                latest[json.loads(m.key())["page"]] = json.loads(m.value())["n"] if m.value() else None
        finally:
            c.close()
        return latest

    def committed_ids():
        """The exactly-once sink's ids, as a read_committed consumer sees them up to the end."""
        c = Consumer({"bootstrap.servers": CLUSTER.bootstrap, "group.id": "sql-ids-%f" % time.time(),
                      "auto.offset.reset": "earliest", "enable.auto.commit": False,
                      "isolation.level": "read_committed", "enable.partition.eof": True})
        c.subscribe(["sql-ids"])
        ids, ended, deadline = [], set(), time.monotonic() + 60
        try:
            while len(ended) < 3 and time.monotonic() < deadline:
                m = c.poll(1.0)
                if m is None:
                    continue
                if m.error():
                    if m.error().code() == -191:  # _PARTITION_EOF
                        ended.add(m.partition())
                    continue
                ids.append(json.loads(m.value())["id"])
        finally:
            c.close()
        assert len(ended) == 3, "did not reach the end of sql-ids"
        return sorted(ids)

    d = tempfile.mkdtemp(prefix="runnel-sql-kafka-")
    args = ("--brokers", CLUSTER.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", d + "/state")
    produce(0, 2000)
    s = SqlServer(*args)
    try:
        s.psql("CREATE SOURCE clicks (id INT, page TEXT) WITH (connector = 'kafka', topic = 'sql-clicks') "
               "FORMAT PLAIN ENCODE JSON",
               "CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n FROM clicks GROUP BY page",
               "CREATE SINK visits_out FROM visits WITH (connector = 'kafka', topic = 'sql-visits', "
               "primary_key = 'page') FORMAT UPSERT ENCODE JSON",
               # Exactly-once on Kafka's own transactions.
               "CREATE SINK ids_out AS SELECT id FROM clicks WITH (connector = 'kafka', topic = 'sql-ids', "
               "is_exactly_once = 'true') FORMAT PLAIN ENCODE JSON")
        out = s.psql("FLUSH", "SELECT page, n FROM visits").stdout
        got = {line.split("|")[0]: int(line.split("|")[1]) for line in out.splitlines()[1:]}
        assert got == expected(2000), out
        wait_until(lambda: sink_latest() == expected(2000), timeout=60, what="the sink's topic on Kafka")
        assert committed_ids() == list(range(2000))
        produce(2000, 500)
        s.proc.kill()  # kill -9 while the source reads: a transaction open, the state behind
        s.proc.wait()
        produce(2500, 500)
        # A start that dies between an epoch's transaction on Kafka and its
        # state commit (the test hook of test_sql_exactly_once.py): the next
        # start must replay that epoch with the sink muted.
        p = subprocess.Popen([BINARY, "sql", "--listen", "127.0.0.1:0", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, RUNNEL_SQL_TEST_EXIT_BETWEEN_PHASES="1"))
        _, err = p.communicate(timeout=120)
        assert p.returncode == 9 and "exiting between the phases" in err, (p.returncode, err[-3000:])
        s = SqlServer(*args)
        out = s.psql("FLUSH", "SELECT page, n FROM visits").stdout
        got = {line.split("|")[0]: int(line.split("|")[1]) for line in out.splitlines()[1:]}
        assert got == expected(3000), out
        wait_until(lambda: sink_latest() == expected(3000), timeout=60, what="the sink's topic after the restart")
        ids = committed_ids()
        assert ids == list(range(3000)), "missing %s, repeated %s" % (
            sorted(set(range(3000)) - set(ids)), sorted({i for i in ids if ids.count(i) > 1})[:20])
        assert "is recomputed" not in s.stderr(), s.stderr()
        assert "replaying it with the sinks muted" in s.stderr(), s.stderr()[-3000:]
    finally:
        if s.proc.poll() is None:
            assert s.stop() == 0, s.stderr()
        shutil.rmtree(d, ignore_errors=True)


def main():
    global CLUSTER
    d = tempfile.mkdtemp(prefix="runnel-kafka-cluster-")
    # Kafka's defaults but: joining a group starts a rebalance at once
    # (group.initial.rebalance.delay.ms=0, as Kafka's own test configs do)
    # so that the apps start in seconds.
    CLUSTER = KafkaCluster(3, d, {"group.initial.rebalance.delay.ms": "0"}, heap="512M")
    try:
        t0 = time.monotonic()
        CLUSTER.start()
        print("kafka cluster up in %.1fs on %s" % (time.monotonic() - t0, CLUSTER.bootstrap), flush=True)
        tests = [test_cli, test_offsets_of_a_new_topic, test_bench, test_stream_examples,
                 test_page_visits_survives_a_broker_kill, test_page_visits_fenced_by_a_broker_kill,
                 test_sql_over_kafka]
        only = os.environ.get("ONLY")
        run([t for t in tests if not only or only in t.__name__])
    finally:
        CLUSTER.stop()
        shutil.rmtree(d, ignore_errors=True)


main()
