"""`runnel connect run` (standalone Connect) against a real broker: Kafka's
FileStream quickstart, unchanged, moves a file's lines to a topic and back
out to a file; a restart continues where the offsets say; bad configs fail
with one line on stderr."""

import json
import os
import shutil
import signal
import subprocess
import tempfile

from harness import BINARY, Broker, Connect, run, wait_until


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def consume_values(broker, topic, count):
    r = subprocess.run([BINARY, "consume", topic, "--brokers", broker.bootstrap,
                        "--from-beginning", "-e", "--format", "json"],
                       capture_output=True, timeout=60, check=True)
    msgs = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(msgs) == count, "expected %d messages in %s, got %d: %r" % (
        count, topic, len(msgs), msgs)
    return [m["value"] for m in msgs]


def write_quickstart(d, broker, src_file, sink_file):
    """Kafka's config/connect-standalone.properties, connect-file-source
    .properties (as properties) and connect-file-sink (as REST JSON)."""
    worker = os.path.join(d, "connect-standalone.properties")
    with open(worker, "w") as f:
        f.write("""# Kafka's quickstart worker, keys unchanged
bootstrap.servers=%s
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=%s
offset.flush.interval.ms=10000
plugin.path=libs/connect-file-4.1.1.jar
""" % (broker.bootstrap, os.path.join(d, "connect.offsets")))
    source = os.path.join(d, "connect-file-source.properties")
    with open(source, "w") as f:
        f.write("name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\n"
                "file=%s\ntopic=connect-test\n" % src_file)
    sink = os.path.join(d, "connect-file-sink.json")
    with open(sink, "w") as f:
        json.dump({"name": "local-file-sink",
                   "config": {"connector.class":
                              "org.apache.kafka.connect.file.FileStreamSinkConnector",
                              "tasks.max": "1", "file": sink_file, "topics": "connect-test"}}, f)
    return worker, source, sink


def append(path, lines):
    with open(path, "a") as f:
        for line in lines:
            f.write(line + "\n")


