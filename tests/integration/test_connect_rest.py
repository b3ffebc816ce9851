"""Kafka Connect's REST API on `runnel connect run --connect-listen`: the
paths, statuses and JSON shapes Kafka Connect's users and tools rely on
(connectors, config, status, tasks, pause/resume/stop, restart, KIP-875
offsets, connector-plugins and validation), against a real broker."""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request

from harness import BINARY, Broker, Connect, run, wait_until
from test_connect import append, read_lines


class Rest:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None)

    def ok(self, method, path, body=None, status=200):
        code, j = self.call(method, path, body)
        assert code == status, "%s %s: %d %r (wanted %d)" % (method, path, code, j, status)
        return j

    def state(self, name):
        code, s = self.call("GET", "/connectors/%s/status" % name)
        if code != 200:
            return None
        return s["connector"]["state"], [t["state"] for t in s["tasks"]]


def start(d, b, *files):
    c = Connect(["--brokers", b.bootstrap, "--offsets", os.path.join(d, "connect.offsets"),
                 "--connect-listen", "127.0.0.1:0", "--set", "offset.flush.interval.ms=500",
                 *files], os.path.join(d, "connect.log"))
    port = int(c.ready.rsplit(":", 1)[1].rstrip("/\n"))
    return c, Rest(port)


def consume(b, topic):
    r = subprocess.run([BINARY, "consume", topic, "--brokers", b.bootstrap, "--from-beginning",
                        "-e", "--format", "json"], capture_output=True, timeout=60, check=True)
    return [json.loads(json.loads(line)["value"])["payload"]
            for line in r.stdout.decode().splitlines()]


