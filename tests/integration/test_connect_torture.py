"""Torture tests of the object-store and directory sources (issue 13's
Proof): `runnel connect run` against a real broker, a directory and moto's
server mode (S3 and SQS), each case checked by reading the output topic
completely — read_committed under exactly-once — and asserting every
file's records exactly once (at-least-once: none missed, the repeats
counted and printed).

- a burst of thousands of small files into a directory, written as fast as
  one Python writer can, and a smaller burst into S3 read by listing and by
  notifications at once (moto's server handles some 20-70 PUTs a second
  here, fewer with notifications on: its ceiling, not runnel's);
- S3 notifications through SQS, the real ones plus crafted ones injected
  into the queue: duplicated, late (after the file was read), reordered
  (an overwritten key's old event after the new one's) and dropped (the
  bucket's notifications switched off while files land): notifications
  mode reads nothing twice, hybrid's backfill finds the dropped files;
- slow uploads whose keys sort first: a directory file written line by line
  for longer than the listing interval and the grace window, and S3
  multipart uploads completed after later keys were listed (moto's
  LastModified is the completion time, to the second): found once, never
  read half-written;
- kill -9 of the connect process mid-file and mid-batch, and of the broker
  mid-stream, with exactly.once.source.support=enabled: no file missed,
  none doubled, no line doubled; the same kills at-least-once repeat
  lines, none missed.

CI=true scales the counts down; every case keeps its point.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

from harness import BINARY, Broker, Connect, free_port, run, wait_until
from test_connect_exactly_once import (create_topic, end_offsets, read_topic,
                                       worker, write_props)

HERE = os.path.dirname(os.path.abspath(__file__))
OBJSTORE = os.path.join(HERE, "objstore")
VENV = os.path.join(OBJSTORE, ".venv", "bin")
CI = os.environ.get("CI") == "true"


def scaled(full, ci):
    return ci if CI else full


class Moto:
    """moto's server mode (S3 and SQS) on a free port, and boto3 (the
    official SDK, in objstore/.venv) driven through `sdk.py rpc`."""

    def __init__(self, d):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(d, "moto.log"), "ab")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="runnel", AWS_SECRET_ACCESS_KEY="runnel")
        self.proc = subprocess.Popen([os.path.join(VENV, "moto_server"), "-H", "127.0.0.1",
                                      "-p", str(self.port)], stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.sdk = subprocess.Popen([os.path.join(VENV, "python"),
                                     os.path.join(OBJSTORE, "sdk.py"), "rpc", self.endpoint],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                    text=True)
        try:
            wait_until(self._listening, 90, 0.1, what="moto listening")
        except Exception:
            self.stop()
            raise

    def _listening(self):
        if self.proc.poll() is not None:
            raise RuntimeError("moto exited during start-up")
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def call(self, op, **args):
        args["op"] = op
        self.sdk.stdin.write(json.dumps(args) + "\n")
        self.sdk.stdin.flush()
        line = self.sdk.stdout.readline()
        if not line:
            raise RuntimeError("sdk.py rpc exited")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError("boto3 %s: %s" % (op, answer["error"]))
        return answer["ok"]

    def stop(self):
        if self.sdk.poll() is None:
            self.sdk.stdin.close()
            try:
                self.sdk.wait(30)
            except subprocess.TimeoutExpired:
                self.sdk.kill()
                self.sdk.wait()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def s3_source(d, moto, name, bucket, topic, **extra):
    props = {"name": name, "connector.class": "S3Source", "s3.bucket.name": bucket,
             "store.url": moto.endpoint, "s3.path.style.access.enabled": "true",
             "aws.access.key.id": "runnel", "aws.secret.access.key": "runnel",
             "topic": topic, "format": "lines", "poll.interval.ms": "100",
             "exactly.once.support": "required"}
    props.update(extra)
    return write_props(os.path.join(d, name + ".properties"), props)


def dir_source(d, name, inbox, topic, **extra):
    props = {"name": name, "connector.class": "DirectorySource", "input.path": inbox,
             "topic": topic, "format": "lines", "poll.interval.ms": "100",
             "exactly.once.support": "required"}
    props.update(extra)
    return write_props(os.path.join(d, name + ".properties"), props)


def by_key(got):
    """{object key: [line, …]} from read_topic's partitions, in order."""
    out = {}
    for recs in got.values():
        for key, value in recs:
            out.setdefault(key, []).append(value)
    return out


