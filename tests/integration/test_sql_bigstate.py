"""SQL state larger than memory (docs/sql/README.md, "State and memory"): with
--state-dir, relations' contents live in RocksDB alone, read through a cache
of --state-cache-mb. A `runnel sql` with a 16 MiB cache reads a source and an
upsert table whose contents are several times its memory bound, with views
over them, and is killed with -9 while it reads; after the restart every
view, one-off aggregate over the source and point lookup in the table equals
the same computation done here over every record produced, while the
process's resident memory (VmRSS, sampled all along) stays under the bound
and its state directory grows well past it.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python (confluent_kafka and psycopg, py/requirements.txt)."""

import base64
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time

import py_venv  # noqa: E402

py_venv.enter(__file__)

import psycopg  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402

# The source: ROWS records of ~420 bytes (a random, hardly compressible
# payload), ~450 MB of contents; the upsert table: KEYS keys written twice,
# a tenth deleted. In memory that would be far above RSS_LIMIT_MB.
ROWS = 1_000_000
KEYS = 60_000
GROUPS = 97
CACHE_MB = 16
RSS_LIMIT_MB = 200


class RssWatch:
    """Samples a process's VmRSS every 20 ms until stopped; keeps the largest."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_kb = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping.is_set():
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError):
                return
            self.stopping.wait(0.02)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return self.peak_kb / 1024


def dir_bytes(path):
    n = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                n += os.path.getsize(os.path.join(root, f))
            except FileNotFoundError:
                pass  # a file RocksDB just compacted away
    return n


def test_contents_larger_than_memory_through_kill9():
    rng = random.Random(int(os.environ.get("SQL_BIGSTATE_SEED", "15")))
    state = tempfile.mkdtemp(prefix="runnel-sql-bigstate-")
    with Broker(BINARY) as b:
        for t in ("big", "acct"):
            subprocess.run([BINARY, "topic", "create", t, "--partitions", "2", "-b", b.bootstrap],
                           check=True, capture_output=True, timeout=60)
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state,
                "--state-cache-mb", str(CACHE_MB))
        producer = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "log_level": 3,
                             "linger.ms": 20, "batch.size": 1 << 20})
        groups = {}  # grp -> [count, sum]
        filtered = [0, 0]  # amount % 10 = 0: count, sum of ids
        accounts = {}  # id -> (region, balance, payload)

        def produce_big(lo, hi):
            for i in range(lo, hi):
                grp, amount = i % GROUPS, (i * 7919) % 10007
                payload = base64.b64encode(rng.randbytes(300)).decode()
                producer.produce("big", value='{"id": %d, "grp": %d, "amount": %d, "payload": "%s"}'
                                 % (i, grp, amount, payload))
                g = groups.setdefault(grp, [0, 0])
                g[0] += 1
                g[1] += amount
                if amount % 10 == 0:
                    filtered[0] += 1
                    filtered[1] += i
                if i % 10000 == 0:
                    producer.poll(0)
            assert producer.flush(60) == 0

        def produce_acct(rounds):
            for _ in range(rounds):
                for k in range(KEYS):
                    if k in accounts and rng.random() < 0.1:
                        producer.produce("acct", key=str(k), value=None)
                        del accounts[k]
                        continue
                    row = (rng.choice(["eu", "us", "ap"]), rng.randint(0, 99999),
                           base64.b64encode(rng.randbytes(150)).decode())
                    accounts[k] = row
                    producer.produce("acct", key=str(k), value='{"id": %d, "region": "%s", "balance": %d, '
                                     '"payload": "%s"}' % ((k,) + row))
                    if k % 10000 == 0:
                        producer.poll(0)
            assert producer.flush(60) == 0

        def stats(pg):
            return {r[0]: r for r in pg.execute("SHOW STATS").fetchall()}

        def connect(s):
            return psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True)

        def check(s, what):
            """Every comparison, retried until it holds (the process may still be reading)."""
            def compare(pg):
                want_groups = sorted((g, c, s_) for g, (c, s_) in groups.items())
                got = sorted(tuple(int(x) for x in r) for r in pg.execute("SELECT * FROM big_stats").fetchall())
                if got != want_groups:
                    return "big_stats", got[:3], want_groups[:3]
                # The same as a one-off query over the source's contents: every row read from RocksDB.
                got = sorted(tuple(int(x) for x in r) for r in pg.execute(
                    "SELECT grp, count(*), sum(amount) FROM big GROUP BY grp").fetchall())
                if got != want_groups:
                    return "one-off GROUP BY over big", got[:3], want_groups[:3]
                if stats(pg)["big"][2] != ROWS:
                    return "SHOW STATS rows of big", stats(pg)["big"]
                got = tuple(int(x or 0) for x in pg.execute("SELECT count(*), sum(id) FROM big_filtered").fetchone())
                if got != tuple(filtered):
                    return "big_filtered", got, filtered
                got = tuple(int(x or 0) for x in pg.execute("SELECT count(*), sum(balance) FROM acct").fetchone())
                want = (len(accounts), sum(r[1] for r in accounts.values()))
                if got != want:
                    return "acct", got, want
                by_region = {}
                for region, balance, _ in accounts.values():
                    r = by_region.setdefault(region, [0, 0])
                    r[0] += 1
                    r[1] += balance
                got = sorted((r[0], int(r[1]), int(r[2])) for r in pg.execute("SELECT * FROM acct_regions"))
                if got != sorted((k, v[0], v[1]) for k, v in by_region.items()):
                    return "acct_regions", got, by_region
                for k in rng.sample(range(KEYS), 5):
                    got = [(r[0], int(r[1]), r[2]) for r in
                           pg.execute("SELECT region, balance, payload FROM acct WHERE id = %d" % k)]
                    if got != ([accounts[k]] if k in accounts else []):
                        return "acct key %d" % k, got, accounts.get(k)
                for i in rng.sample(range(ROWS), 3):
                    got = [tuple(int(x) for x in r) for r in pg.execute("SELECT grp, amount FROM big WHERE id = %d" % i)]
                    if got != [(i % GROUPS, (i * 7919) % 10007)]:
                        return "big id %d" % i, got
                return None

            with connect(s) as pg:
                last = [None]

                def holds():
                    last[0] = compare(pg)
                    return last[0] is None
                try:
                    wait_until(holds, timeout=60, interval=0.5, what="the results %s" % what)
                except TimeoutError:
                    raise AssertionError("%s: %r" % (what, last[0]))

        s = SqlServer(*args)
        watch = RssWatch(s.proc.pid)
        peaks = []
        try:
            with connect(s) as pg:
                # librdkafka fetches up to 64 MiB ahead per partition unless told otherwise
                # (docs/sql/README.md, "State and memory").
                fetch_ahead = "properties.queued.max.messages.kbytes = '8192'"
                pg.execute("CREATE SOURCE big (id BIGINT, grp INT, amount INT, payload TEXT) "
                           "WITH (connector = 'kafka', topic = 'big', %s) FORMAT PLAIN ENCODE JSON" % fetch_ahead)
                pg.execute("CREATE TABLE acct (id INT PRIMARY KEY, region TEXT, balance INT, payload TEXT) "
                           "WITH (connector = 'kafka', topic = 'acct', %s) FORMAT UPSERT ENCODE JSON" % fetch_ahead)
                pg.execute("CREATE MATERIALIZED VIEW big_stats AS SELECT grp, count(*) AS n, sum(amount) AS total "
                           "FROM big GROUP BY grp")
                pg.execute("CREATE MATERIALIZED VIEW big_filtered AS SELECT id, grp, payload FROM big "
                           "WHERE amount % 10 = 0")
                pg.execute("CREATE MATERIALIZED VIEW acct_regions AS SELECT region, count(*) AS n, "
                           "sum(balance) AS total FROM acct GROUP BY region")
            produce_acct(1)
            produce_big(0, ROWS // 2)
            with connect(s) as pg:
                wait_until(lambda: stats(pg)["big"][4] >= ROWS // 2, timeout=60, what="the first half")
            produce_acct(1)
            produce_big(ROWS // 2, ROWS)
            with connect(s) as pg:  # killed while it reads the second half
                wait_until(lambda: stats(pg)["big"][4] >= ROWS * 3 // 4, timeout=60, what="some of the second half")
            s.proc.kill()
            s.proc.wait()
            peaks.append(watch.stop())
            s = SqlServer(*args)
            watch = RssWatch(s.proc.pid)
            check(s, "after the kill -9")
            peaks.append(watch.stop())
            size_mb = dir_bytes(state) / (1 << 20)
            print("peak VmRSS %s MB; state directory %.0f MB" % (["%.0f" % p for p in peaks], size_mb))
            assert max(peaks) < RSS_LIMIT_MB, (peaks, RSS_LIMIT_MB)
            assert size_mb > 1.5 * RSS_LIMIT_MB, size_mb
        finally:
            watch.stop()
            assert s.stop() == 0, s.stderr()
    shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    run([test_contents_larger_than_memory_through_kill9])
