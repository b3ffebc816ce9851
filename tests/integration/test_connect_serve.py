"""Kafka Connect hosted by `runnel serve` (--connect-listen): connectors
created through the REST API run inside the broker process, their configs,
offsets and statuses in the compacted topics connect-configs, -offsets and
-status, so they survive a restart of the broker and carry on where they
stopped — nothing missed, nothing twice after a clean stop."""

import json
import os
import shutil
import subprocess
import tempfile

from harness import BINARY, Broker, run, wait_until
from test_connect import append, read_lines
from test_connect_rest import Rest


def consume(b, topic):
    r = subprocess.run([BINARY, "consume", topic, "--brokers", b.bootstrap, "--from-beginning",
                        "-e", "--format", "json"], capture_output=True, timeout=60)
    if r.returncode != 0:
        return []  # the source has not created the topic yet
    return [json.loads(json.loads(line)["value"])["payload"]
            for line in r.stdout.decode().splitlines()]


def state(rest, name):
    code, s = rest.call("GET", "/connectors/%s/status" % name)
    if code != 200:
        return None
    return s["connector"]["state"], [t["state"] for t in s["tasks"]]


def topics(b):
    r = subprocess.run([BINARY, "topic", "list", "--brokers", b.bootstrap, "--format", "json"],
                       capture_output=True, timeout=60, check=True)
    return json.loads(r.stdout)


def test_serve_hosts_connect_and_keeps_it_across_restarts():
    d = tempfile.mkdtemp(prefix="runnel-connect-serve-")
    try:
        # --connect-config (here as its setting, connect.config): sink files
        # are flushed at each offset commit, every 60 s by default.
        worker = os.path.join(d, "worker.properties")
        with open(worker, "w") as f:
            f.write("offset.flush.interval.ms=500\n")
        b = Broker(BINARY, connect=True, settings={"connect.config": worker})
        with b:
            assert b.connect_port, "no 'runnel: connect on' line:\n" + b.tail()
            rest = Rest(b.connect_port)
            root = rest.ok("GET", "/")
            assert root["kafka_cluster_id"], root
            src, out = os.path.join(d, "in.txt"), os.path.join(d, "out.txt")
            lines = ["line %d" % i for i in range(300)]
            append(src, lines[:100])
            rest.ok("POST", "/connectors", {"name": "src", "config": {
                "connector.class": "FileStreamSource", "file": src, "topic": "hosted"}},
                status=201)
            rest.ok("PUT", "/connectors/sink/config", {
                "connector.class": "FileStreamSink", "file": out, "topics": "hosted"},
                status=201)
            wait_until(lambda: state(rest, "src") == ("RUNNING", ["RUNNING"]), 90,
                       what="src RUNNING")
            wait_until(lambda: consume(b, "hosted") == lines[:100], 60, what="100 lines")
            wait_until(lambda: read_lines(out) == lines[:100], 60, what="the sink file")
            s = rest.ok("GET", "/connectors/src/status")
            assert s["tasks"][0]["worker_id"] == "127.0.0.1:%d" % b.connect_port, s
            names = [t["name"] for t in topics(b)]
            for t in ("connect-configs", "connect-offsets", "connect-status"):
                assert t in names, names

            # A clean restart of the broker: the connectors come back from the
            # config topic and continue from the stored offsets.
            b.restart()
            assert b.connect_port, b.tail()
            rest = Rest(b.connect_port)
            assert sorted(rest.ok("GET", "/connectors")) == ["sink", "src"]
            append(src, lines[100:])
            wait_until(lambda: state(rest, "src") == ("RUNNING", ["RUNNING"]), 90,
                       what="src RUNNING after the restart")
            wait_until(lambda: len(consume(b, "hosted")) >= 300, 90, what="300 lines")
            assert consume(b, "hosted") == lines
            wait_until(lambda: read_lines(out) == lines, 60, what="every line in the sink file")

            rest.ok("DELETE", "/connectors/src", status=204)
            wait_until(lambda: rest.ok("GET", "/connectors") == ["sink"], 60, what="src deleted")
            assert b.stop() == 0, b.tail()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_serve_connect_listen_errors():
    d = tempfile.mkdtemp(prefix="runnel-connect-serve-")
    try:
        r = subprocess.run([BINARY, "serve", "--data-dir", d + "/a", "--listen", "127.0.0.1:0",
                            "--admin-listen", "off", "--connect-listen", "nonsense"],
                           capture_output=True, timeout=60)
        assert r.returncode == 2 and b"--connect-listen expects HOST:PORT or off" in r.stderr, r
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_serve_hosts_connect_and_keeps_it_across_restarts, test_serve_connect_listen_errors])
