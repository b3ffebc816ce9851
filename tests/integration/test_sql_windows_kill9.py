"""Windowed state through kill -9 (src/sql/README.md, "Durable state"): a
commit writes only the net change of each operator key, and the groups of a
window closed by the watermark go as one RocksDB range deletion when no key
is held between them. A `runnel sql` with --state-dir keeps a HOP count per
key (updated on every row, groups closed as the watermark passes) and an
EMIT ON WINDOW CLOSE TUMBLE sum; it is killed with -9 three times while it
reads, restarted each time, and then both views must equal the same
computation done here over every record (an open group deleted with a
closed window's range would come back from a restart missing), and the
HOP view's operator state must hold about the open windows, not all the
groups it made. (A closed group left in the store would not show: a
restart closes again what the watermark passed.) Runs of deletes with
keys held between them, which this workload does not make (a window's
groups are a prefix of the table), are checked by the unit test
StateStore.CachedTablesCommitTheNetChangeOfAnEpoch.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python (psycopg, py/requirements.txt)."""

import datetime
import os
import random
import shutil
import subprocess
import tempfile

import py_venv  # noqa: E402

py_venv.enter(__file__)

import psycopg  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402

EVENTS = 200_000
KEYS = 40
STEP_MS = 10  # event time between records: 100 records per second
BASE_MS = 1_700_000_000_000
KILLS = 3
EPOCH = datetime.datetime(1970, 1, 1)


def ts_text(ms):
    """Epoch milliseconds as the TIMESTAMP text a JSON source reads."""
    return (EPOCH + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def at_second(sec):
    """A window bound as psycopg returns a TIMESTAMP."""
    return EPOCH + datetime.timedelta(seconds=sec)


def test_windows_through_kill9():
    seed = int(os.environ.get("SQL_WINDOWS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    state = tempfile.mkdtemp(prefix="runnel-sql-windows-")
    with Broker(BINARY) as b:
        subprocess.run([BINARY, "topic", "create", "ev", "--partitions", "1", "-b", b.bootstrap],
                       check=True, capture_output=True, timeout=60)
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state)
        hop = {}  # (window start s, k) -> count
        tumble = {}  # window end s -> sum of v
        lines = []
        for i in range(EVENTS):
            ms = BASE_MS + i * STEP_MS
            k, v = (i * 7) % KEYS, i % 13
            lines.append('{"k": %d, "v": %d, "t": "%s"}\n' % (k, v, ts_text(ms)))
            sec = ms // 1000
            for start in (sec - 2, sec - 1, sec):  # HOP 1 s slide, 3 s size
                hop[(start, k)] = hop.get((start, k), 0) + 1
            end = (ms // 5000 + 1) * 5
            tumble[end] = tumble.get(end, 0) + v
        p = subprocess.run([BINARY, "produce", "ev", "-b", b.bootstrap], input="".join(lines).encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        assert p.returncode == 0, p.stderr
        # The watermark (ts - 1 s) stays below the last records: only windows
        # ending at or before it are final; the EOWC view holds only those.
        last_ms = BASE_MS + (EVENTS - 1) * STEP_MS
        watermark_s = (last_ms - 1000) / 1000
        want_tumble = sorted((at_second(end), s) for end, s in tumble.items() if end <= watermark_s)
        want_hop = sorted((at_second(start), k, n) for (start, k), n in hop.items())

        def connect(s):
            return psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True)

        def stats(pg):
            return {r[0]: r for r in pg.execute("SHOW STATS").fetchall()}

        s = SqlServer(*args)
        try:
            with connect(s) as pg:
                pg.execute("CREATE SOURCE ev (k INT, v INT, t TIMESTAMP, "
                           "WATERMARK FOR t AS t - INTERVAL '1' SECOND) WITH (connector = 'kafka', topic = 'ev', "
                           "scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON")
                pg.execute("CREATE MATERIALIZED VIEW hop_counts AS SELECT window_start, k, count(*) AS n "
                           "FROM HOP(ev, t, INTERVAL '1' SECOND, INTERVAL '3' SECOND) GROUP BY window_start, k")
                pg.execute("CREATE MATERIALIZED VIEW tumble_sums AS SELECT window_end, sum(v) AS total "
                           "FROM TUMBLE(ev, t, INTERVAL '5' SECOND) GROUP BY window_end EMIT ON WINDOW CLOSE")
            for kill in range(KILLS):
                at = EVENTS * (kill + 1) // (KILLS + 1) + rng.randrange(EVENTS // 10)
                with connect(s) as pg:
                    wait_until(lambda: stats(pg)["ev"][2] >= at, timeout=120, interval=0.05,
                               what="%d records before kill %d" % (at, kill))
                s.proc.kill()
                s.proc.wait()
                s = SqlServer(*args)
            with connect(s) as pg:
                wait_until(lambda: stats(pg)["ev"][2] >= EVENTS, timeout=120, interval=0.2,
                           what="every record after %d kills" % KILLS)
                last = [None]

                def holds():
                    got_hop = sorted((r[0], int(r[1]), int(r[2])) for r in pg.execute(
                        "SELECT window_start, k, n FROM hop_counts").fetchall())
                    got_tumble = sorted((r[0], int(r[1])) for r in pg.execute(
                        "SELECT window_end, total FROM tumble_sums").fetchall())
                    last[0] = None
                    if got_hop != want_hop:
                        last[0] = ("hop_counts", len(got_hop), len(want_hop), sorted(set(got_hop) ^ set(want_hop))[:4])
                    elif got_tumble != want_tumble:
                        last[0] = ("tumble_sums", len(got_tumble), len(want_tumble),
                                   sorted(set(got_tumble) ^ set(want_tumble))[:4])
                    return last[0] is None
                try:
                    wait_until(holds, timeout=30, interval=0.5, what="the views after %d kills" % KILLS)
                except TimeoutError:
                    raise AssertionError("SQL_WINDOWS_SEED=%d: %r" % (seed, last[0]))
                # SHOW STATS: name, kind, rows, state bytes, ... The HOP view's
                # operators hold the open windows (those the watermark has not
                # closed: a few starts of KEYS groups each), not the 80k groups
                # it made.
                row = stats(pg)["hop_counts"]
                print("  %d records, %d kills, hop_counts %d rows, %d state bytes, SQL_WINDOWS_SEED=%d" % (
                    EVENTS, KILLS, row[2], row[3], seed))
                assert row[3] <= 6 * KEYS * 64, row
        finally:
            assert s.stop() == 0, s.stderr()
    shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    run([test_windows_through_kill9])
