"""Exactly-once source connectors (KIP-618) through `runnel connect run`
against a real broker: with exactly.once.source.support=enabled a source
task writes its records and their source offsets in one transaction, so a
connect process kill -9'd again and again during ingest leaves every file
line in the topic exactly once for a read_committed reader — a directory
of files (DirectorySource) and one growing file (FileStreamSource). The
same kill at-least-once repeats lines. And the KIP-618 config errors, on
the command line and through REST validation."""

import json
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.request

from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, Connect, run, wait_until
from test_connect import connect_fails
from test_connect_distributed import Worker, task_worker


def write_props(path, props):
    with open(path, "w") as f:
        for k, v in props.items():
            f.write("%s=%s\n" % (k, v))
    return path


def worker(d, broker, eos, offsets_topic="connect-offsets"):
    props = {"bootstrap.servers": broker.bootstrap,
             "key.converter": "org.apache.kafka.connect.storage.StringConverter",
             "value.converter": "org.apache.kafka.connect.storage.StringConverter",
             "offset.storage.topic": offsets_topic,
             "offset.storage.replication.factor": "1",
             "offset.storage.partitions": "5",
             # At-least-once stores offsets this often; exactly-once with
             # every transaction.
             "offset.flush.interval.ms": "60000"}
    if eos:
        props["exactly.once.source.support"] = "enabled"
    return write_props(os.path.join(d, "worker-%s.properties" % ("eos" if eos else "alo")),
                       props)


def create_topic(broker, name, partitions=1):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions,
                                  replication_factor=1)])[name].result(timeout=30)


def partitions(broker, topic):
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "eos-meta"})
    try:
        md = c.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        return sorted(t.partitions) if t and not t.error else []
    finally:
        c.close()


