"""Operator state larger than memory (docs/sql/README.md, "State and
memory"): with --state-dir, views' operator tables stay in memory while they
fit --operator-cache-mb and are spilled to RocksDB past it. A `runnel sql`
with a 16 MiB operator budget keeps a GROUP BY over 600k distinct keys and a
join of two 200k-row sources (state that, held whole in memory, took
runnel before spilling to peaks of 210 and 293 MB here), is killed
with -9 while it reads, and after the restart every view equals the same
computation done here over every record produced, while its resident
memory (VmRSS, sampled all along) stays under RSS_LIMIT_MB.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python (psycopg, py/requirements.txt)."""

import bisect
import shutil
import subprocess
import tempfile

import py_venv  # noqa: E402

py_venv.enter(__file__)

import psycopg  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_bigstate import RssWatch, dir_bytes  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402

# EVENTS records over KEYS distinct keys (the first KEYS make a group each,
# the rest update groups written long before, on disk by then); ORDERS
# orders, each of a customer of its own, and as many customers.
EVENTS = 720_000
KEYS = 600_000
ORDERS = 200_000
REGIONS = 7
OPERATOR_MB = 16
CACHE_MB = 16
RSS_LIMIT_MB = 230


def test_operator_state_larger_than_memory_through_kill9():
    state = tempfile.mkdtemp(prefix="runnel-sql-opstate-")
    with Broker(BINARY) as b:
        for t in ("ev", "orders", "custs"):
            subprocess.run([BINARY, "topic", "create", t, "--partitions", "2", "-b", b.bootstrap],
                           check=True, capture_output=True, timeout=60)
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state,
                "--state-cache-mb", str(CACHE_MB), "--operator-cache-mb", str(OPERATOR_MB))
        groups = {}  # k -> [count, sum]
        regions = {}  # region -> [count, sum of amounts]

        def produce(topic, lines):
            # runnel produce: a line per record, ten times as fast as a Python loop over a client.
            p = subprocess.run([BINARY, "produce", topic, "-b", b.bootstrap], input="".join(lines).encode(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
            assert p.returncode == 0, p.stderr

        def produce_events(lo, hi):
            lines = []
            for i in range(lo, hi):
                k, v = (i * 999983) % KEYS, i % 1000
                lines.append('{"k": %d, "v": %d}\n' % (k, v))
                g = groups.setdefault(k, [0, 0])
                g[0] += 1
                g[1] += v
            produce("ev", lines)

        def produce_orders(lo, hi):
            custs, orders = [], []
            for i in range(lo, hi):
                cust = (i * 7919) % ORDERS  # a permutation: every customer has one order
                region = cust % REGIONS
                custs.append('{"id": %d, "region": %d}\n' % (cust, region))
                orders.append('{"id": %d, "cust": %d, "amount": %d}\n' % (i, cust, i % 997))
                r = regions.setdefault(region, [0, 0])
                r[0] += 1
                r[1] += i % 997
            produce("custs", custs)
            produce("orders", orders)

        def read(pg, source):
            return {r[0]: r for r in pg.execute("SHOW STATS").fetchall()}[source][2]

        def connect(s):
            return psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True)

        def compare(pg, want_groups):
            want = sorted((r, n, t) for r, (n, t) in regions.items())
            got = sorted(tuple(int(x) for x in r) for r in pg.execute("SELECT * FROM by_region").fetchall())
            if got != want:
                return "by_region", got, want
            # A slice at a time: a one-off query's answer waits whole in the server's memory.
            step = KEYS // 10
            for lo in range(0, KEYS, step):
                got = sorted(tuple(int(x) for x in r) for r in pg.execute(
                    "SELECT k, n, total FROM per_key WHERE k >= %d AND k < %d" % (lo, lo + step)))
                want = want_groups[bisect.bisect_left(want_groups, (lo,)):bisect.bisect_left(want_groups, (lo + step,))]
                if got != want:
                    return "per_key [%d, %d): %d groups, want %d" % (lo, lo + step, len(got), len(want)), \
                        sorted(set(got) ^ set(want))[:3]
            return None

        s = SqlServer(*args)
        watch = RssWatch(s.proc.pid)
        peaks = []
        try:
            with connect(s) as pg:
                # librdkafka fetches up to 64 MiB or 100k records ahead per partition unless told
                # otherwise, and each record costs it bookkeeping besides its payload.
                fetch_ahead = ("properties.queued.max.messages.kbytes = '4096', "
                               "properties.queued.min.messages = '10000'")
                pg.execute("CREATE SOURCE ev (k BIGINT, v INT) WITH (connector = 'kafka', topic = 'ev', %s) "
                           "FORMAT PLAIN ENCODE JSON" % fetch_ahead)
                pg.execute("CREATE SOURCE orders (id BIGINT, cust BIGINT, amount INT) WITH (connector = 'kafka', "
                           "topic = 'orders', %s) FORMAT PLAIN ENCODE JSON" % fetch_ahead)
                pg.execute("CREATE SOURCE custs (id BIGINT, region INT) WITH (connector = 'kafka', "
                           "topic = 'custs', %s) FORMAT PLAIN ENCODE JSON" % fetch_ahead)
                pg.execute("CREATE MATERIALIZED VIEW per_key AS SELECT k, count(*) AS n, sum(v) AS total "
                           "FROM ev GROUP BY k")
                pg.execute("CREATE MATERIALIZED VIEW by_region AS SELECT c.region, count(*) AS n, "
                           "sum(o.amount) AS total FROM orders o JOIN custs c ON o.cust = c.id GROUP BY c.region")
            produce_orders(0, ORDERS)
            produce_events(0, EVENTS)
            with connect(s) as pg:  # killed while it reads the events
                wait_until(lambda: read(pg, "ev") >= EVENTS // 2, timeout=120, interval=0.2,
                           what="half of the events")
            s.proc.kill()
            s.proc.wait()
            peaks.append(watch.stop())
            s = SqlServer(*args)
            watch = RssWatch(s.proc.pid)
            with connect(s) as pg:
                wait_until(lambda: read(pg, "ev") >= EVENTS and read(pg, "custs") >= ORDERS
                           and read(pg, "orders") >= ORDERS, timeout=120, interval=0.2,
                           what="every record after the kill -9")
                last = [None]
                want_groups = sorted((k, n, t) for k, (n, t) in groups.items())

                def holds():
                    last[0] = compare(pg, want_groups)
                    return last[0] is None
                try:
                    wait_until(holds, timeout=30, interval=0.5, what="the results after the kill -9")
                except TimeoutError:
                    raise AssertionError(repr(last[0]))
            peaks.append(watch.stop())
            print("peak VmRSS %s MB (bound %d); state directory %.0f MB" % (
                ["%.0f" % p for p in peaks], RSS_LIMIT_MB, dir_bytes(state) / (1 << 20)))
            assert max(peaks) < RSS_LIMIT_MB, (peaks, RSS_LIMIT_MB)
        finally:
            watch.stop()
            assert s.stop() == 0, s.stderr()
    shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    run([test_operator_state_larger_than_memory_through_kill9])