def test_rest_lifecycle():
    d = tempfile.mkdtemp(prefix="runnel-connect-rest-")
    try:
        with Broker(BINARY) as b:
            c, rest = start(d, b)
            try:
                root = rest.ok("GET", "/")
                assert set(root) == {"version", "commit", "kafka_cluster_id"}, root
                assert root["kafka_cluster_id"], root

                plugins = rest.ok("GET", "/connector-plugins")
                classes = {p["class"]: p["type"] for p in plugins}
                assert classes["org.apache.kafka.connect.file.FileStreamSourceConnector"] == \
                    "source", plugins
                assert classes["org.apache.kafka.connect.file.FileStreamSinkConnector"] == "sink"
                assert all(t in ("source", "sink") for t in classes.values()), plugins

                # Validation: Kafka's answer shape; a missing topic is an error.
                v = rest.ok("PUT", "/connector-plugins/FileStreamSourceConnector/config/validate",
                            {"connector.class": "FileStreamSourceConnector", "name": "v"})
                assert v["name"] == "org.apache.kafka.connect.file.FileStreamSourceConnector", v
                assert v["error_count"] >= 1, v
                topic = [c_ for c_ in v["configs"] if c_["value"]["name"] == "topic"]
                assert topic and topic[0]["value"]["errors"], v

                src = os.path.join(d, "in.txt")
                append(src, ["a", "b"])
                config = {"connector.class": "FileStreamSource", "tasks.max": "1",
                          "file": src, "topic": "rest-topic"}
                created = rest.ok("POST", "/connectors", {"name": "src", "config": config},
                                  status=201)
                assert created["name"] == "src" and created["type"] == "source", created
                assert created["config"]["file"] == src, created
                code, dup = rest.call("POST", "/connectors", {"name": "src", "config": config})
                assert code == 409 and dup["error_code"] == 409, (code, dup)

                assert rest.ok("GET", "/connectors") == ["src"]
                wait_until(lambda: rest.state("src") == ("RUNNING", ["RUNNING"]), 60,
                           what="src RUNNING")
                s = rest.ok("GET", "/connectors/src/status")
                assert s["type"] == "source" and s["tasks"][0]["id"] == 0, s
                assert s["connector"]["worker_id"].startswith("127.0.0.1:"), s
                assert rest.ok("GET", "/connectors/src/config")["topic"] == "rest-topic"
                tasks = rest.ok("GET", "/connectors/src/tasks")
                assert tasks[0]["id"] == {"connector": "src", "task": 0}, tasks
                t0 = rest.ok("GET", "/connectors/src/tasks/0/status")
                assert t0["id"] == 0 and t0["state"] == "RUNNING", t0
                expanded = rest.ok("GET", "/connectors?expand=status&expand=info")
                assert expanded["src"]["info"]["name"] == "src", expanded
                assert expanded["src"]["status"]["connector"]["state"] == "RUNNING", expanded

                wait_until(lambda: consume(b, "rest-topic") == ["a", "b"], 60, what="a, b")

                # Pause: nothing new arrives; resume: it does.
                rest.ok("PUT", "/connectors/src/pause", status=202)
                wait_until(lambda: rest.state("src") == ("PAUSED", ["PAUSED"]), 60,
                           what="PAUSED")
                append(src, ["c"])
                code, _ = rest.call("GET", "/connectors/src/status")
                assert consume(b, "rest-topic") == ["a", "b"]
                rest.ok("PUT", "/connectors/src/resume", status=202)
                wait_until(lambda: consume(b, "rest-topic") == ["a", "b", "c"], 60, what="c")

                # Restarts: Kafka's statuses and bodies.
                r = rest.ok("POST", "/connectors/src/restart?includeTasks=true", status=202)
                assert r["connector"]["state"] == "RESTARTING", r
                assert r["tasks"][0]["state"] == "RESTARTING", r
                rest.ok("POST", "/connectors/src/restart", status=204)
                rest.ok("POST", "/connectors/src/tasks/0/restart", status=204)
                wait_until(lambda: rest.state("src") == ("RUNNING", ["RUNNING"]), 60,
                           what="RUNNING after restarts")

                # KIP-875: offsets only change while STOPPED.
                code, refused = rest.call("PATCH", "/connectors/src/offsets", {"offsets": []})
                assert code == 400 and "need to be provided" in refused["message"], refused
                code, refused = rest.call(
                    "PATCH", "/connectors/src/offsets",
                    {"offsets": [{"partition": {"filename": src}, "offset": {"position": 0}}]})
                assert code == 400 and "STOPPED" in refused["message"], (code, refused)
                rest.ok("PUT", "/connectors/src/stop", status=204)
                wait_until(lambda: rest.state("src") == ("STOPPED", []), 60, what="STOPPED")
                offsets = rest.ok("GET", "/connectors/src/offsets")
                assert offsets == {"offsets": [{"partition": {"filename": src},
                                                "offset": {"position": 6}}]}, offsets
                # Back to the start of the second line: "b" and "c" again.
                rest.ok("PATCH", "/connectors/src/offsets",
                        {"offsets": [{"partition": {"filename": src},
                                      "offset": {"position": 2}}]})
                assert rest.ok("GET", "/connectors/src/offsets")["offsets"][0]["offset"] == \
                    {"position": 2}
                rest.ok("PUT", "/connectors/src/resume", status=202)
                wait_until(lambda: consume(b, "rest-topic") == ["a", "b", "c", "b", "c"], 60,
                           what="b, c again")

                # Update the config (PUT): the task restarts with it.
                sink_out = os.path.join(d, "out.txt")
                put = rest.ok("PUT", "/connectors/sink/config",
                              {"connector.class": "FileStreamSink", "topics": "rest-topic",
                               "file": sink_out}, status=201)
                assert put["type"] == "sink", put
                wait_until(lambda: len(read_lines(sink_out)) == 5, 60, what="the sink file")
                assert sorted(rest.ok("GET", "/connectors")) == ["sink", "src"]

                # Errors are Kafka's JSON: {"error_code", "message"}.
                code, e = rest.call("GET", "/connectors/nope")
                assert code == 404 and e == {"error_code": 404,
                                             "message": "Connector nope not found"}, e
                code, e = rest.call("POST", "/connectors",
                                    {"name": "bad", "config": {"connector.class": "Nope"}})
                assert code == 400 and "Nope" in e["message"], (code, e)
                code, e = rest.call("GET", "/no/such/path")
                assert code == 404 and e["error_code"] == 404, (code, e)
                code, e = rest.call("DELETE", "/connectors")
                assert code == 405, (code, e)

                # The same port serves the admin endpoints.
                with urllib.request.urlopen(rest.base + "/metrics", timeout=30) as m:
                    assert m.status == 200

                rest.ok("DELETE", "/connectors/src", status=204)
                wait_until(lambda: rest.call("GET", "/connectors/src")[0] == 404, 60,
                           what="src deleted")
                assert rest.ok("GET", "/connectors") == ["sink"]
            finally:
                rc = c.stop()
            assert rc == 0, c.tail()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_rest_failed_task_and_only_failed_restart():
    """A sink that cannot open its file fails with Kafka's trace; a restart
    with onlyFailed=true restarts it, and it runs once the cause is gone."""
    d = tempfile.mkdtemp(prefix="runnel-connect-rest-")
    try:
        with Broker(BINARY) as b:
            c, rest = start(d, b)
            try:
                missing = os.path.join(d, "later", "out.txt")
                rest.ok("POST", "/connectors",
                        {"name": "s", "config": {"connector.class": "FileStreamSink",
                                                 "topics": "t", "file": missing}}, status=201)
                wait_until(lambda: (rest.state("s") or ("", []))[1] == ["FAILED"], 60,
                           what="the task FAILED")
                t = rest.ok("GET", "/connectors/s/tasks/0/status")
                assert t["trace"], t
                os.makedirs(os.path.dirname(missing))
                r = rest.ok("POST", "/connectors/s/restart?includeTasks=true&onlyFailed=true",
                            status=202)
                assert r["connector"]["state"] == "RUNNING", r
                assert r["tasks"][0]["state"] == "RESTARTING", r
                wait_until(lambda: rest.state("s") == ("RUNNING", ["RUNNING"]), 60,
                           what="RUNNING again")
            finally:
                assert c.stop() == 0, c.tail()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_rest_lifecycle, test_rest_failed_task_and_only_failed_restart])
