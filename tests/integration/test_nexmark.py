"""Nexmark's queries in runnel SQL checked against DuckDB on the same events
(docs/sql/nexmark.md): `runnel nexmark` writes a small deterministic event
set into the three topics of a real broker, `runnel sql` maintains every
query of bench/nexmark/queries/ as a materialized view over sources on them,
and once the sources have read every event each view must equal DuckDB's
answer to the same query (bench/nexmark/queries/duckdb/ where DuckDB spells
it differently) over the records read back from the topics, as multisets.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python (DuckDB and psycopg, py/requirements.txt). NEXMARK_SEED=n picks the
seed (default: a new one each run, printed)."""

import glob
import json
import os
import random
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
import py_venv  # noqa: E402

py_venv.enter(__file__)

import duckdb  # noqa: E402
import psycopg  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_duckdb import bag  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402

QUERIES = os.path.join(HERE, "..", "..", "bench", "nexmark", "queries")
EVENTS = 10000
EVENT_RATE = 250  # events per second of event time: 40 s, four 10-second windows and more
PREFIX = "nexmark-"

# The columns of each topic's JSON, for DuckDB's read_json.
COLUMNS = {
    "person": {"id": "BIGINT", "name": "VARCHAR", "email_address": "VARCHAR", "credit_card": "VARCHAR",
               "city": "VARCHAR", "state": "VARCHAR", "date_time": "TIMESTAMP", "extra": "VARCHAR"},
    "auction": {"id": "BIGINT", "item_name": "VARCHAR", "description": "VARCHAR", "initial_bid": "BIGINT",
                "reserve": "BIGINT", "date_time": "TIMESTAMP", "expires": "TIMESTAMP", "seller": "BIGINT",
                "category": "BIGINT", "extra": "VARCHAR"},
    "bid": {"auction": "BIGINT", "bidder": "BIGINT", "price": "BIGINT", "channel": "VARCHAR", "url": "VARCHAR",
            "date_time": "TIMESTAMP", "extra": "VARCHAR"},
}


def query_text(path):
    """A query file without its comment lines."""
    return "\n".join(line for line in open(path).read().splitlines() if not line.lstrip().startswith("--")).strip()


def queries():
    """(name, runnel's query, DuckDB's query) for each bench/nexmark/queries/qN.sql, in order."""
    out = []
    paths = glob.glob(os.path.join(QUERIES, "q*.sql"))
    for path in sorted(paths, key=lambda p: int(re.sub(r"\D", "", os.path.basename(p)))):
        name = os.path.basename(path)[:-4]
        ours = query_text(path)
        ref = os.path.join(QUERIES, "duckdb", name + ".sql")
        out.append((name, ours, query_text(ref) if os.path.exists(ref) else ours))
    return out


def split_query(text):
    """(setup statements, the query): a query file's statements before its last one set
    up what it reads (q13's side input table)."""
    parts = [s.strip() for s in text.split(";") if s.strip()]
    return parts[:-1], parts[-1]


def source_statements(prefix):
    text = query_text(os.path.join(QUERIES, "sources.sql")).replace("{prefix}", prefix)
    return [s.strip() for s in text.split(";") if s.strip()]


def stats(pg):
    """SHOW STATS as {name: {column: value}}."""
    cur = pg.execute("SHOW STATS")
    cols = [d.name for d in cur.description]
    return {r[0]: dict(zip(cols, r)) for r in cur.fetchall()}


def test_queries_equal_duckdb():
    seed = int(os.environ.get("NEXMARK_SEED", random.randrange(1 << 30)))
    print("NEXMARK_SEED=%d" % seed, flush=True)
    with Broker(BINARY) as b:
        gen = subprocess.run([BINARY, "nexmark", "-b", b.bootstrap, "--events", str(EVENTS), "--seed", str(seed),
                              "--event-rate", str(EVENT_RATE), "--topic-prefix", PREFIX, "--json"],
                             capture_output=True, text=True, timeout=120)
        assert gen.returncode == 0, gen.stderr
        made = json.loads(gen.stdout.strip().splitlines()[-1])
        assert made["events"] == EVENTS and made["persons"] == EVENTS // 50, made
        assert made["auctions"] == 3 * EVENTS // 50 and made["bids"] == 46 * EVENTS // 50, made
        want_rows = {"person": made["persons"], "auction": made["auctions"], "bid": made["bids"]}

        # The reference: DuckDB over the records as the topics hold them.
        duck = duckdb.connect()
        with tempfile.TemporaryDirectory(prefix="runnel-nexmark-") as tmp:
            for kind, cols in COLUMNS.items():
                out = subprocess.run([BINARY, "consume", PREFIX + kind, "-b", b.bootstrap, "-o", "beginning", "-e"],
                                     capture_output=True, text=True, timeout=120)
                assert out.returncode == 0, out.stderr
                lines = out.stdout.splitlines()
                assert len(lines) == want_rows[kind], (kind, len(lines))
                path = os.path.join(tmp, kind + ".json")
                with open(path, "w") as f:
                    f.write(out.stdout)
                spec = "{%s}" % ", ".join("'%s': '%s'" % kv for kv in cols.items())
                duck.execute("CREATE TABLE %s AS SELECT * FROM read_json('%s', format = 'newline_delimited', "
                             "columns = %s)" % (kind, path, spec))
            assert duck.execute("SELECT count(*) FROM bid").fetchone()[0] == want_rows["bid"]

        s = SqlServer("--brokers", b.bootstrap)
        try:
            pg = psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True)
            for st in source_statements(PREFIX):
                pg.execute(st)
            qs = queries()
            assert [q[0] for q in qs][:9] == ["q%d" % i for i in range(9)], [q[0] for q in qs]
            for name, ours, theirs in qs:
                setup, query = split_query(ours)
                for st in setup:
                    pg.execute(st)
                for st in split_query(theirs)[0]:
                    duck.execute(st)
                pg.execute("CREATE MATERIALIZED VIEW nexmark_%s AS %s" % (name, query))

            def read_all():
                st = stats(pg)
                return all(st[k]["Rows"] == n for k, n in want_rows.items())
            wait_until(read_all, timeout=60, what="the sources to read every event")
            st = stats(pg)
            for name, ours, theirs in qs:
                want = bag(duck.execute(split_query(theirs)[1]).fetchall())
                assert want, "%s: DuckDB's answer is empty: the event set does not exercise it" % name
                got = bag(pg.execute("SELECT * FROM nexmark_%s" % name).fetchall())
                if got != want:
                    extra = {k: n for k, n in got.items() if want.get(k) != n}
                    missing = {k: n for k, n in want.items() if got.get(k) != n}
                    raise AssertionError("%s, NEXMARK_SEED=%d: %d rows, DuckDB %d\n runnel has %s\n DuckDB has %s"
                                         % (name, seed, sum(got.values()), sum(want.values()),
                                            sorted(extra.items())[:5], sorted(missing.items())[:5]))
                v = st["nexmark_" + name]
                assert v["Row Errors"] == 0 and v["Late Rows"] == 0, v
                print("  %s: %d rows equal DuckDB's, state %d bytes" % (name, sum(got.values()), v["State Bytes"]),
                      flush=True)
            for kind in want_rows:
                assert st[kind]["Bad Records"] == 0, st[kind]
            pg.close()
        finally:
            assert s.stop() == 0, s.stderr()


if __name__ == "__main__":
    run([test_queries_equal_duckdb])
