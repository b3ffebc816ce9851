"""The tail-a-file source (TailFile) and the directory source's inotify
discovery, through `runnel connect run` against a real broker:

- a writer appends lines at a steady rate while its file is rotated by
  rename+create (the writer keeps writing to the renamed file for a while,
  as a program does until it reopens) and once by copytruncate; the topic
  holds every line written, in order;
- the connect process is kill -9'd mid-stream under exactly-once, across a
  rotation: a read_committed reader finds every line exactly once;
- DirectorySource with discovery.mode=notifications sees each new file long
  before its (hour-long) listing would, and misses a file whose event never
  comes (a hard link: IN_CREATE only); hybrid finds that file by its
  backfill listing. Both read the files there before the start (a listing
  at the start: inotify events do not outlive a process)."""

import os
import shutil
import signal
import tempfile
import threading
import time

from harness import BINARY, Broker, Connect, run, wait_until
from test_connect_exactly_once import (create_topic, end_offsets, kill_during_ingest,
                                       read_topic, worker, write_props)


class Writer(threading.Thread):
    """Appends `total` numbered lines to `path`, `per_tick` every `tick`
    seconds. At each index in `renames` the file is rotated the logrotate
    `create` way: renamed to path.N, then `late` more lines go to the old
    file (the program has not reopened yet) before a new file is created at
    the path. At `copytruncate` it waits until `caught_up()` says the
    lines so far were read (copytruncate loses what was not), copies the
    file and truncates it in place, and keeps appending."""

    def __init__(self, path, total, renames=(), copytruncate=None, caught_up=None,
                 per_tick=10, tick=0.01, late=20, twice=()):
        super().__init__()
        self.twice = set(twice)
        self.path, self.total = path, total
        self.renames, self.copytruncate, self.caught_up = set(renames), copytruncate, caught_up
        self.per_tick, self.tick, self.late = per_tick, tick, late
        self.lines = []
        self.stop_now = threading.Event()
        self.error = None

    def run(self):
        try:
            f = open(self.path, "a")
            n = 0
            rotation = 0
            i = 0
            while i < self.total and not self.stop_now.is_set():
                if i in self.renames or i in self.twice:
                    for _ in range(2 if i in self.twice else 1):
                        rotation += 1
                        os.rename(self.path, "%s.%d" % (self.path, rotation))
                        for _ in range(min(self.late, self.total - i)):
                            self.emit(f, i)
                            i += 1
                        f.close()
                        f = open(self.path, "a")
                        # Twice in a row, faster than anyone looks.
                        for _ in range(min(self.late, self.total - i)):
                            self.emit(f, i)
                            i += 1
                        f.flush()
                    continue
                if i == self.copytruncate:
                    f.flush()
                    wait_until(lambda: self.caught_up(i), 60, 0.02,
                               what="%d lines read before copytruncate" % i)
                    shutil.copyfile(self.path, self.path + ".ct")
                    os.truncate(self.path, 0)
                for _ in range(self.per_tick):
                    if i >= self.total:
                        break
                    self.emit(f, i)
                    i += 1
                f.flush()
                n += 1
                time.sleep(self.tick)  # the writer's rate, not a wait for a condition
            f.close()
        except Exception as e:  # reported by the test
            self.error = e

    def emit(self, f, i):
        line = "line %06d" % i
        f.write(line + "\n")
        self.lines.append(line)


def tail_connector(d, name, files, topic, **extra):
    props = {"name": name, "connector.class": "TailFile", "files": files, "topic": topic,
             "poll.interval.ms": "500", "batch.max.lines": "200"}
    props.update(extra)
    return write_props(os.path.join(d, name + ".properties"), props)


