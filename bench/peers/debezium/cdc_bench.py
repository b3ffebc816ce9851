#!/usr/bin/env python3
"""runnel's PostgreSQL CDC connector beside Debezium's, on the same database
and the same workload in one run: event format field by field, and
throughput and lag under a pgbench load. Started by bench/peers/debezium/run
(which fetches Debezium and Kafka's Connect worker with Maven first); see
--help and the README beside this file."""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from db_servers import PG_BIN, PostgresServer  # noqa: E402
from harness import Broker, free_port, wait_until  # noqa: E402

CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
PEERS = ("runnel", "debezium")
PHASES = ("probe", "steady", "burst", "bulk")
TABLE_TOPIC = "bench.public.bench_rows"
SEQ_BASE = 1000000  # bench_ids starts after it; the pre-filled rows are 1..10000
BULK_BASE = 2000000


def log(msg):
    print("cdc-bench: " + msg, file=sys.stderr, flush=True)


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def psql(pg, sql=None, file=None):
    args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "\t", "-h", "127.0.0.1",
            "-p", str(pg.port), "-U", "postgres", "-d", "postgres"]
    args += ["-f", file] if file else ["-c", sql]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("psql failed (%s): %s" % (file or sql[:200], r.stderr))
    return [line.split("\t") for line in r.stdout.splitlines() if line]


def proc_cpu_seconds(pid):
    """User + system CPU seconds of a process (and its reaped children)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def proc_peak_rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def write_properties(path, props):
    with open(path, "w") as f:
        for k, v in props.items():
            f.write("%s=%s\n" % (k, str(v).replace("\\", "\\\\")))


# --------------------------------------------------------------------------
# The two peers: the same connector config, each in its own worker.


class Peer:
    """A Connect worker running one or more PostgreSQL CDC connectors."""

    def __init__(self, name, args, work):
        self.name = name
        self.args = args
        self.dir = os.path.join(work, name + "-%d" % int(time.time() * 1000))
        os.makedirs(self.dir)
        self.log_path = os.path.join(self.dir, "worker.log")
        self.proc = None

    def worker_props(self, broker):
        return {"bootstrap.servers": broker.bootstrap,
                "key.converter": JSON_CONVERTER,
                "value.converter": JSON_CONVERTER,
                "offset.storage.file.filename": os.path.join(self.dir, "connect.offsets"),
                "offset.flush.interval.ms": 5000}

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class RunnelPeer(Peer):
    def start(self, broker, connectors):
        worker = os.path.join(self.dir, "worker.properties")
        write_properties(worker, self.worker_props(broker))
        files = []
        for name, config in connectors:
            path = os.path.join(self.dir, name + ".json")
            with open(path, "w") as f:
                json.dump({"name": name, "config": config}, f, indent=1)
            files.append(path)
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.args.runnel, "connect", "run", "--connect-listen", "off",
                                      "-w", worker, *files], stdout=subprocess.PIPE, stderr=logf)
        logf.close()
        line = self.proc.stdout.readline()
        if not line.startswith(b"runnel connect: running"):
            self.stop()
            raise RuntimeError("runnel connect did not start: %r\n%s" % (line, self.tail()))


class DebeziumPeer(Peer):
    def start(self, broker, connectors):
        worker = os.path.join(self.dir, "worker.properties")
        rest_port = free_port()
        props = self.worker_props(broker)
        props.update({"plugin.path": self.args.plugins, "listeners": "http://127.0.0.1:%d" % rest_port})
        write_properties(worker, props)
        files = []
        for name, config in connectors:
            path = os.path.join(self.dir, name + ".properties")
            write_properties(path, {"name": name, **config})
            files.append(path)
        env = dict(os.environ)
        # connect-standalone.sh's heap; Kafka's G1 settings (run-class's default).
        env.setdefault("KAFKA_HEAP_OPTS", "-Xms256M -Xmx2G")
        env.setdefault("KAFKA_LOG_LEVEL", "INFO")
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([os.path.join(ROOT, "bench/peers/kafka/run-class"),
                                      "org.apache.kafka.connect.cli.ConnectStandalone", worker, *files],
                                     stdout=logf, stderr=subprocess.STDOUT, env=env)
        logf.close()

        def running():
            if self.proc.poll() is not None:
                raise RuntimeError("the Connect worker exited:\n" + self.tail())
            try:
                for name, _ in connectors:
                    with urllib.request.urlopen("http://127.0.0.1:%d/connectors/%s/status"
                                                % (rest_port, name), timeout=5) as r:
                        st = json.loads(r.read())
                    tasks = st.get("tasks", [])
                    if any(t["state"] == "FAILED" for t in tasks):
                        raise RuntimeError("Debezium's task failed: %s" % tasks)
                    if not tasks or any(t["state"] != "RUNNING" for t in tasks):
                        return False
                return True
            except OSError:
                return False
        wait_until(running, 180, 0.2, what="Debezium's connector tasks RUNNING")


def make_peer(name, args, work):
    return (RunnelPeer if name == "runnel" else DebeziumPeer)(name, args, work)


def connector_config(args, pg, prefix, slot, publication, include, snapshot_mode, extra=None):
    c = {"connector.class": CONNECTOR_CLASS, "tasks.max": "1",
         "database.hostname": "127.0.0.1", "database.port": str(pg.port),
         "database.user": "postgres", "database.password": "postgres",
         "database.dbname": "postgres", "topic.prefix": prefix, "plugin.name": "pgoutput",
         "slot.name": slot, "publication.name": publication,
         "table.include.list": include, "snapshot.mode": snapshot_mode}
    c.update(extra or {})
    for kv in args.set:
        k, _, v = kv.partition("=")
        c[k] = v
    return c


# --------------------------------------------------------------------------
# Reading topics back.


def read_topic(bootstrap, topic, timeout=60):
    """Every record of partition 0 of a topic, from the start to the end now:
    (key bytes, value bytes, headers dict)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "cdc-bench-read",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    return out
                continue
            out.append((m.key(), m.value(), {k: (v.decode(errors="replace") if v is not None else None)
                                             for k, v in (m.headers() or [])}))
        raise TimeoutError("reading %s did not reach its end" % topic)
    finally:
        c.close()