def end_offsets(broker, topic, committed):
    """The sum over partitions of the end (read_uncommitted: the high
    watermark, aborted records and markers included; read_committed: the
    last stable offset)."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "eos-wm",
                  "isolation.level": "read_committed" if committed else "read_uncommitted"})
    try:
        total = 0
        for p in partitions(broker, topic):
            total += c.get_watermark_offsets(TopicPartition(topic, p), timeout=10,
                                             cached=False)[1]
        return total
    finally:
        c.close()


def read_topic(broker, topic, committed=True, timeout=60):
    """Every (key, value) of the topic, partition by partition, to the end."""
    parts = partitions(broker, topic)
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "eos-reader",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "isolation.level": "read_committed" if committed else "read_uncommitted"})
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    got, eof = {p: [] for p in parts}, set()
    deadline = time.monotonic() + timeout
    try:
        while len(eof) < len(parts):
            if time.monotonic() > deadline:
                raise TimeoutError("reading %s: only %s of %s partitions to their end"
                                   % (topic, sorted(eof), parts))
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise AssertionError(str(m.error()))
            got[m.partition()].append(((m.key() or b"").decode(), m.value().decode()))
    finally:
        c.close()
    return got


def count_committed(broker, topic):
    try:
        return sum(len(v) for v in read_topic(broker, topic, True, 30).values())
    except TimeoutError:
        return 0


def kill_during_ingest(broker, topic, args, log, total, kills):
    """Starts `runnel connect run ARGS` kills+1 times; each of the first
    `kills` is kill -9'd once the topic's high watermark passed its share
    of `total`; the last one runs until a read_committed reader has
    `total` records, then stops cleanly. Returns the high watermarks seen
    at the kills."""
    seen = []
    for k in range(1, kills + 1):
        c = Connect(args, log)
        target = total * k // (kills + 1)
        try:
            wait_until(lambda: end_offsets(broker, topic, False) >= target, 60, 0.02,
                       what="%d records before kill %d" % (target, k))
        finally:
            c.stop(signal.SIGKILL)
        seen.append(end_offsets(broker, topic, False))
    c = Connect(args, log)
    try:
        wait_until(lambda: count_committed(broker, topic) >= total, 90, 0.3,
                   what="all %d records committed" % total)
    finally:
        rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
    return seen


def test_directory_source_kill9_every_line_exactly_once():
    """400 files of 25 lines in a directory; the DirectorySource (4 files
    per poll, so one transaction per 4 files) is kill -9'd four times
    while it ingests; a read_committed reader then finds each file's lines
    exactly once, in order, under the file's key."""
    d = tempfile.mkdtemp(prefix="runnel-eos-")
    try:
        with Broker(BINARY) as b:
            inbox = os.path.join(d, "in")
            os.makedirs(inbox)
            create_topic(b, "files", 3)
            files, lines = 400, 25
            for i in range(files):
                tmp = os.path.join(d, "f%03d.tmp" % i)
                with open(tmp, "w") as f:
                    for j in range(lines):
                        f.write("f%03d-l%02d\n" % (i, j))
                os.rename(tmp, os.path.join(inbox, "f%03d.txt" % i))
            source = write_props(os.path.join(d, "dir.properties"), {
                "name": "landing", "connector.class": "DirectorySource", "input.path": inbox,
                "topic": "files", "format": "lines", "poll.interval.ms": "100",
                "min.object.age.ms": "0", "max.files.per.poll": "4",
                "exactly.once.support": "required"})
            args = ["-w", worker(d, b, True), source]
            log = os.path.join(d, "connect.log")
            t0 = time.monotonic()
            kills = kill_during_ingest(b, "files", args, log, files * lines, 4)
            elapsed = time.monotonic() - t0

            got = read_topic(b, "files")
            by_file = {}
            for recs in got.values():
                for key, value in recs:
                    by_file.setdefault(key, []).append(value)
            assert len(by_file) == files, (len(by_file), sorted(by_file)[:5])
            for key, values in by_file.items():
                i = int(os.path.basename(key)[1:4])
                want = ["f%03d-l%02d" % (i, j) for j in range(lines)]
                assert values == want, (key, values[:30])
            # What the killed transactions left behind: written, aborted,
            # never read by read_committed (markers count too).
            uncommitted = sum(len(v) for v in read_topic(b, "files", False).values())
            with open(log) as f:
                log_text = f.read()
            assert log_text.count("exactly-once, transactional.id connect-offsets-landing-0") \
                == 5, log_text[-2000:]
            print("  directory: %d lines exactly once after %d kills at high watermarks %s; "
                  "%d records read_uncommitted (aborted included); %.1fs"
                  % (files * lines, len(kills), kills, uncommitted, elapsed))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_file_stream_kill9_exactly_once_and_at_least_once_repeats():
    """FileStreamSource on one file of 6000 lines (100 per poll): exactly
    once through three kill -9s, every line once and in order; the same
    file at-least-once, killed once before its first offset flush, sends
    the lines before the kill again. REST validation answers the KIP-618
    errors of a running exactly-once worker."""
    d = tempfile.mkdtemp(prefix="runnel-eos-")
    try:
        with Broker(BINARY) as b:
            src = os.path.join(d, "in.txt")
            total = 6000
            # One partition each: the order of the lines is checked.
            create_topic(b, "eos-lines")
            create_topic(b, "alo-lines")
            with open(src, "w") as f:
                for i in range(total):
                    f.write("line %05d\n" % i)

            def connector(name, topic):
                return write_props(os.path.join(d, name + ".properties"), {
                    "name": name, "connector.class": "FileStreamSource", "file": src,
                    "topic": topic, "batch.size": "100", "exactly.once.support": "requested"})

            log = os.path.join(d, "connect.log")
            eos_args = ["-w", worker(d, b, True), connector("eos-file", "eos-lines")]
            kill_during_ingest(b, "eos-lines", eos_args, log, total, 3)
            values = [v for _, v in read_topic(b, "eos-lines")[0]]
            assert values == ["line %05d" % i for i in range(total)], (
                len(values), len(set(values)), values[:3])

            # At-least-once: killed before any offset flush, the restarted
            # task starts over; every line arrives, the first ones twice.
            alo_args = ["-w", worker(d, b, False, "connect-offsets-alo"),
                        connector("alo-file", "alo-lines")]
            c = Connect(alo_args, log)
            try:
                wait_until(lambda: end_offsets(b, "alo-lines", False) >= 1000, 60, 0.02,
                           what="1000 lines at-least-once")
            finally:
                c.stop(signal.SIGKILL)
            c = Connect(alo_args, log)
            try:
                wait_until(lambda: count_committed(b, "alo-lines") >= total + 1000, 60, 0.3,
                           what="every line at-least-once")
            finally:
                assert c.stop() == 0, c.tail()
            alo = [v for _, v in read_topic(b, "alo-lines")[0]]
            assert set(alo) == {"line %05d" % i for i in range(total)}
            repeated = len(alo) - total
            assert repeated >= 1000, repeated
            print("  file: %d lines exactly once through 3 kills; at-least-once repeated %d"
                  % (total, repeated))

            # REST validation of a running exactly-once worker.
            c = Connect(["-w", worker(d, b, True)], log)
            try:
                port = int(c.ready.rsplit(":", 1)[1].strip().rstrip("/"))
                body = json.dumps({"name": "v", "connector.class": "FileStreamSource",
                                   "topic": "t",
                                   "exactly.once.support": "required",
                                   "transaction.boundary": "connector"}).encode()
                req = urllib.request.Request(
                    "http://127.0.0.1:%d/connector-plugins/FileStreamSource/config/validate"
                    % port, data=body, method="PUT",
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=30) as r:
                    answer = json.load(r)
            finally:
                assert c.stop() == 0, c.tail()
            errors = {v["value"]["name"]: v["value"]["errors"] for v in answer["configs"]}
            assert answer["error_count"] == 2, {k: e for k, e in errors.items() if e}
            assert errors["exactly.once.support"] == [
                "The connector does not support exactly-once semantics with the provided "
                "configuration."], errors["exactly.once.support"]
            assert "connector-defined transaction boundaries" in \
                errors["transaction.boundary"][0], errors["transaction.boundary"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_distributed_task_move_fences_the_frozen_worker():
    """Two `runnel connect distributed` workers with exactly-once share a
    FileStreamSource while its file grows. The worker running the task is
    frozen (SIGSTOP) mid-ingest — a zombie, with a transaction open — so
    the group moves the task to the other worker, whose
    init_transactions under the same transactional.id aborts that
    transaction and fences the frozen producer. Thawed, the zombie cannot
    commit anything. A read_committed reader finds every line once, in
    order."""
    d = tempfile.mkdtemp(prefix="runnel-eos-dist-")
    workers, frozen = [], None
    writer = None
    try:
        with Broker(BINARY) as b:
            wf = write_props(os.path.join(d, "distributed.properties"), {
                "bootstrap.servers": b.bootstrap, "group.id": "eos-cluster",
                "config.storage.topic": "eos-configs", "offset.storage.topic": "eos-offsets",
                "status.storage.topic": "eos-status",
                "config.storage.replication.factor": "1",
                "offset.storage.replication.factor": "1",
                "status.storage.replication.factor": "1",
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.storage.StringConverter",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000",
                "exactly.once.source.support": "enabled"})
            for i in range(2):
                workers.append(Worker(wf, os.path.join(d, "w%d.log" % i)))
            create_topic(b, "moved")
            src = os.path.join(d, "in.txt")
            total, chunk = 4000, 20
            open(src, "w").close()
            stop_writing = threading.Event()

            def write():
                # 20 lines every 30 ms: about 6 s of growth.
                for start in range(0, total, chunk):
                    if stop_writing.wait(0.03):
                        return
                    with open(src, "a") as f:
                        f.writelines("line %05d\n" % i for i in range(start, start + chunk))

            workers[0].rest.ok("POST", "/connectors", {"name": "grow", "config": {
                "connector.class": "FileStreamSource", "file": src, "topic": "moved",
                "batch.size": "50", "exactly.once.support": "required"}}, status=201)
            owner = wait_until(lambda: task_worker(workers[1], "grow"), 90,
                               what="the source task RUNNING")
            writer = threading.Thread(target=write)
            writer.start()
            wait_until(lambda: end_offsets(b, "moved", False) >= 600, 60, 0.02,
                       what="600 lines before the freeze")
            frozen = [w for w in workers if w.id == owner][0]
            survivor = [w for w in workers if w is not frozen][0]
            frozen.proc.send_signal(signal.SIGSTOP)
            at_freeze = end_offsets(b, "moved", False)
            new_owner = wait_until(
                lambda: (lambda o: o if o == survivor.id else None)(task_worker(survivor, "grow")),
                90, 0.2, what="the task moved to the other worker")
            frozen.proc.send_signal(signal.SIGCONT)
            writer.join(60)
            wait_until(lambda: count_committed(b, "moved") >= total, 90, 0.3,
                       what="every line committed")
            for w in workers:
                assert w.stop() == 0, w.tail()
            workers = []
            values = [v for _, v in read_topic(b, "moved")[0]]
            assert values == ["line %05d" % i for i in range(total)], (
                len(values), len(set(values)), values[:3])
            with open(frozen.log_path) as f:
                zombie_log = f.read()
            print("  distributed: %d lines exactly once; froze %s at high watermark %d, task "
                  "moved to %s; fenced in the zombie's log: %s"
                  % (total, owner, at_freeze, new_owner,
                     "yes" if "fenced" in zombie_log.lower() else "no"))
    finally:
        if writer:
            stop_writing.set()
            writer.join(60)
        for w in workers:
            if w.proc.poll() is None:
                w.proc.send_signal(signal.SIGCONT)
                w.stop(signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)


def test_exactly_once_config_errors_fail_with_one_line():
    d = tempfile.mkdtemp(prefix="runnel-eos-")
    try:
        lines_file = os.path.join(d, "in.txt")
        open(lines_file, "w").close()
        # No broker: these fail before any connection.
        base = ["--brokers", "127.0.0.1:1"]

        def source(name, **extra):
            props = {"name": name, "connector.class": "FileStreamSource", "file": lines_file,
                     "topic": "t"}
            props.update(extra)
            return write_props(os.path.join(d, name + ".properties"), props)

        plain = source("plain")
        err = connect_fails(base + ["--set", "exactly.once.source.support=enabled",
                                    "--offsets", os.path.join(d, "o"), plain])
        assert "exactly.once.source.support=enabled needs offset.storage.topic" in err, err

        err = connect_fails(base + ["--set", "exactly.once.source.support=maybe",
                                    "--offsets", os.path.join(d, "o"), plain])
        assert "exactly.once.source.support" in err and "maybe" in err, err

        eos = base + ["--set", "exactly.once.source.support=enabled",
                      "--set", "offset.storage.topic=o"]
        required = source("required", **{"exactly.once.support": "required"})
        err = connect_fails(base + ["--offsets", os.path.join(d, "o"), required])
        assert "This worker does not have exactly-once source support enabled" in err, err

        stdin = write_props(os.path.join(d, "stdin.properties"), {
            "name": "stdin", "connector.class": "FileStreamSource", "topic": "t",
            "exactly.once.support": "required"})
        err = connect_fails(eos + [stdin])
        assert "does not support exactly-once semantics with the provided configuration" in err
        assert "connector stdin" in err, err

        boundary = source("boundary", **{"transaction.boundary": "connector"})
        err = connect_fails(eos + [boundary])
        assert "does not support connector-defined transaction boundaries" in err, err

        bogus = source("bogus", **{"transaction.boundary": "sometimes"})
        err = connect_fails(eos + [bogus])
        assert "transaction.boundary" in err and "sometimes" in err, err

        negative = source("negative", **{"transaction.boundary": "interval",
                                         "transaction.boundary.interval.ms": "-5"})
        err = connect_fails(eos + [negative])
        assert "transaction.boundary.interval.ms" in err, err
    finally:
        shutil.rmtree(d, ignore_errors=True)


def read_with_headers(broker, topic, timeout=30):
    """Every record of a one-partition topic (read_committed) as
    (value, {header: value})."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "eos-dlq",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "isolation.level": "read_committed"})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return got
                if m.error().code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                    return got
                raise AssertionError(str(m.error()))
            got.append((m.value().decode(),
                        {k: (v or b"").decode() for k, v in (m.headers() or [])}))
    finally:
        c.close()
    raise TimeoutError("reading " + topic)


def test_bad_lines_fail_the_task_or_go_to_the_dead_letter_topic():
    """A line that is not JSON in a DirectorySource file (format json): with
    errors.tolerance=all it goes to the dead-letter topic with its raw text
    and Kafka's error headers (stage TASK_POLL), in the same transaction as
    the good lines around it, and a restart neither repeats nor loses a
    line; with the default (none) the task fails naming the file and line,
    after the lines before it."""
    d = tempfile.mkdtemp(prefix="runnel-eos-")
    try:
        with Broker(BINARY) as b:
            inbox, strict_inbox = os.path.join(d, "in"), os.path.join(d, "in2")
            for box in (inbox, strict_inbox):
                os.makedirs(box)
                with open(os.path.join(box, "a.json"), "w") as f:
                    f.write('{"n": 1}\nnot json\n{"n": 3}\n')
            for t in ("good", "dlq", "strict"):
                create_topic(b, t)
            common = {"connector.class": "DirectorySource", "format": "json",
                      "poll.interval.ms": "100", "min.object.age.ms": "0"}
            tolerant = write_props(os.path.join(d, "tolerant.properties"), dict(
                common, name="tolerant", **{"input.path": inbox, "topic": "good",
                                            "errors.tolerance": "all",
                                            "errors.deadletterqueue.topic.name": "dlq",
                                            "errors.deadletterqueue.context.headers.enable":
                                            "true",
                                            "exactly.once.support": "required"}))
            strict = write_props(os.path.join(d, "strict.properties"), dict(
                common, name="strict", **{"input.path": strict_inbox, "topic": "strict"}))
            args = ["-w", worker(d, b, True), tolerant, strict]
            log = os.path.join(d, "connect.log")
            c = Connect(args, log)
            try:
                wait_until(lambda: count_committed(b, "good") >= 2, 60, 0.2,
                           what="the two good lines")
                wait_until(lambda: c.status("strict")["tasks"][0]["state"] == "FAILED", 60,
                           0.2, what="the strict task failed")
                trace = c.status("strict")["tasks"][0]["trace"]
                assert "a.json" in trace and "line 2" in trace and "not JSON" in trace, trace
                assert c.status("tolerant")["tasks"][0]["state"] == "RUNNING"
            finally:
                assert c.stop() == 0, c.tail()
            # The strict task's failing transaction is aborted: at most the
            # line before the bad one (had it gone out in an earlier
            # transaction) is visible, never the one after it.
            strict_values = [v for v, _ in read_with_headers(b, "strict")]
            assert strict_values in ([], ['{"n":1}']), strict_values
            dead = read_with_headers(b, "dlq")
            assert len(dead) == 1, dead
            value, headers = dead[0]
            assert value == "not json", value
            assert headers["__connect.errors.stage"] == "TASK_POLL", headers
            assert headers["__connect.errors.connector.name"] == "tolerant", headers
            assert "line 2" in headers["__connect.errors.exception.message"], headers
            assert '"a.json"' in headers["__connect.errors.source.partition"] or \
                "a.json" in headers["__connect.errors.source.partition"], headers

            # Restart with one more file: its line arrives, nothing repeats.
            with open(os.path.join(inbox, "b.tmp"), "w") as f:
                f.write('{"n": 4}\n')
            os.rename(os.path.join(inbox, "b.tmp"), os.path.join(inbox, "b.json"))
            c = Connect(args, log)
            try:
                wait_until(lambda: count_committed(b, "good") >= 3, 60, 0.2,
                           what="the line of the new file")
            finally:
                assert c.stop() == 0, c.tail()
            values = [v for v, _ in read_with_headers(b, "good")]
            assert values == ['{"n":1}', '{"n":3}', '{"n":4}'], values
            assert len(read_with_headers(b, "dlq")) == 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_exactly_once_config_errors_fail_with_one_line,
         test_directory_source_kill9_every_line_exactly_once,
         test_file_stream_kill9_exactly_once_and_at_least_once_repeats,
         test_distributed_task_move_fences_the_frozen_worker,
         test_bad_lines_fail_the_task_or_go_to_the_dead_letter_topic])