def basenames(got):
    """read_topic's records with the directory source's keys (paths) cut
    to the file name."""
    return {p: [(os.path.basename(k), v) for k, v in recs] for p, recs in got.items()}


def check(got, want, exactly_once=True, allowed_extra=()):
    """Every file of `want` ({key: [line, …]}) has its lines in the topic:
    exactly once and in order, or at-least-once (a prefix of its lines
    repeated after a crash, nothing missing). Keys in `allowed_extra` may be
    absent (e.g. a version overwritten before it was read). Returns the
    number of repeated records."""
    files = by_key(got)
    unknown = set(files) - set(want) - set(allowed_extra)
    assert not unknown, "records of files never written: %s" % sorted(unknown)[:5]
    missing = [k for k in want if k not in files]
    if missing:
        doubled = {k: len(files[k]) - len(v) for k, v in want.items()
                   if k in files and len(files[k]) != len(v)}
        raise AssertionError("%d files missed, e.g. %s; %d files with more or fewer records: %s"
                             % (len(missing), missing[:5], len(doubled),
                                sorted(doubled.items())[:8]))
    repeats = 0
    for key, lines in want.items():
        have = files[key]
        if exactly_once:
            assert have == lines, "%s: %d records for %d lines, first %s" % (
                key, len(have), len(lines), have[:3])
        else:
            # Each line at least once, each repeat a replay of lines sent
            # before: the order of first occurrences is the file's.
            firsts = list(dict.fromkeys(have))
            assert firsts == lines, "%s: lines missing or out of order: %s" % (key, firsts[:5])
            repeats += len(have) - len(lines)
    return repeats


def distinct_committed(b, topic):
    """How many different lines a read_committed reader finds (every line
    of every file is distinct): at-least-once repeats do not count, so a
    wait for all of them does not end while files are still unread."""
    try:
        return len({v for recs in read_topic(b, topic, True, 30).values() for _, v in recs})
    except TimeoutError:
        return 0


def wait_committed(b, topic, total, timeout):
    wait_until(lambda: distinct_committed(b, topic) >= total, timeout, 0.3,
               what="%d distinct records committed in %s" % (total, topic))


def stop_ok(c):
    rc = c.stop()
    assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())


def lines_of(name, n):
    return ["%s-l%04d" % (name, j) for j in range(n)]


def test_directory_burst_of_small_files():
    """Thousands of small files written straight into the watched
    directory (open, write, close — no rename), as fast as the writer goes,
    while the exactly-once source lists it every 100 ms: every file's two
    lines once."""
    files = scaled(5000, 2000)
    d = tempfile.mkdtemp(prefix="runnel-torture-")
    try:
        with Broker(BINARY) as b:
            inbox = os.path.join(d, "in")
            os.makedirs(inbox)
            create_topic(b, "burst", 3)
            src = dir_source(d, "burst", inbox, "burst", **{"max.files.per.poll": "500"})
            c = Connect(["--connect-listen", "off", "-w", worker(d, b, True), src],
                        os.path.join(d, "connect.log"))
            want = {}
            try:
                t0 = time.monotonic()
                for i in range(files):
                    name = "f%05d.txt" % i
                    lines = lines_of(name[:-4], 2)
                    with open(os.path.join(inbox, name), "w") as f:
                        f.write("".join(l + "\n" for l in lines))
                    want[name] = lines
                written = time.monotonic() - t0
                wait_committed(b, "burst", 2 * files, 60)
                took = time.monotonic() - t0
            finally:
                stop_ok(c)
            check(basenames(read_topic(b, "burst")), want)
            print("  directory burst: %d files written in %.2fs (%.0f files/s), all once in "
                  "the topic %.1fs after the first (%.0f files/s end to end)"
                  % (files, written, files / written, took, files / took))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_s3_burst_listing_and_notifications():
    """A burst into a moto bucket (boto3 as fast as moto takes it, ~60-70
    PUTs/s here: moto's ceiling, not runnel's), read by two exactly-once
    sources at once: one listing every 100 ms, one from the bucket's SQS
    notifications (deleted ten to a DeleteMessageBatch)."""
    files = scaled(150, 100)
    d = tempfile.mkdtemp(prefix="runnel-torture-")
    moto = Moto(d)
    try:
        with Broker(BINARY) as b:
            moto.call("create-bucket", bucket="burst")
            q = moto.call("create-queue", queue="burst-q")
            moto.call("notify", bucket="burst", queue_arn=q["arn"])
            create_topic(b, "s3burst", 3)
            create_topic(b, "s3burst-n", 3)
            listing = s3_source(d, moto, "s3burst", "burst", "s3burst")
            notified = s3_source(d, moto, "s3burst-n", "burst", "s3burst-n",
                                 **{"discovery.mode": "notifications",
                                    "sqs.queue.url": q["url"], "sqs.endpoint": moto.endpoint})
            c = Connect(["--connect-listen", "off", "-w", worker(d, b, True), listing, notified],
                        os.path.join(d, "connect.log"))
            want = {"k%04d.txt" % i: lines_of("k%04d" % i, 3) for i in range(files)}
            took = {}
            try:
                t0 = time.monotonic()
                put = moto.call("put-many", bucket="burst",
                                objects=[[k, "".join(l + "\n" for l in v)]
                                         for k, v in want.items()])
                for topic in ("s3burst", "s3burst-n"):
                    wait_committed(b, topic, 3 * files, 60)
                    took[topic] = time.monotonic() - t0
                wait_until(lambda: moto.call("sqs-count", url=q["url"]) == 0, 60, 0.2,
                           what="every notification deleted")
                drained = time.monotonic() - t0
            finally:
                stop_ok(c)
            check(read_topic(b, "s3burst"), want)
            check(read_topic(b, "s3burst-n"), want)
            print("  s3 burst: %d objects PUT in %.1fs (%.0f/s, moto's pace); all once %.1fs "
                  "after the first by listing, %.1fs by notifications; queue empty after %.1fs"
                  % (files, put, files / put, took["s3burst"], took["s3burst-n"], drained))
    finally:
        moto.stop()
        shutil.rmtree(d, ignore_errors=True)


