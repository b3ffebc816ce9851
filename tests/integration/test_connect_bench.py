"""bench/connect/run on a tiny run (--quick: 50 small files, two 1 MB files,
20 files landing in one second, a 20,000-line FileStream file), so that the
connector benchmark keeps working: the directory source's three phases, its
inotify mode's lag phase and runnel's FileStreamSource each report figures, and the script's own exact
check (every line of every file once, in order) passed. The S3 modes and
Kafka Connect are left to the benchmark itself (moto and a JVM would add
seconds here; integration.objstore_backends and test_kafka_connect.py test
them)."""

import json
import os
import subprocess
import tempfile

from harness import BINARY, run

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "connect",
                      "run")


def test_quick_run_reports_verified_figures():
    with tempfile.TemporaryDirectory(prefix="runnel-connbench-test-") as d:
        out = os.path.join(d, "results.json")
        r = subprocess.run([SCRIPT, "--quick", "--modes", "dir-listing,dir-notifications,filestream",
                            "--no-kafka-connect", "--runnel", BINARY, "--dir", d, "--json", out,
                            "--timeout", "60"], capture_output=True, timeout=240)
        err = r.stderr.decode(errors="replace")
        assert r.returncode == 0, "bench/connect/run failed (%d):\n%s" % (r.returncode, err[-4000:])
        with open(out) as f:
            results = [json.loads(line) for line in f]
        by = {(x["mode"], x.get("phase") or x.get("impl")): x for x in results}
        small, large, lag = (by[("dir-listing", p)] for p in ("small", "large", "lag"))
        assert small["files"] == 50 and large["files"] == 2, results
        for x in (small, large):
            assert x["verified"] and x["records"] > 0 and x["seconds"] > 0, x
            assert x["files_per_s"] > 0 and x["mb_per_s"] > 0, x
        assert lag["verified"] and lag["files"] == 20, lag
        assert 0 <= lag["min_ms"] <= lag["p50_ms"] <= lag["p99_ms"] <= lag["max_ms"], lag
        fs = by[("filestream", "runnel")]
        assert fs["verified"] and fs["records"] == 20000 and fs["records_per_s"] > 0, fs
        # 50 small + 2 large + 20 lag files + the lag phase's warm-up file.
        assert "verified 73 files" in err, err[-2000:]
        inotify = by[("dir-notifications", "lag")]
        assert inotify["verified"] and inotify["files"] == 20, inotify
        assert ("dir-notifications", "small") not in by, results
        # The Markdown tables are on stdout.
        text = r.stdout.decode()
        assert "| dir-listing | small | 50 |" in text and "| runnel | 0 | 20000 |" in text, text


if __name__ == "__main__":
    run([test_quick_run_reports_verified_figures])
