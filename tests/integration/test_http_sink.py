"""The HTTP sink (Confluent's HttpSinkConnector config) through `runnel
connect run` against a real HTTP server this test starts (Python's
http.server on 127.0.0.1, a free port): every record arrives exactly once
and in partition order when the server answers 200, batched as a JSON
array with the configured headers and HTTP Basic credentials; a server
answering 503 (and 429 with Retry-After) for a while loses nothing and the
wait it asked for is kept; a 400 is not retried — with errors.tolerance=all
the batch goes to the dead letter queue with Kafka Connect's error headers,
with the default tolerance the task fails with the answer in its trace,
with behavior.on.error=log it is skipped (as is a batch whose retries ran
out) and the task goes on; and
a server that vanishes (connection refused) and comes back on the same port
gets every record.

ctest runs: /usr/bin/python3 test_http_sink.py PATH/TO/runnel
"""

import base64
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BINARY, Broker, Connect, run, wait_until


def batch_of(body):
    """The records of a request body: a JSON array, or one record alone."""
    v = json.loads(body)
    return v if isinstance(v, list) else [v]


class Endpoint:
    """A webhook receiver. `answer(path, body)` decides each status (and
    extra headers); every request is kept with the time it arrived."""

    def __init__(self, answer=None, port=0):
        self.requests = []  # (time, method, path, headers, body, status)
        self.lock = threading.Lock()
        self.answer = answer or (lambda path, body: (200, {}))
        self.connections = set()  # open keep-alive sockets, closed by stop()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as libcurl wants

            def setup(self):
                super().setup()
                with outer.lock:
                    outer.connections.add(self.connection)

            def do(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n).decode()
                status, extra = outer.answer(self.path, body)
                with outer.lock:
                    outer.requests.append((time.monotonic(), self.command, self.path,
                                           dict(self.headers), body, status))
                reply = b'{"ok": true}' if status < 300 else b'{"error": "refused by the test"}'
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_PUT = do_PATCH = do

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        """Gone: the listening socket and every kept-alive connection."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for s in self.connections:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def delivered(self):
        """Every record of a 2xx answer, in arrival order."""
        out = []
        with self.lock:
            for _, _, _, _, body, status in self.requests:
                if status < 300:
                    out.extend(batch_of(body))
        return out

    def statuses(self):
        with self.lock:
            return [r[5] for r in self.requests]


def setup(d, broker, name, config, partitions=3, create_topic=True):
    if create_topic:
        subprocess.run([BINARY, "topic", "create", "events", "--brokers", broker.bootstrap,
                        "--partitions", str(partitions)], check=True, capture_output=True,
                       timeout=60)
    worker = os.path.join(d, "worker.properties")
    with open(worker, "w") as f:
        f.write("bootstrap.servers=%s\n"
                "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "value.converter.schemas.enable=false\n"
                "offset.storage.file.filename=%s\n"
                "offset.flush.interval.ms=300\n" % (broker.bootstrap,
                                                   os.path.join(d, "connect.offsets")))
    conf = os.path.join(d, name + ".json")
    with open(conf, "w") as f:
        json.dump({"name": name, "config": dict({"topics": "events", "tasks.max": "1"},
                                                **config)}, f)
    return ["-w", worker, conf]


def produce(broker, records):
    """records: (key, value dict); keyed, so each key stays in one partition."""
    lines = "".join("%s|%s\n" % (k, json.dumps(v)) for k, v in records)
    r = subprocess.run([BINARY, "produce", "events", "--brokers", broker.bootstrap, "-K", "|",
                        "-q"], input=lines.encode(), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")


def records(start, end, keys=6):
    return [("k%d" % (i % keys), {"key": "k%d" % (i % keys), "seq": i}) for i in range(start, end)]


def check_order(got, want, duplicates_allowed=False):
    """Per key (one partition each), the seqs arrive in produced order;
    every produced record is there (once, unless duplicates are allowed)."""
    by_key = {}
    for r in got:
        by_key.setdefault(r["key"], []).append(r["seq"])
    want_by_key = {}
    for _, v in want:
        want_by_key.setdefault(v["key"], []).append(v["seq"])
    for k, seqs in want_by_key.items():
        have = by_key.get(k, [])
        if duplicates_allowed:
            seen, firsts = set(), []
            for s in have:
                if s not in seen:
                    seen.add(s)
                    firsts.append(s)
            have = firsts
        if have != seqs:
            i = next((i for i, (x, y) in enumerate(zip(have, seqs)) if x != y),
                     min(len(have), len(seqs)))
            raise AssertionError("key %s: %d records for %d; from #%d got %s…, want %s…" % (
                k, len(have), len(seqs), i, have[i:i + 12], seqs[i:i + 12]))
    assert set(by_key) == set(want_by_key), (set(by_key), set(want_by_key))


def test_every_record_once_in_order_batched_with_auth():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")
    ep = Endpoint()
    try:
        with Broker(BINARY) as b:
            args = setup(d, b, "hook", {
                "connector.class": "io.confluent.connect.http.HttpSinkConnector",
                "http.api.url": ep.url + "/api/${topic}",
                "request.method": "PUT",
                "headers": "X-Api-Key:k3y|X-Source: runnel",
                "auth.type": "BASIC",
                "connection.user": "hook",
                "connection.password": "pa:ss",
                "batch.max.size": "25"})
            # Produced first, so that polls are full and batches too (the
            # request count below); records written while the connector runs
            # are the other tests'.
            want = records(0, 2000)
            produce(b, want)
            c = Connect(args, os.path.join(d, "connect.log"))
            try:
                wait_until(lambda: len(ep.delivered()) >= len(want), 90,
                           what="every record at the endpoint")
                got = ep.delivered()
                assert len(got) == len(want), "%d records for %d" % (len(got), len(want))
                check_order(got, want)
                auth = "Basic " + base64.b64encode(b"hook:pa:ss").decode()
                with ep.lock:
                    reqs = list(ep.requests)
                for _, method, path, headers, body, status in reqs:
                    assert method == "PUT" and path == "/api/events", (method, path)
                    assert headers.get("Authorization") == auth, headers
                    assert headers.get("X-Api-Key") == "k3y", headers
                    assert headers.get("X-Source") == "runnel", headers
                    assert headers.get("Content-Type") == "application/json", headers
                    batch = json.loads(body)
                    assert isinstance(batch, list) and 1 <= len(batch) <= 25, body[:200]
                assert len(reqs) < len(want) / 5, "%d requests: not batched" % len(reqs)
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    finally:
        ep.stop()


def test_503_and_429_retried_until_the_server_recovers():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")
    state = {"n": 0}
    lock = threading.Lock()

    # Two batches through, then the third refused eight times: the records
    # are there before the connector starts, so those batches are (almost
    # always) of one put, and the retried put must not send the first two
    # again.
    def answer(path, body):
        with lock:
            state["n"] += 1
            n = state["n"]
        if n == 5:
            return 429, {"Retry-After": "2"}  # the wait it asks for is kept
        if 3 <= n <= 10:
            return 503, {}
        return 200, {}
    ep = Endpoint(answer)
    try:
        with Broker(BINARY) as b:
            args = setup(d, b, "hook", {
                "connector.class": "HttpSinkConnector",
                "http.api.url": ep.url + "/hook",
                "headers": "Authorization:Bearer s3cret-token",
                "batch.max.size": "10",
                "max.retries": "20",
                "retry.backoff.ms": "50"})
            want = records(0, 300)
            produce(b, want)
            c = Connect(args, os.path.join(d, "connect.log"))
            try:
                wait_until(lambda: len(ep.delivered()) >= len(want), 90,
                           what="every record after the failures")
                got = ep.delivered()
                assert len(got) == len(want), "%d records for %d" % (len(got), len(want))
                check_order(got, want)
                st = ep.statuses()
                assert st[:11] == [200, 200, 503, 503, 429, 503, 503, 503, 503, 503, 200], st[:12]
                with ep.lock:
                    times = [r[0] for r in ep.requests]
                    tokens = {r[3].get("Authorization") for r in ep.requests}
                assert tokens == {"Bearer s3cret-token"}, tokens
                gap = times[5] - times[4]
                assert gap >= 1.8, "retried %.2fs after Retry-After: 2" % gap
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    finally:
        ep.stop()


def consume_dlq(broker, topic):
    r = subprocess.run([BINARY, "consume", topic, "--brokers", broker.bootstrap,
                        "--from-beginning", "-e", "--format", "json"],
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        return []
    out = []
    for line in r.stdout.decode().splitlines():
        m = json.loads(line)
        out.append((json.loads(m["value"]),
                    {h["key"]: h.get("value") for h in m.get("headers", [])}))
    return out


def poison_answer(path, body):
    return (400, {}) if any(r.get("bad") for r in batch_of(body)) else (200, {})


def test_400_goes_to_the_dead_letter_queue_not_retried():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")
    ep = Endpoint(poison_answer)
    try:
        with Broker(BINARY) as b:
            args = setup(d, b, "hook", {
                "connector.class": "runnel.connect.http.HttpSinkConnector",
                "http.api.url": ep.url + "/hook",
                "batch.json.as.array": "true",
                "retry.backoff.ms": "50",
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": "hook-dlq",
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true"}, partitions=1)
            c = Connect(args, os.path.join(d, "connect.log"))
            try:
                want = []
                for i in range(60):
                    v = {"key": "k", "seq": i}
                    if i % 10 == 7:
                        v["bad"] = True
                    want.append(("k", v))
                produce(b, want)
                good = [kv for kv in want if not kv[1].get("bad")]
                bad = [kv[1] for kv in want if kv[1].get("bad")]
                wait_until(lambda: len(ep.delivered()) >= len(good), 60,
                           what="the good records at the endpoint")
                dlq = wait_until(lambda: (lambda x: x if len(x) >= len(bad) else None)(
                    consume_dlq(b, "hook-dlq")), 60, what="the bad records in the DLQ")
                check_order(ep.delivered(), good)
                assert [v for v, _ in dlq] == bad, dlq
                for v, h in dlq:
                    assert h["__connect.errors.topic"] == "events", h
                    assert h["__connect.errors.partition"] == "0", h
                    assert h["__connect.errors.offset"] == str(v["seq"]), h
                    assert h["__connect.errors.connector.name"] == "hook", h
                    assert h["__connect.errors.stage"] == "TASK_PUT", h
                    assert "HTTP 400" in h["__connect.errors.exception.message"], h
                    assert "refused by the test" in h["__connect.errors.exception.message"], h
                # Each bad record was sent once: a 400 is not retried.
                assert ep.statuses().count(400) == len(bad), ep.statuses()
                assert c.status("hook")["tasks"][0]["state"] == "RUNNING"
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    finally:
        ep.stop()


def test_400_fails_the_task_without_tolerance():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")
    ep = Endpoint(poison_answer)
    try:
        with Broker(BINARY) as b:
            args = setup(d, b, "hook", {
                "connector.class": "HttpSink",
                "http.api.url": ep.url + "/hook"}, partitions=1)
            c = Connect(args, os.path.join(d, "connect.log"))
            try:
                want = [("k", {"key": "k", "seq": i}) for i in range(5)]
                want.append(("k", {"key": "k", "seq": 5, "bad": True}))
                want += [("k", {"key": "k", "seq": i}) for i in range(6, 10)]
                produce(b, want)

                def failed():
                    t = c.status("hook")["tasks"]
                    return t[0] if t and t[0]["state"] == "FAILED" else None
                task = wait_until(failed, 60, what="the task to fail")
                assert "HTTP 400" in task["trace"], task
                assert "errors.tolerance=none" in task["trace"], task
                check_order(ep.delivered(), want[:5])
                assert ep.statuses().count(400) == 1, ep.statuses()
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    finally:
        ep.stop()


def test_behavior_on_error_log_skips_refused_and_exhausted_batches():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")

    def answer(path, body):
        rs = batch_of(body)
        if any(r.get("bad") for r in rs):
            return 400, {}
        if any(r.get("flaky") for r in rs):
            return 503, {}
        return 200, {}
    ep = Endpoint(answer)
    try:
        with Broker(BINARY) as b:
            args = setup(d, b, "hook", {
                "connector.class": "HttpSinkConnector",
                "http.api.url": ep.url + "/hook",
                "request.method": "PATCH",
                "behavior.on.error": "log",
                "max.retries": "2",
                "retry.backoff.ms": "20",
                "retry.backoff.policy": "CONSTANT_VALUE"}, partitions=1)
            log = os.path.join(d, "connect.log")
            c = Connect(args, log)
            try:
                want = [("k", {"key": "k", "seq": i}) for i in range(20)]
                want[4][1]["bad"] = True
                want[9][1]["flaky"] = True
                produce(b, want)
                good = [kv for kv in want if not kv[1].get("bad") and not kv[1].get("flaky")]
                wait_until(lambda: len(ep.delivered()) >= len(good), 60,
                           what="the records after the skipped ones")
                check_order(ep.delivered(), good)
                with ep.lock:
                    assert {r[1] for r in ep.requests} == {"PATCH"}, ep.requests[:3]
                st = ep.statuses()
                assert st.count(400) == 1, st  # not retried
                assert st.count(503) == 3, st  # one try and max.retries=2 retries
                with open(log, "rb") as f:
                    text = f.read().decode(errors="replace")
                assert "gave up after 2 retries" in text, text[-2000:]
                assert "skipping 1 record(s) (behavior.on.error=log)" in text, text[-2000:]
                assert c.status("hook")["tasks"][0]["state"] == "RUNNING"
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    finally:
        ep.stop()


def test_server_vanishes_and_returns():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")
    ep = Endpoint()
    port = ep.port
    try:
        with Broker(BINARY) as b:
            args = setup(d, b, "hook", {
                "connector.class": "HttpSinkConnector",
                "http.api.url": ep.url + "/hook",
                "batch.max.size": "20",
                "max.retries": "-1",
                "retry.backoff.ms": "100",
                "http.connect.timeout.ms": "2000"})
            log = os.path.join(d, "connect.log")
            c = Connect(args, log)
            try:
                first = records(0, 500)
                produce(b, first)
                wait_until(lambda: len(ep.delivered()) >= len(first), 60,
                           what="the first records")
                before = ep.delivered()
                ep.stop()
                second = records(500, 1000)
                produce(b, second)

                def refused_seen():
                    with open(log, "rb") as f:
                        return b"put failed, will retry" in f.read()
                wait_until(refused_seen, 60, what="the sink to find the server gone")
                ep = Endpoint(port=port)
                wait_until(lambda: len(ep.delivered()) >= len(second), 90,
                           what="the records sent while the server was gone")
                check_order(before + ep.delivered(), first + second, duplicates_allowed=True)
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    finally:
        ep.stop()


def test_bad_configs_refused_before_anything_runs():
    d = tempfile.mkdtemp(prefix="runnel-httpsink-")
    with Broker(BINARY) as b:
        cases = [({"http.api.url": "ftp://example.com/x"}, "http:// or https://"),
                 ({"http.api.url": "http://h/", "auth.type": "BASIC"},
                  "auth.type BASIC needs connection.user"),
                 ({"http.api.url": "http://h/", "headers": "X-Broken"}, "Name:Value"),
                 ({"http.api.url": "http://h/", "request.method": "DELETE"}, "request.method")]
        for i, (config, expect) in enumerate(cases):
            args = setup(d, b, "bad%d" % i, dict({"connector.class": "HttpSink"}, **config),
                         create_topic=False)
            r = subprocess.run([BINARY, "connect", "run", "--connect-listen", "off", *args],
                               capture_output=True, timeout=60)
            err = r.stderr.decode()
            assert r.returncode != 0, (config, err)
            assert expect in err, (config, err)
            assert "runnel connect run: " in err, err


if __name__ == "__main__":
    run([test_every_record_once_in_order_batched_with_auth,
         test_503_and_429_retried_until_the_server_recovers,
         test_400_goes_to_the_dead_letter_queue_not_retried,
         test_400_fails_the_task_without_tolerance,
         test_behavior_on_error_log_skips_refused_and_exhausted_batches,
         test_server_vanishes_and_returns,
         test_bad_configs_refused_before_anything_runs])