def test_tail_follows_rename_and_copytruncate_rotations():
    d = tempfile.mkdtemp(prefix="runnel-tail-")
    try:
        with Broker(BINARY) as b:
            logs = os.path.join(d, "logs")
            os.makedirs(logs)
            create_topic(b, "tail")
            app = os.path.join(logs, "app.log")
            total = 4000
            w = Writer(app, total, renames=(600, 1300, 2000), twice=(3300,), copytruncate=2700,
                       caught_up=lambda i: end_offsets(b, "tail", False) >= i)
            open(app, "w").close()
            src = tail_connector(d, "tail", os.path.join(logs, "*.log"), "tail",
                                 **{"file.path.header": "file"})
            c = Connect(["-w", worker(d, b, False), src], os.path.join(d, "connect.log"))
            try:
                t0 = time.monotonic()
                w.start()
                w.join(120)
                assert w.error is None, w.error
                wait_until(lambda: end_offsets(b, "tail", False) >= total, 60, 0.05,
                           what="every line in the topic")
                elapsed = time.monotonic() - t0
            finally:
                assert c.stop() == 0, c.tail()
            got = read_topic(b, "tail", committed=False)[0]
            values = [v for _, v in got]
            assert values == w.lines, (len(values), len(w.lines),
                                       next((i, a, e) for i, (a, e) in
                                            enumerate(zip(values, w.lines)) if a != e)
                                       if values != w.lines[:len(values)] else None)
            assert {k for k, _ in got} == {app}, {k for k, _ in got}
            with open(os.path.join(d, "connect.log")) as f:
                log = f.read()
            # The double rotation is one or two events for the task,
            # depending on when it looked; the lines are right either way.
            seen = log.count("rotated (a new file")
            assert seen in (4, 5), log[-3000:]
            assert "was truncated" in log, log[-3000:]
            double = "one, the file between read" if "rotated twice" in log else "two"
            print("  tail: %d lines through 5 rename rotations (2 at once, seen as %s) and 1 "
                  "copytruncate, in order; %.1fs" % (total, double, elapsed))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tail_kill9_exactly_once_across_rotation():
    d = tempfile.mkdtemp(prefix="runnel-tail-eos-")
    w = None
    try:
        with Broker(BINARY) as b:
            logs = os.path.join(d, "logs")
            os.makedirs(logs)
            create_topic(b, "tail-eos")
            app = os.path.join(logs, "app.log")
            total = 6000
            open(app, "w").close()
            # About 3 s of writing; rotated twice along the way.
            w = Writer(app, total, renames=(2000, 4100), per_tick=20, tick=0.01)
            src = tail_connector(d, "tail-eos", app, "tail-eos",
                                 **{"exactly.once.support": "required",
                                    "batch.max.lines": "50"})
            args = ["-w", worker(d, b, True), src]
            w.start()
            kills = kill_during_ingest(b, "tail-eos", args, os.path.join(d, "connect.log"),
                                       total, 3)
            w.join(120)
            assert w.error is None, w.error
            values = [v for _, v in read_topic(b, "tail-eos")[0]]
            assert values == w.lines, (len(values), len(set(values)), len(w.lines),
                                       next(((i, a, e) for i, (a, e) in
                                             enumerate(zip(values, w.lines)) if a != e), None))
            print("  tail exactly-once: %d lines once each, in order, through 3 kill -9s at "
                  "high watermarks %s and 2 rotations" % (total, kills))
    finally:
        if w:
            w.stop_now.set()
            w.join(60)
        shutil.rmtree(d, ignore_errors=True)


def headers_of_first(broker, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "tail-headers"})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        for _ in range(100):
            m = c.poll(0.2)
            if m is not None and not m.error():
                return m.key(), dict(m.headers() or [])
        raise AssertionError("no record in %s" % topic)
    finally:
        c.close()


def test_tail_read_from_end_partial_lines_and_restart():
    """read.from=end skips what the files held at the first start; a file
    that appears later is read from its start; a last line without its
    newline waits for it (and with idle.flush.ms is sent alone); a long
    line is split at max.line.bytes; a clean restart continues where the
    lines stopped, nothing again."""
    d = tempfile.mkdtemp(prefix="runnel-tail-end-")
    try:
        with Broker(BINARY) as b:
            logs, idle = os.path.join(d, "logs"), os.path.join(d, "idle")
            os.makedirs(logs)
            os.makedirs(idle)
            create_topic(b, "end")
            create_topic(b, "idle")
            old, new = os.path.join(logs, "old.log"), os.path.join(logs, "new.log")
            with open(old, "w") as f:
                f.write("before-1\nbefore-2\nbefore-3\n")
            src = tail_connector(d, "end", os.path.join(logs, "*.log"), "end",
                                 **{"read.from": "end", "max.line.bytes": "16",
                                    "file.path.header": "file"})
            idle_src = tail_connector(d, "idle", os.path.join(idle, "*.log"), "idle",
                                      **{"idle.flush.ms": "300"})
            args = ["-w", worker(d, b, False), src, idle_src]
            log = os.path.join(d, "connect.log")

            def append(path, text):
                with open(path, "a") as f:
                    f.write(text)

            c = Connect(args, log)
            try:
                # read.from=end counts from the task's start.
                for name in ("end", "idle"):
                    wait_until(lambda: [t["state"] for t in c.status(name)["tasks"]] ==
                               ["RUNNING"], 30, 0.05, what="task %s running" % name)
                append(old, "new-1\npartial")
                append(new, "n1\n")
                append(os.path.join(idle, "a.log"), "no newline yet")
                wait_until(lambda: end_offsets(b, "end", False) >= 2, 20, 0.02,
                           what="two complete lines")
                wait_until(lambda: end_offsets(b, "idle", False) >= 1, 20, 0.02,
                           what="the idle line flushed")
                # The partial line is held: the next record is it, completed.
                append(old, "-done\n" + "x" * 40 + "\n")
                wait_until(lambda: end_offsets(b, "end", False) >= 6, 20, 0.02,
                           what="the completed and the split lines")
            finally:
                assert c.stop() == 0, c.tail()
            append(old, "after-restart\n")
            c = Connect(args, log)
            try:
                wait_until(lambda: end_offsets(b, "end", False) >= 7, 20, 0.02,
                           what="the line after the restart")
            finally:
                assert c.stop() == 0, c.tail()
            by_key = {}
            for k, v in read_topic(b, "end", committed=False)[0]:
                by_key.setdefault(os.path.basename(k), []).append(v)
            assert by_key == {"old.log": ["new-1", "partial-done", "x" * 16, "x" * 16, "x" * 8,
                                          "after-restart"],
                              "new.log": ["n1"]}, by_key
            assert [v for _, v in read_topic(b, "idle", committed=False)[0]] == \
                ["no newline yet"]
            key, h = headers_of_first(b, "end")
            assert h.get("file") == key and key in (old.encode(), new.encode()), (key, h)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def land(inbox, d, name, lines):
    tmp = os.path.join(d, name + ".tmp")
    with open(tmp, "w") as f:
        f.writelines("%s-%d\n" % (name, j) for j in range(lines))
    os.rename(tmp, os.path.join(inbox, name))


