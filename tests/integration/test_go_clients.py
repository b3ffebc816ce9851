"""The Go clients (pinned in go/go.mod): franz-go (kgo, kadm) and Sarama,
against runnel — admin, idempotent acks=all producers, consumer groups of
two, group offsets, delete records, list offsets (go/*.go, one `go run`)."""

import os
import shutil
import subprocess
import tempfile

from harness import BINARY, Broker, run

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = {"group.initial.rebalance.delay.ms": 100, "group.min.session.timeout.ms": 1000}


def test_franz_go_and_sarama():
    env = dict(os.environ)
    # Only what scripts/setup put in the module cache: no network here.
    env.update(GOPROXY="off", GOFLAGS="-mod=readonly -buildvcs=false")
    go_dir = os.path.join(HERE, "go")
    out_dir = tempfile.mkdtemp(prefix="runnel-go-")
    exe = os.path.join(out_dir, "clients_check")
    try:
        build = subprocess.run(["go", "build", "-o", exe, "."], cwd=go_dir, env=env,
                               capture_output=True, timeout=600)
        assert build.returncode == 0, "go build failed (run scripts/setup?):\n" + build.stderr.decode()
        with Broker(BINARY, settings=SETTINGS) as b:
            r = subprocess.run([exe, b.bootstrap], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=400)
            out = r.stdout.decode(errors="replace")
            print(out, flush=True)
            assert r.returncode == 0 and "0 failed" in out, b.tail()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)

if __name__ == "__main__":
    run([test_franz_go_and_sarama])
