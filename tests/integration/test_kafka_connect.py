"""Apache Kafka Connect 4.x (connect-runtime and connect-file from Maven
Central, java/pom.xml) against runnel: the FileStream source and sink
connectors move a file through a topic into another file, in standalone mode
and in distributed mode (whose config, offsets and status live in compacted
topics on runnel, and whose REST API creates the connectors). A restarted
worker resumes from its stored offsets: no line is lost or copied twice."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.request

from confluent_kafka.admin import AdminClient, ConfigResource

import jvm
from harness import BINARY, Broker, free_port, run, wait_until

SETTINGS = {"group.initial.rebalance.delay.ms": 100, "group.min.session.timeout.ms": 1000}


class Worker:
    """A Connect worker JVM (ConnectStandalone or ConnectDistributed)."""

    def __init__(self, main, *args):
        self.proc = subprocess.Popen(jvm.command("kafka-4", None, main, *args, heap="384m"),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    def tail(self, n=40):
        return "\n".join(self.lines[-n:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=10)


def write_props(path, props):
    with open(path, "w") as f:
        for k, v in props.items():
            f.write("%s=%s\n" % (k, v))


def append_lines(path, lines):
    with open(path, "a") as f:
        for line in lines:
            f.write(line + "\n")


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def rest(port, method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read() or b"null")


def rest_ok(port, method, path, body=None):
    try:
        return rest(port, method, path, body)
    except OSError:
        return None


def worker_props(b, rest_port):
    return {"bootstrap.servers": b.bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "listeners": "http://127.0.0.1:%d" % rest_port,
            "offset.flush.interval.ms": 500,
            # The plugins' ServiceLoader manifests, no class-path scan: a faster start.
            "plugin.discovery": "service_load"}


def test_connect_standalone_file_to_topic_to_file():
    d = tempfile.mkdtemp(prefix="runnel-connect-")
    src, dst = os.path.join(d, "in.txt"), os.path.join(d, "out.txt")
    lines = ["line %d" % i for i in range(500)]
    append_lines(src, lines)
    props = os.path.join(d, "worker.properties")
    try:
        with Broker(BINARY, settings=SETTINGS) as b:
            port = free_port()
            write_props(props, {**worker_props(b, port),
                                "offset.storage.file.filename": os.path.join(d, "offsets")})
            write_props(os.path.join(d, "source.properties"), {
                "name": "file-source", "connector.class": "FileStreamSource", "tasks.max": 1,
                "file": src, "topic": "connect-standalone"})
            write_props(os.path.join(d, "sink.properties"), {
                "name": "file-sink", "connector.class": "FileStreamSink", "tasks.max": 1,
                "file": dst, "topics": "connect-standalone"})
            w = Worker("org.apache.kafka.connect.cli.ConnectStandalone", props,
                       os.path.join(d, "source.properties"), os.path.join(d, "sink.properties"))
            try:
                wait_until(lambda: read_lines(dst) == lines or w.proc.poll() is not None, timeout=120,
                           what="the sink file to hold every line")
                assert read_lines(dst) == lines, w.tail()
                st = rest(port, "GET", "/connectors/file-source/status")[1]
                assert st["connector"]["state"] == "RUNNING", st
                more = ["more %d" % i for i in range(100)]
                append_lines(src, more)
                wait_until(lambda: read_lines(dst) == lines + more, timeout=60, what="appended lines")
            finally:
                w.stop()
            # A new worker resumes from the source offsets in its file and the
            # sink group's committed offsets: nothing is copied twice.
            last = ["after restart %d" % i for i in range(50)]
            append_lines(src, last)
            w = Worker("org.apache.kafka.connect.cli.ConnectStandalone", props,
                       os.path.join(d, "source.properties"), os.path.join(d, "sink.properties"))
            try:
                wait_until(lambda: len(read_lines(dst)) >= len(lines + more + last) or w.proc.poll() is not None,
                           timeout=120, what="the lines written while the worker was down")
                assert read_lines(dst) == lines + more + last, w.tail()
            finally:
                w.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_connect_distributed_internal_topics_and_rest():
    d = tempfile.mkdtemp(prefix="runnel-connect-")
    src, dst = os.path.join(d, "in.txt"), os.path.join(d, "out.txt")
    lines = ["row %d" % i for i in range(500)]
    append_lines(src, lines)
    props = os.path.join(d, "worker.properties")
    try:
        with Broker(BINARY, settings=SETTINGS) as b:
            port = free_port()
            write_props(props, {**worker_props(b, port), "group.id": "runnel-connect",
                                "config.storage.topic": "connect-configs",
                                "offset.storage.topic": "connect-offsets",
                                "status.storage.topic": "connect-status",
                                "config.storage.replication.factor": 1,
                                "offset.storage.replication.factor": 1,
                                "status.storage.replication.factor": 1,
                                "offset.storage.partitions": 5})

            def start():
                w = Worker("org.apache.kafka.connect.cli.ConnectDistributed", props)
                wait_until(lambda: rest_ok(port, "GET", "/connectors") or w.proc.poll() is not None,
                           timeout=120, what="the REST API")
                assert w.proc.poll() is None, w.tail()
                return w

            w = start()
            try:
                rest(port, "POST", "/connectors", {"name": "dist-source", "config": {
                    "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                    "tasks.max": "1", "file": src, "topic": "connect-distributed"}})
                rest(port, "POST", "/connectors", {"name": "dist-sink", "config": {
                    "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                    "tasks.max": "1", "file": dst, "topics": "connect-distributed"}})
                wait_until(lambda: read_lines(dst) == lines or w.proc.poll() is not None, timeout=120,
                           what="the sink file to hold every line")
                assert read_lines(dst) == lines, w.tail()
                assert sorted(rest(port, "GET", "/connectors")[1]) == ["dist-sink", "dist-source"]
                st = rest(port, "GET", "/connectors/dist-sink/status")[1]
                assert st["connector"]["state"] == "RUNNING" and st["tasks"][0]["state"] == "RUNNING", st
            finally:
                w.stop()

            # The worker's state lives in compacted topics on runnel.
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            for topic in ("connect-configs", "connect-offsets", "connect-status"):
                res = ConfigResource(ConfigResource.Type.TOPIC, topic)
                cfg = admin.describe_configs([res])[res].result(timeout=30)
                assert cfg["cleanup.policy"].value == "compact", (topic, cfg["cleanup.policy"])
            md = admin.list_topics(timeout=10).topics
            assert len(md["connect-offsets"].partitions) == 5 and len(md["connect-configs"].partitions) == 1

            # After a broker restart, a new worker reads its connectors back
            # from connect-configs and resumes from connect-offsets.
            b.restart()
            more = ["row after restart %d" % i for i in range(100)]
            append_lines(src, more)
            w = start()
            try:
                wait_until(lambda: len(read_lines(dst)) >= len(lines + more) or w.proc.poll() is not None,
                           timeout=120, what="the lines written while the worker was down")
                assert read_lines(dst) == lines + more, w.tail()
                assert sorted(rest(port, "GET", "/connectors")[1]) == ["dist-sink", "dist-source"]
                assert rest(port, "DELETE", "/connectors/dist-source")[0] == 204
                wait_until(lambda: rest(port, "GET", "/connectors")[1] == ["dist-sink"], timeout=30,
                           what="the source connector to be deleted")
            finally:
                w.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_connect_standalone_file_to_topic_to_file, test_connect_distributed_internal_topics_and_rest])