def test_directory_notifications_and_hybrid():
    d = tempfile.mkdtemp(prefix="runnel-dirwatch-")
    try:
        with Broker(BINARY) as b:
            create_topic(b, "notified")
            create_topic(b, "hybrid")
            n_in = os.path.join(d, "n-in")
            h_in = os.path.join(d, "h-in")
            os.makedirs(n_in)
            os.makedirs(h_in)
            # There before the watch: a listing finds it (the one at the
            # start, in both modes).
            land(h_in, d, "before.txt", 3)
            land(n_in, d, "n-before.txt", 1)
            common = {"connector.class": "DirectorySource", "format": "lines",
                      "min.object.age.ms": "0", "poll.interval.ms": "3600000"}
            notified = write_props(os.path.join(d, "n.properties"), dict(
                common, name="n", **{"input.path": n_in, "topic": "notified",
                                     "discovery.mode": "notifications"}))
            hybrid = write_props(os.path.join(d, "h.properties"), dict(
                common, name="h", **{"input.path": h_in, "topic": "hybrid",
                                     "discovery.mode": "hybrid",
                                     "backfill.interval.ms": "1500"}))
            c = Connect(["-w", worker(d, b, False), notified, hybrid],
                        os.path.join(d, "connect.log"))
            try:
                wait_until(lambda: end_offsets(b, "hybrid", False) >= 3, 30, 0.05,
                           what="hybrid's first listing")
                wait_until(lambda: end_offsets(b, "notified", False) >= 1, 30, 0.05,
                           what="the listing at the start in notifications mode")
                lags = []
                for i in range(5):
                    t0 = time.monotonic()
                    land(n_in, d, "f%d.txt" % i, 4)
                    wait_until(lambda: end_offsets(b, "notified", False) >= 1 + 4 * (i + 1), 10,
                               0.01, what="file %d through inotify" % i)
                    lags.append(time.monotonic() - t0)
                # A hard link makes IN_CREATE only: no event the watcher takes.
                outside = os.path.join(d, "linked.txt")
                with open(outside, "w") as f:
                    f.write("linked-0\nlinked-1\n")
                os.link(outside, os.path.join(n_in, "linked.txt"))
                os.link(outside, os.path.join(h_in, "linked.txt"))
                wait_until(lambda: end_offsets(b, "hybrid", False) >= 5, 20, 0.05,
                           what="hybrid's backfill finding the linked file")
                # Notifications alone never list: the linked file is not read
                # (checked after hybrid found its twin, and once more later).
                land(n_in, d, "after.txt", 1)
                wait_until(lambda: end_offsets(b, "notified", False) >= 22, 10, 0.01,
                           what="the file after the link")
                notified_count = end_offsets(b, "notified", False)
            finally:
                assert c.stop() == 0, c.tail()
            assert notified_count == 22, notified_count
            got = read_topic(b, "notified", committed=False)[0]
            assert sorted(os.path.basename(k) for k, _ in got) == sorted(
                ["f%d.txt" % i for i in range(5) for _ in range(4)] + ["after.txt", "n-before.txt"]), got
            h = read_topic(b, "hybrid", committed=False)[0]
            assert [v for _, v in h] == ["before.txt-0", "before.txt-1", "before.txt-2",
                                         "linked-0", "linked-1"], h
            assert max(lags) < 3.0, lags
            print("  directory notifications: 5 files each seen %.0f-%.0f ms after landing "
                  "(listing every hour); hybrid found the pre-existing and the linked file"
                  % (min(lags) * 1000, max(lags) * 1000))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_tail_follows_rename_and_copytruncate_rotations,
         test_tail_read_from_end_partial_lines_and_restart,
         test_tail_kill9_exactly_once_across_rotation,
         test_directory_notifications_and_hybrid])