def s3_event(bucket, key, etag, size, when=None):
    """An S3 ObjectCreated event message as S3 sends it to SQS (the key
    form-encoded)."""
    when = when or time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": when, "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket,
                                                        "arn": "arn:aws:s3:::" + bucket},
                   "object": {"key": urllib.parse.quote_plus(key), "size": size,
                              "eTag": etag, "sequencer": "0"}}}


def test_s3_notifications_duplicated_late_reordered_dropped():
    """moto's bucket sends its ObjectCreated events to an SQS queue; the
    test adds crafted events to the same queue. Notifications mode:
    every file's events sent again (duplicated), in reverse order in one
    message (reordered), again after the file was read (late), and an
    overwritten key's first-version event after the second's: each
    version's lines once, nothing read twice. Then hybrid mode: the
    bucket's notifications switched off while files land (dropped), the
    backfill listing finds them; late events for them read nothing."""
    n = scaled(40, 20)
    d = tempfile.mkdtemp(prefix="runnel-torture-")
    moto = Moto(d)
    try:
        with Broker(BINARY) as b:
            moto.call("create-bucket", bucket="events")
            q = moto.call("create-queue", queue="events-q")
            moto.call("notify", bucket="events", queue_arn=q["arn"])
            create_topic(b, "events", 3)
            log = os.path.join(d, "connect.log")
            w = worker(d, b, True)

            def source(mode):
                return s3_source(d, moto, "notified", "events", "events",
                                 **{"discovery.mode": mode, "sqs.queue.url": q["url"],
                                    "sqs.endpoint": moto.endpoint,
                                    "backfill.interval.ms": "500",
                                    "notification.visibility.timeout.s": "30"})

            def put(key, lines):
                body = "".join(l + "\n" for l in lines)
                etag = moto.call("put", bucket="events", key=key, body=body)
                return s3_event("events", key, etag, len(body.encode()))

            want, events = {}, []
            c = Connect(["--connect-listen", "off", "-w", w, source("notifications")], log)
            try:
                for i in range(n):
                    key = "n/f%03d file.txt" % i  # a space: form-encoded in events
                    want[key] = lines_of("f%03d" % i, 5)
                    events.append(put(key, want[key]))
                # Duplicated and reordered: every event again, newest first,
                # ten to a message.
                rev = events[::-1]
                for i in range(0, len(rev), 10):
                    moto.call("sqs-send", url=q["url"], body=json.dumps({"Records": rev[i:i + 10]}))
                # An overwritten key, its old version's event after the new one's.
                v1 = put("n/over.txt", lines_of("over-v1", 3))
                want["n/over.txt"] = lines_of("over-v2", 4)
                v2 = put("n/over.txt", want["n/over.txt"])
                moto.call("sqs-send", url=q["url"], body=json.dumps({"Records": [v2]}))
                moto.call("sqs-send", url=q["url"], body=json.dumps({"Records": [v1]}))
                total = 5 * n + 4
                wait_committed(b, "events", total, 60)
                # Late: the events of files read long ago, once more.
                for e in events[:10] + [v1, v2]:
                    moto.call("sqs-send", url=q["url"], body=json.dumps({"Records": [e]}))
                # Every message deleted once its files are done (or found done).
                wait_until(lambda: moto.call("sqs-count", url=q["url"]) == 0, 60, 0.3,
                           what="the queue drained")
            finally:
                stop_ok(c)
            # v1 may have been read before v2 replaced it (then its 3 lines
            # once), or not at all; never twice, never mixed with v2.
            got = read_topic(b, "events")
            over = by_key(got)["n/over.txt"]
            v1_lines = [l for l in over if l.startswith("over-v1")]
            assert v1_lines in ([], lines_of("over-v1", 3)), over
            got = {p: [(k, v) for k, v in recs if not v.startswith("over-v1")]
                   for p, recs in got.items()}
            check(got, want)
            first = sum(len(v) for v in want.values()) + len(v1_lines)

            # Hybrid: notifications off while files land (dropped events).
            c = Connect(["--connect-listen", "off", "-w", w, source("hybrid")], log)
            try:
                moto.call("notify", bucket="events", queue_arn=None)
                dropped = []
                for i in range(n // 2):
                    key = "h/dropped%03d.txt" % i
                    want[key] = lines_of("d%03d" % i, 5)
                    dropped.append(put(key, want[key]))
                moto.call("notify", bucket="events", queue_arn=q["arn"])
                for i in range(n // 2):
                    key = "h/notified%03d.txt" % i
                    want[key] = lines_of("h%03d" % i, 5)
                    put(key, want[key])
                wait_committed(b, "events", first + 5 * n, 60)
                # Late events for the files the backfill found.
                moto.call("sqs-send", url=q["url"], body=json.dumps({"Records": dropped[:10]}))
                wait_until(lambda: moto.call("sqs-count", url=q["url"]) == 0, 60, 0.3,
                           what="the queue drained")
            finally:
                stop_ok(c)
            got = read_topic(b, "events")
            got = {p: [(k, v) for k, v in recs if not v.startswith("over-v1")]
                   for p, recs in got.items()}
            check(got, want)

            # At-least-once (offsets stored every 60 s, so not yet when this
            # runs), hybrid: an overwritten key's old event after its new
            # one's. The stale event's failed read must not make the task
            # forget that the new version is done: no crash, so no repeat.
            create_topic(b, "events-alo", 1)
            alo = s3_source(d, moto, "notified-alo", "events", "events-alo",
                            **{"discovery.mode": "hybrid", "sqs.queue.url": q["url"],
                               "sqs.endpoint": moto.endpoint, "prefix": "r/",
                               "backfill.interval.ms": "200",
                               "exactly.once.support": "requested"})
            c = Connect(["--connect-listen", "off", "-w",
                         worker(d, b, False, "offsets-alo"), alo], log)
            try:
                r1 = put("r/over.txt", lines_of("r-v1", 3))
                r2 = put("r/over.txt", lines_of("r-v2", 4))
                wait_until(lambda: {v for _, v in read_topic(b, "events-alo", True, 30)[0]}
                           >= set(lines_of("r-v2", 4)), 30, 0.3, what="r/over.txt v2 read")
                moto.call("sqs-send", url=q["url"], body=json.dumps({"Records": [r1]}))
                wait_until(lambda: moto.call("sqs-count", url=q["url"]) == 0, 60, 0.3,
                           what="the queue drained")
                # Several backfill listings (200 ms apart) after the stale
                # event: any repeat of v2 would be in the topic by then.
                first_end = end_offsets(b, "events-alo", False)
                deadline = time.monotonic() + 2
                wait_until(lambda: end_offsets(b, "events-alo", False) > first_end
                           or time.monotonic() > deadline, 5, 0.1, what="a repeat or 2 s")
            finally:
                stop_ok(c)
            alo_got = [v for _, v in read_topic(b, "events-alo")[0]]
            assert [v for v in alo_got if v.startswith("r-v2")] == lines_of("r-v2", 4), alo_got
            print("  notifications: %d files + an overwrite through duplicated, reordered and "
                  "late events, once each (v1 of the overwritten key read: %s); hybrid: %d "
                  "files with dropped events found by the backfill, once"
                  % (n, "yes" if v1_lines else "no", n // 2))
    finally:
        moto.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_slow_uploads_before_the_cursor():
    """Directory: a file whose name sorts first is written a line every
    200 ms for 3 s — longer than the listing interval (100 ms) and the
    grace window (500 ms) — while later names land and are read; it is
    read once, whole (min.object.age.ms 1000 keeps a file being written
    waiting). S3: multipart uploads of the keys that sort first, started
    before and completed after later keys were listed: one within the
    grace window (found by the incremental listing), one after it (found by
    the next full listing); moto's LastModified is checked against the
    upload's start and completion."""
    d = tempfile.mkdtemp(prefix="runnel-torture-")
    moto = Moto(d)
    try:
        with Broker(BINARY) as b:
            inbox = os.path.join(d, "in")
            os.makedirs(inbox)
            create_topic(b, "slow", 3)
            log = os.path.join(d, "connect.log")
            dsrc = dir_source(d, "slowdir", inbox, "slow", **{
                "listing.grace.ms": "500", "listing.full.interval.ms": "3600000",
                "min.object.age.ms": "1000"})
            moto.call("create-bucket", bucket="slow")
            ssrc = s3_source(d, moto, "slows3", "slow", "slow", **{
                "listing.grace.ms": "3000", "listing.full.interval.ms": "4000"})
            want = {}
            c = Connect(["--connect-listen", "off", "-w", worker(d, b, True), dsrc, ssrc], log)
            try:
                # S3: two multipart uploads of keys that sort first.
                parts = {}
                for key in ("a-within-grace.txt", "a0-after-grace.txt"):
                    up = moto.call("mpu-start", bucket="slow", key=key)
                    # Parts of at least 5 MiB but the last: one part each
                    # keeps the test small.
                    body = "".join(l + "\n" for l in lines_of(key[:-4], 200))
                    parts[key] = (up, moto.call("mpu-part", bucket="slow", key=key, upload=up,
                                                part=1, body=body), time.time())
                    want[key] = lines_of(key[:-4], 200)

                # Directory: the slow file first, then the fast ones.
                slow = os.path.join(inbox, "a-slow.txt")
                slow_lines = lines_of("slow", 15)
                want["a-slow.txt"] = slow_lines
                stop = threading.Event()

                def write_slowly():
                    with open(slow, "w") as f:
                        for line in slow_lines:
                            f.write(line + "\n")
                            f.flush()
                            if stop.wait(0.2):
                                return

                writer = threading.Thread(target=write_slowly)
                writer.start()
                for i in range(20):
                    name = "b%03d.txt" % i
                    want[name] = lines_of("b%03d" % i, 2)
                    with open(os.path.join(inbox, name), "w") as f:
                        f.write("".join(l + "\n" for l in want[name]))
                    s3key = "b%03d.txt" % i
                    moto.call("put", bucket="slow", key="s3-" + s3key,
                              body="".join(l + "\n" for l in lines_of("s3b%03d" % i, 2)))
                    want["s3-" + s3key] = lines_of("s3b%03d" % i, 2)
                # The later keys read (so listed, the cursor free to move).
                wait_committed(b, "slow", 80, 30)
                up, etag, started = parts["a-within-grace.txt"]
                moto.call("mpu-complete", bucket="slow", key="a-within-grace.txt", upload=up,
                          etags=[etag])
                completed = time.time()
                head = moto.call("head", bucket="slow", key="a-within-grace.txt")
                # Past the grace window of every later key, then complete.
                time.sleep(3.5)  # the grace window must pass: time itself is the condition
                up, etag, _ = parts["a0-after-grace.txt"]
                moto.call("mpu-complete", bucket="slow", key="a0-after-grace.txt", upload=up,
                          etags=[etag])
                writer.join(30)
                wait_committed(b, "slow", 80 + 400 + 15, 30)
            finally:
                stop.set()
                stop_ok(c)
            got = read_topic(b, "slow")
            files = by_key(got)
            rename = {k: os.path.basename(k) for k in files if k.startswith(inbox)}
            got = {p: [(rename.get(k, k), v) for k, v in recs] for p, recs in got.items()}
            check(got, want)
            print("  slow uploads: directory file written over 3s read once, whole; S3 multipart "
                  "within and after the grace window found once; moto's LastModified %.0fs "
                  "after the upload started, %.1fs from its completion (to the second)"
                  % (head["last_modified"] - started, head["last_modified"] - completed))
    finally:
        moto.stop()
        shutil.rmtree(d, ignore_errors=True)


def kill_torture(b, d, topic, eos, log, want_total, kills):
    """Runs the source in `d`'s config; at each (what, fraction) of `kills`
    waits for that fraction of `want_total` records in the topic (high
    watermark) and kill -9's connect (then starts it again) or the broker
    (then restarts it on its port and data; connect keeps running); then
    lets it finish. Returns the high watermarks at the kills."""
    src = os.path.join(d, "kill.properties")
    args = ["--connect-listen", "off", "-w", worker(d, b, eos, "offsets-" + topic), src]
    seen = []
    c = Connect(args, log)
    try:
        for k, (what, fraction) in enumerate(kills):
            target = int(want_total * fraction)
            wait_until(lambda: end_offsets(b, topic, False) >= target, 60, 0.02,
                       what="%d records before kill %d" % (target, k + 1))
            if what == "broker":
                b.kill()
                seen.append(("broker", target))
                b.start()
                continue
            c.stop(signal.SIGKILL)
            seen.append(("connect", end_offsets(b, topic, False)))
            c = Connect(args, log)
        wait_committed(b, topic, want_total, 90)
    finally:
        stop_ok(c)
    return seen


def test_kill9_connect_and_broker_exactly_once_and_at_least_once():
    """One large multi-line file (read in 64 KiB chunks, several
    transactions; its name sorts first, so it is read first: half the
    lines) and many small files (7 per transaction); the connect process
    kill -9'd twice in the large file and once among the small ones, the
    broker once at about the boundary. Exactly-once: every line once, in order. At-least-once, the
    same kills: every line, some repeated (counted)."""
    big_lines = scaled(20000, 10000)
    small = scaled(400, 200)
    d = tempfile.mkdtemp(prefix="runnel-torture-")
    try:
        with Broker(BINARY) as b:
            results = {}
            for eos in (True, False):
                topic = "kill-eos" if eos else "kill-alo"
                sub = os.path.join(d, topic)
                inbox = os.path.join(sub, "in")
                os.makedirs(inbox)
                want = {"a-big.txt": lines_of("big", big_lines)}
                with open(os.path.join(inbox, "a-big.txt"), "w") as f:
                    f.write("".join(l + "\n" for l in want["a-big.txt"]))
                for i in range(small):
                    name = "s%04d.txt" % i
                    want[name] = lines_of("s%04d" % i, 50)
                    with open(os.path.join(inbox, name), "w") as f:
                        f.write("".join(l + "\n" for l in want[name]))
                create_topic(b, topic, 3)
                props = {"name": topic, "connector.class": "DirectorySource",
                         "input.path": inbox, "topic": topic, "format": "lines",
                         "poll.interval.ms": "100", "min.object.age.ms": "0",
                         "read.chunk.bytes": "65536", "max.bytes.per.poll": "131072",
                         "max.files.per.poll": "7"}
                if eos:
                    props["exactly.once.support"] = "required"
                write_props(os.path.join(sub, "kill.properties"), props)
                total = sum(len(v) for v in want.values())
                t0 = time.monotonic()
                kills = kill_torture(b, sub, topic, eos, os.path.join(sub, "connect.log"),
                                     total, [("connect", 0.15), ("connect", 0.35),
                                             ("broker", 0.5), ("connect", 0.75)])
                got = read_topic(b, topic, committed=eos)
                rename = {k: os.path.basename(k) for k in by_key(got)}
                got = {p: [(rename.get(k, k), v) for k, v in recs] for p, recs in got.items()}
                try:
                    repeats = check(got, want, exactly_once=eos)
                except AssertionError as e:
                    with open(os.path.join(sub, "connect.log"), errors="replace") as f:
                        tail = f.read()[-3000:]
                    raise AssertionError("%s after kills %s: %s\n%s" % (topic, kills, e, tail))
                results[topic] = (total, kills, repeats, time.monotonic() - t0)
            for topic, (total, kills, repeats, took) in results.items():
                print("  %s: %d lines (%d files) through kills %s: %d repeated; %.1fs"
                      % (topic, total, small + 1, kills, repeats, took))
            assert results["kill-eos"][2] == 0
    finally:
        if not os.environ.get("RUNNEL_KEEP"):
            shutil.rmtree(d, ignore_errors=True)


def test_clean_stop_with_a_stalled_broker_stores_what_was_acknowledged():
    """At-least-once, offsets in a file, flushed every 60 s (so only at the
    stop): files are read and acknowledged, then the broker is frozen
    (SIGSTOP) and more files arrive, so the producer holds records it
    cannot deliver. A clean stop (SIGTERM, task.shutdown.graceful.timeout.ms
    2000) must still store the offsets of everything acknowledged before:
    restarted, the connector repeats none of the first files."""
    first, more = scaled(200, 100), 50
    d = tempfile.mkdtemp(prefix="runnel-torture-")
    b = Broker(BINARY)
    try:
        b.start()
        inbox = os.path.join(d, "in")
        os.makedirs(inbox)
        create_topic(b, "stop", 1)

        def write(names):
            for name in names:
                with open(os.path.join(inbox, name), "w") as f:
                    f.write("".join(l + "\n" for l in lines_of(name[:-4], 20)))

        w = write_props(os.path.join(d, "worker.properties"), {
            "bootstrap.servers": b.bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": os.path.join(d, "offsets"),
            "offset.flush.interval.ms": "60000", "offset.flush.timeout.ms": "5000",
            "task.shutdown.graceful.timeout.ms": "2000"})
        src = dir_source(d, "stop", inbox, "stop", **{"min.object.age.ms": "0",
                                                      "exactly.once.support": "requested"})
        log = os.path.join(d, "connect.log")
        names = ["a%04d.txt" % i for i in range(first)]
        write(names)
        c = Connect(["--connect-listen", "off", "-w", w, src], log)
        stopped = False
        try:
            wait_committed(b, "stop", 20 * first, 60)
            b.proc.send_signal(signal.SIGSTOP)
            late = ["b%04d.txt" % i for i in range(more)]
            write(late)
            # The source reads them (their records then wait in the
            # producer): a read moves a file's access time past its
            # modification time (relatime).
            def read_all():
                return all(os.stat(os.path.join(inbox, n)).st_atime_ns >
                           os.stat(os.path.join(inbox, n)).st_mtime_ns for n in late)
            try:
                wait_until(read_all, 10, 0.05, what="the late files read")
            except TimeoutError:
                print("  (access times not updated here: noatime? stopping anyway)")
            t0 = time.monotonic()
            rc = c.stop()
            took = time.monotonic() - t0
            stopped = True
        finally:
            b.proc.send_signal(signal.SIGCONT)
            if not stopped:
                c.stop(signal.SIGKILL)
        assert rc == 0, "connect exited %d:\n%s" % (rc, c.tail())
        c = Connect(["--connect-listen", "off", "-w", w, src], log)
        try:
            wait_committed(b, "stop", 20 * (first + more), 60)
        finally:
            stop_ok(c)
        want = {n: lines_of(n[:-4], 20) for n in names + late}
        got = basenames(read_topic(b, "stop"))
        repeats = check(got, want, exactly_once=False)
        files = by_key(got)
        first_repeats = sum(len(files[n]) - 20 for n in names)
        assert first_repeats == 0, "%d records of the files acknowledged before the stop " \
            "sent again (%d repeats in all)" % (first_repeats, repeats)
        print("  clean stop with the broker frozen: took %.1fs; %d files acknowledged before "
              "it not repeated; %d records of the %d files read while frozen repeated"
              % (took, first, repeats, more))
    finally:
        b.cleanup()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_directory_burst_of_small_files,
         test_s3_burst_listing_and_notifications,
         test_s3_notifications_duplicated_late_reordered_dropped,
         test_slow_uploads_before_the_cursor,
         test_kill9_connect_and_broker_exactly_once_and_at_least_once,
         test_clean_stop_with_a_stalled_broker_stores_what_was_acknowledged])
