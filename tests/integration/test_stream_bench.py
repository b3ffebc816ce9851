"""bench/stream's stream_bench on a small run against a real broker, so that
the stream-library benchmark keeps building and working: each workload prints
one JSON line whose counts match what was preloaded.

Run as `python3 test_stream_bench.py PATH/TO/runnel PATH/TO/stream_bench`."""

import json
import os
import subprocess
import sys

from harness import BINARY, Broker, run

STREAM_BENCH = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
    "STREAM_BENCH", "build/bench/stream_bench")
EVENTS = 20000


def stream_bench(broker, *args):
    r = subprocess.run([STREAM_BENCH, "--brokers", broker.bootstrap, "--events", str(EVENTS),
                        "--timeout-s", "120", *args], capture_output=True, timeout=300)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, "stream_bench %s failed (%d): %s\n%s" % (
        " ".join(args), r.returncode, err[-3000:], broker.tail())
    lines = out.splitlines()
    assert len(lines) == 1, "stdout should be one JSON line: %r" % out
    j = json.loads(lines[0])
    assert j["events"] == EVENTS and j["records_in"] >= EVENTS, j
    assert j["seconds"] > 0 and j["events_per_s"] > 0 and j["events_per_cpu_s"] > 0, j
    assert 150 <= j["event_bytes_avg"] <= 200, j
    return j


def test_stateless_keeps_nine_in_ten():
    with Broker(BINARY) as b:
        j = stream_bench(b, "--workload", "stateless")
        # The filter drops events whose duration_ms is a multiple of 10.
        assert 0.85 * EVENTS < j["output_records"] < 0.95 * EVENTS, j
        assert j["records_out"] == j["output_records"], j


def test_windowed_count_emits_one_update_per_event():
    with Broker(BINARY) as b:
        j = stream_bench(b, "--workload", "windowed", "--partitions", "2")
        assert j["output_records"] == EVENTS, j


def test_rekeyed_windowed_count_goes_through_a_repartition_topic():
    with Broker(BINARY) as b:
        j = stream_bench(b, "--workload", "windowed-rekey")
        assert j["output_records"] == EVENTS, j
        # Every event is read twice: from the input and from the repartition topic.
        assert j["records_in"] == 2 * EVENTS, j


if __name__ == "__main__":
    run([test_stateless_keeps_nine_in_ten, test_windowed_count_emits_one_update_per_event,
         test_rekeyed_windowed_count_goes_through_a_repartition_topic])
