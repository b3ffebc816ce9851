"""`runnel bench produce|consume|e2e` against a real broker: short runs whose
--json line has sane figures, exact counts for --count, and one error line on
stderr when the cluster cannot be reached."""

import json
import os
import re
import subprocess
import sys
import tempfile

from harness import BINARY, Broker, free_port, run

FIELDS = ("msgs_per_s", "mb_per_s", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "count",
          "seconds")


def bench(broker, *args, timeout=120):
    """Runs `runnel bench ARGS --json`; returns the JSON object on the last stdout line."""
    r = subprocess.run([BINARY, "bench", *args, "--brokers", broker.bootstrap, "--json"],
                       capture_output=True, timeout=timeout)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, "runnel bench %s failed (%d): %s\n%s" % (
        " ".join(args), r.returncode, err, broker.tail())
    j = json.loads(out.splitlines()[-1])
    check_sane(j)
    return j, err


def check_sane(j):
    for f in FIELDS:
        assert f in j, "no %s in %r" % (f, j)
    assert j["count"] > 0 and j["seconds"] > 0, j
    assert j["msgs_per_s"] > 0 and j["mb_per_s"] > 0, j
    if j["bench"] == "consume":
        # A catch-up read has no latency: the messages' age says how old the
        # backlog was.
        assert j["latency"] is None and j["p50_ms"] is None and j["max_ms"] is None, j
        return
    assert 0 <= j["p50_ms"] <= j["p90_ms"] <= j["p99_ms"] <= j["p999_ms"] <= j["max_ms"], j


def topics(broker):
    r = subprocess.run([BINARY, "topic", "list", "--format", "json", "-b", broker.bootstrap],
                       capture_output=True, timeout=60, check=True)
    return {t["name"] for t in json.loads(r.stdout)}


def test_produce_for_a_duration_creates_the_topic():
    with Broker(BINARY) as b:
        j, err = bench(b, "produce", "--topic", "p", "--partitions", "16", "--message-bytes",
                       "1024", "--duration", "2s", "--acks", "1")
        assert j["partitions"] == 16 and j["errors"] == 0, j
        assert j["count"] == j["sent"], j
        assert j["bytes"] == 1024 * j["count"], j
        assert 1.5 < j["seconds"] < 10, j
        # No progress lines for a run this short.
        assert "msg/s" not in err, err
        # The run created the topic, so it deleted it: nothing is left behind.
        assert "deleted topic p, created for this run" in err, err
        assert "p" not in topics(b)


def test_produce_count_is_exact_with_several_producers():
    with Broker(BINARY) as b:
        j, _ = bench(b, "produce", "--topic", "pc", "--partitions", "4", "--count", "20000",
                     "--producers", "3", "--acks", "all", "--compression", "lz4",
                     "--message-bytes", "100", "--linger-ms", "2", "--batch-bytes", "65536")
        assert j["count"] == 20000 and j["sent"] == 20000, j
        assert j["producers"] == 3 and j["compression"] == "lz4", j
        # --keep-topic keeps it and says so; a second run into the existing
        # topic says what it added and leaves it.
        _, err = bench(b, "produce", "--topic", "kept", "--count", "100", "--keep-topic")
        assert "kept topic kept (100 messages" in err, err
        _, err = bench(b, "produce", "--topic", "kept", "--count", "50")
        assert "wrote 50 messages" in err and "existed before this run" in err, err
        assert "kept" in topics(b)


def test_produce_at_a_rate_keeps_the_schedule():
    with Broker(BINARY) as b:
        j, err = bench(b, "produce", "--topic", "pr", "--rate", "5000", "--duration", "3s",
                       "--acks", "all", "--idempotence")
        # 3 s at 5000 msg/s: 15000 messages, all on the schedule.
        assert j["count"] == 15000, j
        assert 4000 < j["msgs_per_s"] < 6000, j
        assert j["rate"] == 5000, j
        # A run longer than 2 s reports progress on stderr.
        assert "msg/s" in err, err


def test_consume_reads_what_was_prepared():
    with Broker(BINARY) as b:
        j, _ = bench(b, "consume", "--topic", "c", "--partitions", "3", "--prepare-count",
                     "20000", "--message-bytes", "200", "--consumers", "2", "--keep-topic")
        assert j["count"] == 20000 and j["backlog"] == 20000, j
        assert j["bytes"] == 200 * 20000, j
        # An exact --count over the same data, as a group this time.
        j, _ = bench(b, "consume", "--topic", "c", "--count", "12345", "--group", "bench-g")
        assert j["count"] == 12345, j