def topic_count(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "cdc-bench-count"})
    try:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        return hi - lo
    except Exception:  # an absent topic
        return -1
    finally:
        c.close()


OP_RE = re.compile(rb'"op"\s*:\s*"([a-z])"')
SOURCE_RE = re.compile(rb'"source"\s*:\s*\{')
TS_US_RE = re.compile(rb'"ts_us"\s*:\s*(\d+)')
TS_MS_RE = re.compile(rb'"ts_ms"\s*:\s*(\d+)')
KEY_ID_RE = re.compile(rb'"id"\s*:\s*(-?\d+)')


class PhaseStats:
    def __init__(self):
        self.lags = array("q")  # µs from commit to readable
        self.ops = {}
        self.tombstones = 0
        self.first_us = None
        self.last_us = None
        self.commit_min_us = None
        self.done_us = None


class LagConsumer(threading.Thread):
    """Reads the bench topic as it fills: for each change event, the time it
    became readable here minus its commit time (source.ts_us). Marker rows
    (negative ids) end a phase; everything before a marker on the topic's one
    partition was committed before it."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": "cdc-bench-lag",
                           "enable.auto.commit": False, "fetch.wait.max.ms": 5,
                           "fetch.min.bytes": 1, "enable.partition.eof": False})
        self.c.assign([TopicPartition(TABLE_TOPIC, 0, OFFSET_BEGINNING)])
        self.stats = {p: PhaseStats() for p in PHASES}
        self.phase = 0
        self.stopping = threading.Event()
        self.error = None

    def done(self, phase):
        return self.stats[phase].done_us is not None

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the main thread
            self.error = e

    def _run(self):
        while not self.stopping.is_set():
            msgs = self.c.consume(10000, 0.05)
            if not msgs:
                continue
            now = time.time_ns() // 1000
            for m in msgs:
                if m.error():
                    continue
                st = self.stats[PHASES[self.phase]]
                v = m.value()
                k = m.key() or b""
                km = KEY_ID_RE.search(k)
                kid = int(km.group(1)) if km else 0
                if kid < 0:
                    if v is None:
                        continue
                    if kid <= -1000:  # a probe
                        if self.phase == 0:
                            st.done_us = now
                            self.phase = 1
                    else:
                        i = -kid - 1
                        if i == self.phase and i < len(PHASES):
                            st.done_us = now
                            self.phase = min(i + 1, len(PHASES) - 1)
                    continue
                if st.first_us is None:
                    st.first_us = now
                st.last_us = now
                if v is None:
                    st.tombstones += 1
                    continue
                om = OP_RE.search(v)
                op = om.group(1).decode() if om else "?"
                st.ops[op] = st.ops.get(op, 0) + 1
                sm = SOURCE_RE.search(v, v.find(b'"payload"'))
                if not sm:
                    continue
                tm = TS_US_RE.search(v, sm.end())
                ts = int(tm.group(1)) if tm else int(TS_MS_RE.search(v, sm.end()).group(1)) * 1000
                st.lags.append(now - ts)
                if st.commit_min_us is None or ts < st.commit_min_us:
                    st.commit_min_us = ts

    def close(self):
        self.stopping.set()
        self.join(30)
        self.c.close()


def percentile(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(round(q * (len(sorted_vals) - 1))))]


# --------------------------------------------------------------------------
# Throughput and lag.


def setup_bench_tables(pg):
    psql(pg, "CREATE TABLE bench_rows (id bigint PRIMARY KEY, balance bigint NOT NULL, note text, "
             "updated timestamptz NOT NULL DEFAULT now());"
             "INSERT INTO bench_rows (id, balance, note) SELECT g, 0, md5(g::text) "
             "FROM generate_series(1, 10000) g;"
             "CREATE SEQUENCE bench_ids START %d;"
             "ANALYZE bench_rows;" % (SEQ_BASE + 1))


def db_counts(pg):
    inserted, live = psql(pg, "SELECT (SELECT CASE WHEN is_called THEN last_value - %d ELSE 0 END "
                              "FROM bench_ids), (SELECT count(*) FROM bench_rows WHERE id > %d AND id < %d)"
                              % (SEQ_BASE, SEQ_BASE, BULK_BASE))[0]
    return int(inserted), int(live)


def pgbench(args, pg, seconds, rate):
    cmd = [os.path.join(PG_BIN, "pgbench"), "-n", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
           "-c", str(args.clients), "-j", str(min(args.clients, 2)), "-T", str(seconds),
           "-f", os.path.join(HERE, "pgbench_mix.sql")]
    if rate:
        cmd += ["-R", str(rate)]
    out = subprocess.run(cmd + ["postgres"], capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError("pgbench failed:\n" + out.stdout + out.stderr)
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    return {"tps": float(m.group(1)) if m else float("nan"),
            "latency_ms": float(lat.group(1)) if lat else float("nan")}


def run_load(args, name, work):
    """One peer on a fresh PostgreSQL and a fresh runnel broker: the probe,
    then the steady (rate-limited), burst (unthrottled) and bulk phases."""
    res = {"peer": name, "phases": {}, "error": None}
    peer = None
    consumer = None
    with PostgresServer(settings={"max_connections": "200"}) as pg, \
            Broker(args.runnel, data_dir=tempfile.mkdtemp(prefix="cdc-bench-broker-", dir=work)) as b:
        try:
            setup_bench_tables(pg)
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            admin.create_topics([NewTopic(TABLE_TOPIC, 1, 1)])[TABLE_TOPIC].result(30)
            peer = make_peer(name, args, work)
            t0 = time.monotonic()
            peer.start(b, [("bench-" + name, connector_config(
                args, pg, "bench", "bench_slot", "bench_pub", "public.bench_rows", "no_data"))])
            consumer = LagConsumer(b.bootstrap)
            consumer.start()
            # Ready: the slot exists and is streaming, and a probe row made it
            # through (rows committed before the slot existed never arrive).
            wait_until(lambda: psql(pg, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'bench_slot' "
                                        "AND active") or not peer.alive(), 180, 0.2, what="the slot")
            probe = -1000
            deadline = time.monotonic() + 180
            while not consumer.done("probe"):
                if not peer.alive():
                    raise RuntimeError("%s's worker exited:\n%s" % (name, peer.tail()))
                if time.monotonic() > deadline:
                    raise TimeoutError("no probe event from %s:\n%s" % (name, peer.tail()))
                psql(pg, "INSERT INTO bench_rows (id, balance) VALUES (%d, 0)" % probe)
                probe -= 1
                _wait_quiet(lambda: consumer.done("probe"), 5)
            res["startup_s"] = time.monotonic() - t0
            log("%s: streaming %.1fs after start" % (name, res["startup_s"]))
            for i, phase in enumerate(PHASES[1:], start=1):
                if phase == "bulk" and not args.bulk_rows:
                    continue
                before = db_counts(pg)
                cpu0 = proc_cpu_seconds(peer.pid)
                t_start = time.time_ns() // 1000
                if phase == "steady":
                    load = pgbench(args, pg, args.steady_seconds, args.rate)
                elif phase == "burst":
                    load = pgbench(args, pg, args.burst_seconds, 0)
                else:
                    t = time.monotonic()
                    psql(pg, "INSERT INTO bench_rows (id, balance, note) SELECT g, g, md5(g::text) "
                             "FROM generate_series(%d, %d) g" % (BULK_BASE + 1, BULK_BASE + args.bulk_rows))
                    load = {"tps": float("nan"), "latency_ms": (time.monotonic() - t) * 1000}
                after = db_counts(pg)
                psql(pg, "INSERT INTO bench_rows (id, balance, note) VALUES (%d, 0, 'marker')" % -(i + 1))
                limit = time.monotonic() + args.drain_timeout
                while not consumer.done(phase):
                    if consumer.error:
                        raise consumer.error
                    if not peer.alive():
                        raise RuntimeError("%s's worker exited:\n%s" % (name, peer.tail()))
                    if time.monotonic() > limit:
                        raise TimeoutError("%s: %s not drained in %ds" % (name, phase, args.drain_timeout))
                    time.sleep(0.05)
                cpu = proc_cpu_seconds(peer.pid) - cpu0
                if phase == "bulk":
                    expect = {"c": args.bulk_rows}
                else:
                    ins = after[0] - before[0]
                    dels = ins - (after[1] - before[1])
                    expect = {"c": ins, "u": ins, "d": dels}
                st = consumer.stats[phase]
                lags = sorted(st.lags)
                n = sum(st.ops.values())
                span = (st.last_us - t_start) / 1e6 if st.last_us else float("nan")
                r = {"events": n, "ops": dict(st.ops), "expected": expect,
                     "complete": all(st.ops.get(k, 0) == v for k, v in expect.items()),
                     "tombstones": st.tombstones, "load_tps": load["tps"], "load_latency_ms": load["latency_ms"],
                     "span_s": span, "events_per_s": n / span if span else float("nan"),
                     "lag_p50_ms": percentile(lags, 0.50) / 1000, "lag_p99_ms": percentile(lags, 0.99) / 1000,
                     "lag_max_ms": (lags[-1] / 1000) if lags else float("nan"),
                     "cpu_s": cpu}
                if phase == "bulk" and st.first_us:
                    r["stream_events_per_s"] = n / max(1e-6, (st.last_us - st.first_us) / 1e6)
                    r["commit_to_first_ms"] = (st.first_us - st.commit_min_us) / 1000
                    r["commit_to_last_ms"] = (st.last_us - st.commit_min_us) / 1000
                res["phases"][phase] = r
                log("%s %s: %s" % (name, phase, json.dumps(r)))
            res["peak_rss_mib"] = proc_peak_rss_mib(peer.pid)
            # The reader's own ceiling: the whole topic again, as fast as it goes.
            res["reader_records_per_s"] = reader_ceiling(b.bootstrap)
        except Exception as e:  # the other peer still runs; the report says what failed
            res["error"] = "%s: %s" % (type(e).__name__, e)
            log("%s failed: %s" % (name, res["error"]))
        finally:
            if consumer:
                consumer.close()
            if peer:
                peer.stop()
                if args.keep:
                    log("%s's worker log: %s" % (name, peer.log_path))
    return res


def _wait_quiet(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        time.sleep(0.02)


def reader_ceiling(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "cdc-bench-ceiling",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(TABLE_TOPIC, 0, OFFSET_BEGINNING)])
        n = 0
        t = time.monotonic()
        deadline = t + 300
        eof = False
        while not eof and time.monotonic() < deadline:
            for m in c.consume(10000, 1.0):
                if m.error():
                    eof = eof or m.error().code() == -191
                    continue
                v = m.value()
                KEY_ID_RE.search(m.key() or b"")
                if v is not None:
                    sm = SOURCE_RE.search(v, v.find(b'"payload"'))
                    OP_RE.search(v)
                    if sm:
                        TS_US_RE.search(v, sm.end())
                n += 1
        return n / max(1e-6, time.monotonic() - t)
    finally:
        c.close()


# --------------------------------------------------------------------------
# Event format, field by field.

PREFIX = {"runnel": "rnfmt", "debezium": "dbzfmt"}
# Fields that must differ between two connectors reading the same changes.
IGNORED = {
    "value.payload.source.version": "the connector's version",
    "value.payload.ts_ms": "when the connector made the event",
    "value.payload.ts_us": "when the connector made the event",
    "value.payload.ts_ns": "when the connector made the event",
}
# In snapshot events (op r), what depends on when each connector made its
# own slot and read its own snapshot.
IGNORED_SNAPSHOT = {
    "value.payload.source.ts_ms": "when the snapshot was read",
    "value.payload.source.ts_us": "when the snapshot was read",
    "value.payload.source.ts_ns": "when the snapshot was read",
    "value.payload.source.lsn": "the connector's own slot's start",
    "value.payload.source.txId": "the snapshot transaction",
    "value.payload.source.sequence": "the connector's own slot's start",
}


def normalize(x, prefix):
    """Replaces the topic prefix in names (schema names, source.name)."""
    if isinstance(x, dict):
        return {k: normalize(v, prefix) for k, v in x.items()}
    if isinstance(x, list):
        return [normalize(v, prefix) for v in x]
    if isinstance(x, str):
        if x == prefix:
            return "<prefix>"
        if x.startswith(prefix + "."):
            return "<prefix>" + x[len(prefix):]
    return x


def parse_json(b):
    if b is None:
        return None
    try:
        return json.loads(b)
    except ValueError:
        return {"<not JSON>": b.decode(errors="replace")}


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a.keys()) + [k for k in b.keys() if k not in a]:
            if k not in a:
                out.append((path + "." + k, "<absent>", b[k]))
            elif k not in b:
                out.append((path + "." + k, a[k], "<absent>"))
            else:
                diff(a[k], b[k], path + "." + k, out)
        return
    if (isinstance(a, list) and isinstance(b, list) and a and b
            and all(isinstance(x, dict) and "field" in x for x in a + b)):
        # Connect schema fields: by name, then their order.
        fa = {x["field"]: x for x in a}
        fb = {x["field"]: x for x in b}
        for k in list(fa) + [k for k in fb if k not in fa]:
            diff(fa.get(k, "<absent>"), fb.get(k, "<absent>"), path + "[" + k + "]", out)
        common_a = [k for k in fa if k in fb]
        common_b = [k for k in fb if k in fa]
        if common_a != common_b:
            out.append((path + "(field order)", common_a, common_b))
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out)
        return
    if a != b or type(a) is not type(b):
        out.append((path, a, b))


def list_topics(bootstrap, prefix):
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return sorted(t[len(prefix) + 1:] for t in md.topics if t.startswith(prefix + "."))


def run_format(args, work):
    """Both connectors at once on one database and one broker, each with its
    own slot, publication and topic prefix; the same changes; every event
    compared."""
    res = {"error": None, "tables": {}, "diffs": [], "ignored": {}}
    peers = []
    with PostgresServer() as pg, \
            Broker(args.runnel, data_dir=tempfile.mkdtemp(prefix="cdc-fmt-broker-", dir=work)) as b:
        try:
            psql(pg, file=os.path.join(HERE, "format_setup.sql"))
            for name in PEERS:
                p = make_peer(name, args, work)
                p.start(b, [("fmt-" + name, connector_config(
                    args, pg, PREFIX[name], PREFIX[name] + "_slot", PREFIX[name] + "_pub",
                    r"public\.fmt_.*", "initial", {"skipped.operations": "none"}))])
                peers.append(p)
            # Both snapshots read (fmt_types holds two rows, fmt_full one).
            for name in PEERS:
                wait_until(lambda: topic_count(b.bootstrap, PREFIX[name] + ".public.fmt_types") >= 2
                           and topic_count(b.bootstrap, PREFIX[name] + ".public.fmt_full") >= 1,
                           240, 0.2, what="%s's snapshot" % name)
            psql(pg, file=os.path.join(HERE, "format_changes.sql"))
            for name in PEERS:
                try:
                    wait_until(lambda: topic_count(b.bootstrap, PREFIX[name] + ".public.fmt_marker") >= 1,
                               120, 0.2, what="%s's marker event" % name)
                except TimeoutError as e:
                    res.setdefault("incomplete", []).append("%s: %s" % (name, e))
            # Settle: every topic's count unchanged for two seconds.
            last = None
            for _ in range(60):
                now = {n: [(t, topic_count(b.bootstrap, PREFIX[n] + "." + t))
                           for t in list_topics(b.bootstrap, PREFIX[n])] for n in PEERS}
                if now == last:
                    break
                last = now
                time.sleep(2)
            recs = {n: {t: read_topic(b.bootstrap, PREFIX[n] + "." + t) for t in list_topics(b.bootstrap, PREFIX[n])}
                    for n in PEERS}
            res["raw"] = {n: {t: [[k.decode(errors="replace") if k else None,
                                   v.decode(errors="replace") if v else None, h] for k, v, h in rs]
                              for t, rs in recs[n].items()} for n in PEERS}
            for t in sorted(set(recs["runnel"]) | set(recs["debezium"])):
                ra, rb = recs["runnel"].get(t, []), recs["debezium"].get(t, [])
                res["tables"][t] = {"runnel": len(ra), "debezium": len(rb)}
                for i in range(max(len(ra), len(rb))):
                    if i >= len(ra) or i >= len(rb):
                        res["diffs"].append({"table": t, "event": i, "op": "", "path": "<record>",
                                             "runnel": "present" if i < len(ra) else "<absent>",
                                             "debezium": "present" if i < len(rb) else "<absent>"})
                        continue
                    ka, va, ha = ra[i]
                    kb, vb, hb = rb[i]
                    a = normalize({"key": parse_json(ka), "value": parse_json(va), "headers": ha}, PREFIX["runnel"])
                    bb = normalize({"key": parse_json(kb), "value": parse_json(vb), "headers": hb},
                                   PREFIX["debezium"])
                    out = []
                    diff(a, bb, "", out)
                    pv = (a["value"] or {}).get("payload") if isinstance(a["value"], dict) else None
                    pvb = (bb["value"] or {}).get("payload") if isinstance(bb["value"], dict) else None
                    op = (pv or pvb or {}).get("op", "tombstone" if va is None else "")
                    for path, x, y in out:
                        path = path.lstrip(".")
                        why = IGNORED.get(path) or (IGNORED_SNAPSHOT.get(path) if op == "r" else None)
                        if why:
                            res["ignored"][path] = why
                            continue
                        res["diffs"].append({"table": t, "event": i, "op": op, "path": path,
                                             "runnel": x, "debezium": y})
        except Exception as e:
            res["error"] = "%s: %s" % (type(e).__name__, e)
            log("format comparison failed: " + res["error"])
        finally:
            for p in peers:
                if not p.alive():
                    res.setdefault("incomplete", []).append("%s's worker had exited:\n%s" % (p.name, p.tail()))
                p.stop()
    return res


# --------------------------------------------------------------------------
# Report.


def short(v, n=70):
    s = v if isinstance(v, str) else json.dumps(v)
    s = s.replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= n else s[:n - 1] + "…"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%d cores (%s), %.0f GiB, Linux %s" % (os.cpu_count(), cpu, mem, platform.release())


def fmt(x, digits=0):
    if isinstance(x, float) and x != x:
        return "–"
    return ("{:,.%df}" % digits).format(x)


def report(args, meta, loads, fmtres):
    p = print
    p("## runnel vs Debezium %s: PostgreSQL CDC, same database, same workload\n" % meta["debezium"])
    p("- command: `%s`" % meta["command"])
    p("- when: %s → %s (UTC)" % (meta["start"], meta["end"]))
    p("- machine: %s" % meta["machine"])
    p("- load before: `%s`" % meta["uptime_before"])
    p("- load after: `%s`" % meta["uptime_after"])
    p("- peers: runnel `connect run` (%s); Debezium %s in Apache Kafka %s's Connect standalone "
      "worker; both write to a runnel broker, JsonConverter with schemas, PostgreSQL 15, pgoutput"
      % (meta["runnel"], meta["debezium"], meta["kafka"]))
    if args.set:
        p("- connector settings added to both: `%s`" % " ".join(args.set))
    p()
    if loads:
        p("### Throughput and lag\n")
        p("Each peer on a fresh PostgreSQL and a fresh broker; lag = when the event "
          "was readable by a consumer − the transaction's commit time (`source.ts_us`). "
          "steady: pgbench %d clients at %d tps for %d s; burst: pgbench %d clients "
          "unthrottled for %d s; bulk: one transaction inserting %d rows.\n"
          % (args.clients, args.rate, args.steady_seconds, args.clients, args.burst_seconds, args.bulk_rows))
        p("| round | phase | peer | pgbench tps | change events | all there | events/s | lag p50 ms | "
          "lag p99 ms | lag max ms | connector CPU s |")
        p("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|")
        for rnd, res in loads:
            for ph in PHASES[1:]:
                r = res["phases"].get(ph)
                if not r:
                    continue
                p("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    rnd, ph, res["peer"], fmt(r["load_tps"]), fmt(r["events"]),
                    "yes" if r["complete"] else "NO (%s of %s)" % (r["ops"], r["expected"]),
                    fmt(r["events_per_s"]), fmt(r["lag_p50_ms"], 1), fmt(r["lag_p99_ms"], 1),
                    fmt(r["lag_max_ms"], 1), fmt(r["cpu_s"], 1)))
        p()
        bulk = [(rnd, res) for rnd, res in loads if "bulk" in res["phases"]]
        if bulk:
            p("| round | bulk %d rows | peer | events/s (first → last event) | commit → first event ms | "
              "commit → last event ms |" % args.bulk_rows)
            p("|---|---|---|---:|---:|---:|")
            for rnd, res in bulk:
                r = res["phases"]["bulk"]
                p("| %d | | %s | %s | %s | %s |" % (rnd, res["peer"], fmt(r.get("stream_events_per_s", float("nan"))),
                                                   fmt(r.get("commit_to_first_ms", float("nan"))),
                                                   fmt(r.get("commit_to_last_ms", float("nan")))))
            p()
        for rnd, res in loads:
            extra = []
            if "startup_s" in res:
                extra.append("streaming %.1f s after start" % res["startup_s"])
            if "peak_rss_mib" in res:
                extra.append("peak RSS %.0f MiB" % res["peak_rss_mib"])
            if "reader_records_per_s" in res:
                extra.append("the lag reader re-reads the topic at %s records/s" % fmt(res["reader_records_per_s"]))
            if res["error"]:
                extra.append("FAILED: " + res["error"].splitlines()[0])
            p("- round %d, %s: %s" % (rnd, res["peer"], "; ".join(extra)))
        p()
    if fmtres:
        p("### Event format\n")
        p("Both connectors at once on one database (their own slot, publication and "
          "topic prefix), the changes of `format_changes.sql` after a snapshot of "
          "`format_setup.sql`'s rows. Records per topic (runnel / Debezium): " + ", ".join(
              "%s %d/%d" % (t, c["runnel"], c["debezium"]) for t, c in fmtres["tables"].items()))
        p()
        if fmtres.get("error"):
            p("FAILED: " + fmtres["error"])
        for s in fmtres.get("incomplete", []):
            p("- incomplete: " + s.splitlines()[0])
        p("Ignored (must differ): " + ", ".join("`%s` (%s)" % (k, v) for k, v in sorted(fmtres["ignored"].items())))
        p()
        groups = {}
        for d in fmtres["diffs"]:
            path = re.sub(r"\[\d+\]", "[i]", d["path"])
            g = groups.setdefault((d["table"], path), [])
            g.append(d)
        if not groups:
            p("No other difference.")
        else:
            p("| table | field | events | first (event, op) | runnel | Debezium |")
            p("|---|---|---:|---|---|---|")
            for (t, path), ds in sorted(groups.items()):
                d = ds[0]
                p("| %s | `%s` | %d | %d, %s | %s | %s |" % (t, path, len(ds), d["event"], d["op"],
                                                          short(d["runnel"]), short(d["debezium"])))
        p()


def main():
    ap = argparse.ArgumentParser(
        prog="bench/peers/debezium/run",
        description="runnel's PostgreSQL CDC connector beside Debezium's (%s) on the same PostgreSQL 15 "
                    "and the same changes: event format field by field, then throughput and "
                    "commit-to-readable lag under pgbench. Prints a Markdown report on stdout."
                    % "3.6.1.Final")
    ap.add_argument("--runnel", default=os.path.join(ROOT, "build", "runnel"), help="runnel binary")
    ap.add_argument("--plugins", help="Kafka Connect plugin.path holding Debezium's connector "
                                      "(the run script fills .cache/debezium/plugins)")
    ap.add_argument("--peers", default="runnel,debezium", help="load-phase peers, in order")
    ap.add_argument("--rounds", type=int, default=1, help="load rounds (each runs every peer once)")
    ap.add_argument("--clients", type=int, default=8, help="pgbench clients")
    ap.add_argument("--rate", type=int, default=500, help="steady phase: pgbench transactions/s")
    ap.add_argument("--steady-seconds", type=int, default=30)
    ap.add_argument("--burst-seconds", type=int, default=30, help="unthrottled pgbench")
    ap.add_argument("--bulk-rows", type=int, default=100000, help="rows in the bulk transaction (0: none)")
    ap.add_argument("--drain-timeout", type=int, default=600, help="seconds to wait for a phase's events")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a connector setting for both peers (repeatable)")
    ap.add_argument("--skip-format", action="store_true", help="no format comparison")
    ap.add_argument("--skip-load", action="store_true", help="no throughput/lag phases")
    ap.add_argument("--results", help="write the raw results (JSON, the events of both peers) here")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--dir", default="/var/tmp", help="scratch directory parent")
    ap.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not os.access(args.runnel, os.X_OK):
        ap.error("no runnel binary at %s" % args.runnel)
    if not args.plugins or not os.path.isdir(args.plugins):
        ap.error("--plugins must name a Kafka Connect plugin directory holding Debezium's connector")
    peers = [x for x in args.peers.split(",") if x]
    for x in peers:
        if x not in PEERS:
            ap.error("unknown peer %s (runnel, debezium)" % x)
    for kv in args.set:
        if "=" not in kv:
            ap.error("--set %s: expected KEY=VALUE" % kv)

    work = tempfile.mkdtemp(prefix="cdc-bench.", dir=args.dir)
    meta = {"command": args.command or " ".join(sys.argv), "machine": machine(),
            "start": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "uptime_before": sh(["uptime"]).strip()}
    meta["runnel"] = sh([args.runnel, "--version"]).strip()
    jars = os.listdir(os.path.join(args.plugins, "debezium-connector-postgres"))
    dbz = [j for j in jars if j.startswith("debezium-connector-postgres-")]
    meta["debezium"] = dbz[0][len("debezium-connector-postgres-"):-4] if dbz else "?"
    klib = os.environ.get("KAFKA_LIB", os.path.join(ROOT, ".cache/kafka/lib"))
    kj = [j for j in os.listdir(klib) if j.startswith("connect-runtime-")] if os.path.isdir(klib) else []
    meta["kafka"] = kj[0][len("connect-runtime-"):-4] if kj else "?"
    fmtres = None
    loads = []
    try:
        if not args.skip_format:
            log("format comparison")
            fmtres = run_format(args, work)
        if not args.skip_load:
            for rnd in range(1, args.rounds + 1):
                for name in peers:
                    log("round %d: %s" % (rnd, name))
                    loads.append((rnd, run_load(args, name, work)))
    finally:
        meta["end"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        meta["uptime_after"] = sh(["uptime"]).strip()
        report(args, meta, loads, fmtres)
        if args.results:
            os.makedirs(args.results, exist_ok=True)
            with open(os.path.join(args.results, "cdc-bench.json"), "w") as f:
                json.dump({"meta": meta, "load": loads, "format": fmtres}, f, indent=1, default=str)
        if args.keep:
            log("scratch directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = any(r["error"] for _, r in loads) or (fmtres and fmtres.get("error"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