def test_quickstart_file_to_topic_to_file_and_restart():
    d = tempfile.mkdtemp(prefix="runnel-connect-")
    try:
        with Broker(BINARY) as b:
            src, out = os.path.join(d, "test.txt"), os.path.join(d, "test.sink.txt")
            worker, source, sink = write_quickstart(d, b, src, out)
            append(src, ["foo", "bar"])
            log = os.path.join(d, "connect.log")
            c = Connect(["-w", worker, source, sink], log)
            try:
                wait_until(lambda: read_lines(out) == ["foo", "bar"], 60, what="the first lines")
                append(src, ["baz", "ünïcode \u2603"])
                wait_until(lambda: len(read_lines(out)) == 4, 60, what="appended lines")
                assert read_lines(out) == ["foo", "bar", "baz", "ünïcode \u2603"], read_lines(out)
            finally:
                rc = c.stop()
            assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())

            # JsonConverter with schemas: Kafka's envelope, byte for byte.
            values = consume_values(b, "connect-test", 4)
            assert json.loads(values[0]) == {"schema": {"type": "string", "optional": False},
                                             "payload": "foo"}, values[0]
            assert values[0] == '{"schema":{"type":"string","optional":false},"payload":"foo"}'

            # Lines written while it was down: the restart continues at the
            # stored offsets (the source) and the committed group offsets
            # (the sink) — nothing again, nothing missed.
            append(src, ["after", "restart"])
            c = Connect(["-w", worker, source, sink], log)
            try:
                wait_until(lambda: len(read_lines(out)) >= 6, 60, what="lines after restart")
            finally:
                rc = c.stop()
            assert rc == 0, c.tail()
            assert read_lines(out) == ["foo", "bar", "baz", "ünïcode \u2603", "after",
                                       "restart"], read_lines(out)
            values = consume_values(b, "connect-test", 6)
            assert [json.loads(v)["payload"] for v in values][4:] == ["after", "restart"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_kill9_loses_no_line():
    """At-least-once: after kill -9 the source starts again from its last
    flushed offset; every line reaches the topic (the ones after the last
    flush possibly twice) and the sink file, in order."""
    d = tempfile.mkdtemp(prefix="runnel-connect-")
    try:
        with Broker(BINARY) as b:
            src, out = os.path.join(d, "in.txt"), os.path.join(d, "out.txt")
            worker, source, sink = write_quickstart(d, b, src, out)
            lines = ["line %d" % i for i in range(500)]
            append(src, lines[:300])
            log = os.path.join(d, "connect.log")
            c = Connect(["-w", worker, "--set", "offset.flush.interval.ms=200", "--set",
                         "consumer.session.timeout.ms=6000", source, sink],
                        log)
            wait_until(lambda: len(read_lines(out)) >= 300, 60, what="the first 300 lines")
            c.stop(signal.SIGKILL)
            append(src, lines[300:])
            c = Connect(["-w", worker, source, sink], log)
            try:
                wait_until(lambda: read_lines(out)[-1:] == ["line 499"], 60, what="the last line")
            finally:
                assert c.stop() == 0, c.tail()
            got = read_lines(out)
            # Every line, in order; a replayed tail shows as a repeated run.
            dedup = []
            for line in got:
                if line not in dedup:
                    dedup.append(line)
            assert dedup == lines, (len(dedup), dedup[:5])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def connect_fails(args):
    # No REST listener (unless the case is about it): its log lines are not
    # the failure, and tests side by side must not contend for 8083.
    if "--connect-listen" not in args:
        args = ["--connect-listen", "off", *args]
    r = subprocess.run([BINARY, "connect", "run", *args], capture_output=True, timeout=60)
    assert r.returncode != 0, r
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runnel connect run: "), lines
    return lines[0]


def test_bad_configs_fail_with_one_line():
    d = tempfile.mkdtemp(prefix="runnel-connect-")
    try:
        with Broker(BINARY) as b:
            def config(name, body):
                p = os.path.join(d, name)
                with open(p, "w") as f:
                    f.write(body)
                return p

            offsets = ["--brokers", b.bootstrap, "--offsets", os.path.join(d, "o")]
            unknown = config("u.json", json.dumps(
                {"name": "u", "config": {"connector.class": "NoSuchConnector", "topic": "t"}}))
            err = connect_fails(offsets + [unknown])
            assert "connector u" in err and "NoSuchConnector" in err, err
            # A good file before a bad one: the good connector never runs.
            lines_file = os.path.join(d, "good.txt")
            append(lines_file, ["x"])
            good = config("g.json", json.dumps({"name": "g", "config": {
                "connector.class": "FileStreamSource", "file": lines_file, "topic": "never"}}))
            err = connect_fails(offsets + ["--connect-listen", "127.0.0.1:0", good, unknown])
            assert "connector u" in err, err
            listed = subprocess.run([BINARY, "topic", "list", "--brokers", b.bootstrap],
                                    capture_output=True, timeout=60, check=True).stdout
            assert b"never" not in listed, listed

            nameless = config("n.properties", "connector.class=FileStreamSource\ntopic=t\n")
            assert "has no name" in connect_fails(offsets + [nameless])

            broken = config("b.json", '{"name": "b", "config": {')
            assert "not a JSON object" in connect_fails(offsets + [broken])

            src = config("s.properties", "name=s\nconnector.class=FileStreamSource\ntopic=t\n")
            assert "defined twice" in connect_fails(offsets + [src, src])

            assert "offset.storage.file.filename" in connect_fails(
                ["--brokers", b.bootstrap, src])

            bad_set = connect_fails(offsets + ["--set", "novalue", src])
            assert "name=value" in bad_set, bad_set

            listen = connect_fails(offsets + ["--connect-listen", "nohost", src])
            assert "HOST:PORT" in listen, listen
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_quickstart_file_to_topic_to_file_and_restart, test_kill9_loses_no_line,
         test_bad_configs_fail_with_one_line])
