"""`runnel connect distributed`: workers with the same group.id share the
connectors and tasks through the Kafka group protocol, keep configs,
offsets and statuses in compacted topics, and a worker killed -9 has its
tasks moved to the others — no line of the source file missed."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import BINARY, Broker, run, wait_until
from test_connect import append, read_lines
from test_connect_rest import Rest


class Worker:
    def __init__(self, worker_file, log_path):
        self.log = open(log_path, "ab")
        self.log_path = log_path
        self.proc = subprocess.Popen(
            [BINARY, "connect", "distributed", "-w", worker_file, "--connect-listen",
             "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("runnel connect: distributed worker"):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("worker did not start: %r\n%s" % (line, self.tail()))
        self.port = int(line.rsplit(":", 1)[1].rstrip("/\n"))
        self.rest = Rest(self.port)
        self.id = "127.0.0.1:%d" % self.port

    def tail(self, n=40):
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-n:]).decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("worker did not stop:\n" + self.tail())
        self.proc.stdout.close()
        self.log.close()
        return rc


def consume(b, topic):
    r = subprocess.run([BINARY, "consume", topic, "--brokers", b.bootstrap, "--from-beginning",
                        "-e", "--format", "json"], capture_output=True, timeout=60)
    if r.returncode != 0:
        return []  # the source has not created the topic yet
    return [json.loads(line)["value"] for line in r.stdout.decode().splitlines()]


def status(w, name):
    code, s = w.rest.call("GET", "/connectors/%s/status" % name)
    return s if code == 200 else None


def task_worker(w, name):
    s = status(w, name)
    if s and s["tasks"] and s["tasks"][0]["state"] == "RUNNING":
        return s["tasks"][0]["worker_id"]
    return None


def test_three_workers_share_and_survive_kill9():
    d = tempfile.mkdtemp(prefix="runnel-connect-dist-")
    workers = []
    try:
        with Broker(BINARY) as b:
            wf = os.path.join(d, "connect-distributed.properties")
            with open(wf, "w") as f:
                f.write("""bootstrap.servers=%s
group.id=connect-cluster
config.storage.topic=connect-configs
offset.storage.topic=connect-offsets
status.storage.topic=connect-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
offset.flush.interval.ms=300
session.timeout.ms=6000
heartbeat.interval.ms=1000
consumer.session.timeout.ms=6000
""" % b.bootstrap)
            for i in range(3):
                workers.append(Worker(wf, os.path.join(d, "w%d.log" % i)))
            src, out = os.path.join(d, "in.txt"), os.path.join(d, "out.txt")
            lines = ["line %d" % i for i in range(600)]
            append(src, lines[:200])
            # Created through one worker, seen by all (the config topic).
            workers[1].rest.ok("POST", "/connectors", {"name": "src", "config": {
                "connector.class": "FileStreamSource", "file": src, "topic": "dist"}},
                status=201)
            workers[2].rest.ok("PUT", "/connectors/sink/config", {
                "connector.class": "FileStreamSink", "file": out, "topics": "dist"},
                status=201)
            for w in workers:
                wait_until(lambda: sorted(w.rest.ok("GET", "/connectors")) == ["sink", "src"],
                           60, what="every worker lists both connectors")
            # Every worker answers the same status (the status topic), once
            # the rebalances that the new connectors and tasks cause are over.
            def agreed(name):
                owners = {task_worker(w, name) for w in workers}
                return owners.pop() if len(owners) == 1 and None not in owners else None

            try:
                owner = wait_until(lambda: agreed("src"), 90,
                                   what="the source task RUNNING, the same owner everywhere")
                wait_until(lambda: agreed("sink"), 90, what="the sink task RUNNING")
            except TimeoutError:
                for w in workers:
                    print(w.id, json.dumps(status(w, "src")), json.dumps(status(w, "sink")))
                    print(w.tail(60))
                raise
            wait_until(lambda: len(consume(b, "dist")) >= 200, 60, what="the first 200 lines")

            victim = [w for w in workers if w.id == owner][0]
            survivors = [w for w in workers if w is not victim]
            append(src, lines[200:400])
            victim.stop(signal.SIGKILL)
            append(src, lines[400:])
            new_owner = wait_until(
                lambda: (lambda o: o if o and o != owner else None)(
                    task_worker(survivors[0], "src")), 120, what="the task moved")
            assert new_owner in [w.id for w in survivors], new_owner

            def complete():
                got = consume(b, "dist")
                return got if got and got[-1] == lines[-1] else None

            got = wait_until(complete, 90, what="every line in the topic")
            dedup = []
            seen = set()
            for v in got:
                if v not in seen:
                    seen.add(v)
                    dedup.append(v)
            assert dedup == lines, (len(dedup), [l for l in lines if l not in seen][:5])
            wait_until(lambda: set(read_lines(out)) == set(lines), 90,
                       what="every line in the sink file")

            # Offsets survive in the offsets topic: GET from a survivor.
            survivors[0].rest.ok("PUT", "/connectors/src/stop", status=204)
            wait_until(lambda: (status(survivors[1], "src") or {}).get("connector", {}).get(
                "state") == "STOPPED", 60, what="STOPPED")
            off = survivors[1].rest.ok("GET", "/connectors/src/offsets")
            assert off["offsets"][0]["offset"]["position"] == os.path.getsize(src), off
            for w in survivors:
                assert w.stop() == 0, w.tail()
            workers = []
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.stop(signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_three_workers_share_and_survive_kill9])