def test_consume_of_a_missing_topic_fails_in_one_line():
    with Broker(BINARY) as b:
        r = subprocess.run([BINARY, "bench", "consume", "--topic", "nope", "--brokers",
                            b.bootstrap], capture_output=True, timeout=60)
        assert r.returncode != 0
        lines = r.stderr.decode().splitlines()
        assert len(lines) == 1 and "nope" in lines[0], lines


def test_e2e_receives_everything_sent():
    with Broker(BINARY) as b:
        j, _ = bench(b, "e2e", "--topic", "e", "--partitions", "4", "--count", "20000",
                     "--producers", "2", "--consumers", "2", "--acks", "1")
        assert j["sent"] == 20000 and j["acked"] == 20000, j
        assert j["received"] == j["count"] == 20000, j
        j, _ = bench(b, "e2e", "--topic", "e", "--duration", "2s", "--rate", "5000",
                     "--group", "e2e-g", "--consumers", "2")
        assert j["received"] == j["sent"] == j["count"], j
        assert 9000 <= j["count"] <= 10000, j


def test_e2e_fetches_wake_on_every_append():
    """A long-polling fetch over partitions on two shards registers with one
    owner, then the other; an append landing in between must still wake it.
    A lost wake-up shows as a fetch sleeping its whole fetch.wait.max.ms
    (the broker that lost them failed this in 4 runs out of 4)."""
    with Broker(BINARY, shards=2) as b:
        j, _ = bench(b, "e2e", "--topic", "w", "--partitions", "16", "--duration", "4s",
                     "--rate", "50000", "--linger-ms", "1", "--acks", "all", "--producers", "2",
                     "--consumers", "4", "-X", "fetch.wait.max.ms=10000")
        assert j["received"] == j["sent"] == j["count"], j
        assert j["max_ms"] < 4000, j


def test_cold_read_benchmark_runs():
    # bench/cold-read on a tiny scale, so that it cannot rot: one rep, its
    # Markdown table, the cold data evicted before the read.
    script = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "cold-read")
    with tempfile.TemporaryDirectory(prefix="runnel-cold-read-test-", dir="/var/tmp") as d:
        r = subprocess.run([sys.executable, script, "--runnel", BINARY, "--cold-bytes", "24M",
                            "--segment-bytes", "4M", "--duration", "2s", "--rate", "200",
                            "--reps", "1", "--dir", d], capture_output=True, timeout=300)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    rows = [l for l in out.splitlines() if l.startswith("| ") and "runnel" in l]
    assert len(rows) == 2 and "idle" in rows[0] and "cold read" in rows[1], out
    assert "resident before the read" in out, out


def test_unreachable_cluster_is_one_error_line():
    port = free_port()
    r = subprocess.run([BINARY, "bench", "produce", "--brokers", "127.0.0.1:%d" % port,
                        "--count", "10", "--request-timeout-ms", "1000"],
                       capture_output=True, timeout=60)
    assert r.returncode == 1, r
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runnel bench produce:"), lines


def test_metrics_overhead_script_runs():
    # bench/metrics-overhead on a tiny run (this binary as both "before" and
    # "after"), so the script cannot rot: three runs, a table, a scrape.
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                          "metrics-overhead")
    with tempfile.TemporaryDirectory(prefix="runnel-it-mo-") as scratch:
        r = subprocess.run([script, "--before", BINARY, "--after", BINARY, "--reps", "1",
                            "--duration", "1s", "--workloads", "100b-l0", "--dir", scratch],
                           capture_output=True, timeout=300)
        left = os.listdir(scratch)
    out = r.stdout.decode()
    assert r.returncode == 0, "bench/metrics-overhead failed (%d):\n%s\n%s" % (
        r.returncode, out, r.stderr.decode())
    rows = [line for line in out.splitlines() if line.startswith("| 100b-l0 |")]
    assert len(rows) == 3, out
    scrapes = re.search(r"after, scraped 1/s .*\((\d+) scrapes\)", out)
    assert scrapes and int(scrapes.group(1)) >= 1, out
    assert left == [], "scratch directories left behind: %r" % left


if __name__ == "__main__":
    run([test_produce_for_a_duration_creates_the_topic,
         test_produce_count_is_exact_with_several_producers,
         test_produce_at_a_rate_keeps_the_schedule, test_consume_reads_what_was_prepared,
         test_consume_of_a_missing_topic_fails_in_one_line, test_e2e_receives_everything_sent,
         test_e2e_fetches_wake_on_every_append, test_cold_read_benchmark_runs,
         test_unreachable_cluster_is_one_error_line, test_metrics_overhead_script_runs])
