"""Differential tests of the incremental operators: every `view` of each
sql_diff/*.test file becomes a materialized view in `runnel sql`, and after
each round of random inserts and deletes into its tables the view's contents
must equal DuckDB's answer to the same query over the same rows (as
multisets). DuckDB and psycopg come from py/requirements.txt (the venv
scripts/setup makes).

A .test file is blocks separated by blank lines ('#' lines are comments):
  statement ok           a statement run on both (CREATE TABLE ...; the
  <sql>                  first column of a randomised table is its id)
  random TABLE ROWS      rows to keep in TABLE, one generator per column
  <column> int LO HI | numeric LO HI | choice A B NULL ... | timestamp FROM TO
  view NAME              a view: runnel's query, and optionally after a
  <sql>                  '----' line DuckDB's spelling of it
  [----
  <duckdb sql>]

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python. SQL_DIFF_SEED=n repeats a run."""

import datetime
import decimal
import glob
import json
import os
import random
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
import py_venv  # noqa: E402

py_venv.enter(__file__)

import duckdb  # noqa: E402
import psycopg  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

from harness import BINARY, Broker, run, wait_until  # noqa: E402
from test_sql_psql import SqlServer  # noqa: E402

ROUNDS = 6


def parse(path):
    blocks, cur = [], []
    for line in open(path).read().splitlines() + [""]:
        if line.startswith("#"):
            continue
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    statements, randoms, views = [], {}, []
    for b in blocks:
        head = b[0].split()
        if head == ["statement", "ok"]:
            statements.append("\n".join(b[1:]))
        elif head[0] == "random":
            randoms[head[1]] = (int(head[2]), [line.split() for line in b[1:]])
        elif head[0] == "view":
            body = b[1:]
            if "----" in body:
                k = body.index("----")
                ours, theirs = "\n".join(body[:k]), "\n".join(body[k + 1:])
            else:
                ours = theirs = "\n".join(body)
            views.append((head[1], ours, theirs))
        else:
            raise ValueError("%s: unknown block %r" % (path, b[0]))
    return statements, randoms, views


def value(rng, gen):
    kind, args = gen[1], gen[2:]
    if kind == "int":
        return rng.randint(int(args[0]), int(args[1]))
    if kind == "numeric":
        return decimal.Decimal(rng.randint(int(args[0]) * 100, int(args[1]) * 100)) / 100
    if kind == "choice":
        v = rng.choice(args)
        return None if v == "NULL" else v
    if kind == "timestamp":
        lo, hi = (datetime.datetime.fromisoformat(a) for a in args)
        return lo + datetime.timedelta(seconds=rng.randint(0, int((hi - lo).total_seconds()) - 1))
    raise ValueError("unknown generator %r" % kind)


def norm(v):
    """The same value from either side: numbers as rounded floats (runnel's avg(numeric) is an
    exact numeric, DuckDB's a double), everything else as it is."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        return round(float(v), 6)
    return v


def bag(rows):
    out = {}
    for r in rows:
        k = tuple(norm(v) for v in r)
        out[k] = out.get(k, 0) + 1
    return out


def check_file(path, seed):
    statements, randoms, views = parse(path)
    rng = random.Random(seed)
    s = SqlServer()
    try:
        pg = psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True)
        duck = duckdb.connect()
        for st in statements:
            pg.execute(st)
            duck.execute(st.replace("PRIMARY KEY", ""))  # DuckDB's own key checks are not the test
        for name, ours, _ in views:
            pg.execute("CREATE MATERIALIZED VIEW %s AS %s" % (name, ours))
        live = {t: [] for t in randoms}
        next_id = {t: 1 for t in randoms}
        for rnd in range(ROUNDS):
            for table, (target, gens) in randoms.items():
                # Deletes first (a third of what is there), then inserts up to about the target.
                doomed = [r for r in live[table] if rng.random() < 0.33] if rnd else []
                if doomed:
                    ids = ", ".join(str(r[0]) for r in doomed)
                    for db in (pg, duck):
                        db.execute("DELETE FROM %s WHERE id IN (%s)" % (table, ids))
                    gone = {r[0] for r in doomed}
                    live[table] = [r for r in live[table] if r[0] not in gone]
                fresh = []
                for _ in range(max(0, target - len(live[table])) // 2 + rng.randint(1, 10)):
                    fresh.append(tuple([next_id[table]] + [value(rng, g) for g in gens]))
                    next_id[table] += 1
                marks = ", ".join(["%s"] * (len(gens) + 1))
                with pg.cursor() as cur:
                    cur.executemany("INSERT INTO %s VALUES (%s)" % (table, marks), fresh)
                duck.executemany("INSERT INTO %s VALUES (%s)" % (table, ", ".join(["?"] * (len(gens) + 1))),
                                 [list(r) for r in fresh])
                live[table] += fresh
            for name, _, theirs in views:
                got = bag(pg.execute("SELECT * FROM %s" % name).fetchall())
                want = bag(duck.execute(theirs).fetchall())
                if got != want:
                    extra = {k: n for k, n in got.items() if want.get(k) != n}
                    missing = {k: n for k, n in want.items() if got.get(k) != n}
                    raise AssertionError("%s, view %s, round %d, SQL_DIFF_SEED=%d:\n runnel has %s\n DuckDB has %s"
                                         % (os.path.basename(path), name, rnd, seed, sorted(extra.items())[:5],
                                            sorted(missing.items())[:5]))
        pg.close()
    finally:
        assert s.stop() == 0, s.stderr()


def test_upsert_topic_through_kill9():
    """A keyed topic read as an upsert table (tombstones are deletes), views over it, and the SQL process
    killed with -9 mid-stream and started again from its catalog: after every round each view equals
    DuckDB's answer over the rows the topic holds (the last value of each key)."""
    seed = int(os.environ.get("SQL_DIFF_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    views = {
        "per_region": "SELECT region, count(*) AS n, sum(balance) AS total, max(balance) AS top "
                      "FROM accounts GROUP BY region",
        "richest": "SELECT region, id, balance FROM (SELECT region, id, balance, ROW_NUMBER() OVER "
                   "(PARTITION BY region ORDER BY balance DESC, id) AS rn FROM accounts) t WHERE rn <= 2",
        "big": "SELECT id, balance FROM accounts WHERE balance > 900",
    }
    with Broker(BINARY) as b:
        subprocess.run([BINARY, "topic", "create", "accounts", "--partitions", "3", "-b", b.bootstrap],
                       check=True, capture_output=True, timeout=60)
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog")
        producer = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "log_level": 3})
        model = {}
        duck = duckdb.connect()
        s = SqlServer(*args)
        try:
            pg = psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True)
            pg.execute("CREATE TABLE accounts (id INT PRIMARY KEY, region TEXT, balance NUMERIC(12,2)) "
                       "WITH (connector = 'kafka', topic = 'accounts') FORMAT UPSERT ENCODE JSON")
            for name, q in views.items():
                pg.execute("CREATE MATERIALIZED VIEW %s AS %s" % (name, q))
            pg.close()
            for rnd in range(6):
                for _ in range(150):
                    k = rng.randint(1, 60)
                    if k in model and rng.random() < 0.3:
                        producer.produce("accounts", key=str(k), value=None)
                        del model[k]
                    else:
                        row = (k, rng.choice(["eu", "us", "ap"]),
                               decimal.Decimal(rng.randint(0, 100000)) / 100)
                        model[k] = row
                        producer.produce("accounts", key=str(k), value='{"id": %d, "region": "%s", "balance": %s}'
                                         % row)
                assert producer.flush(30) == 0
                if rnd == 3:
                    # Killed while it may still be reading the round just produced.
                    s.proc.kill()
                    s.proc.wait()
                    s = SqlServer(*args)
                duck.execute("CREATE OR REPLACE TABLE accounts (id INT, region TEXT, balance DECIMAL(12,2))")
                if model:
                    duck.executemany("INSERT INTO accounts VALUES (?, ?, ?)", [list(r) for r in model.values()])
                with psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root",
                                     autocommit=True) as pg:
                    for name, q in views.items():
                        want = bag(duck.execute(q).fetchall())
                        try:
                            wait_until(lambda: bag(pg.execute("SELECT * FROM %s" % name).fetchall()) == want,
                                       timeout=30, what=name)
                        except TimeoutError:
                            got = bag(pg.execute("SELECT * FROM %s" % name).fetchall())
                            raise AssertionError("view %s, round %d, SQL_DIFF_SEED=%d:\n runnel %s\n DuckDB %s"
                                                 % (name, rnd, seed, sorted(got.items())[:5],
                                                    sorted(want.items())[:5]))
        finally:
            assert s.stop() == 0, s.stderr()


def test_state_survives_kill9_with_consumed_records_deleted():
    """Durable state (docs/sql/README.md, "Durability and restart"): a source, an upsert table, a table
    written with INSERT and views over them (aggregate, Top-N, join, subqueries); the SQL process is killed with -9
    while it reads, and before it restarts the records it had consumed and committed are deleted from
    both topics (DeleteRecords), so that recomputing from the topics would lose them. After the restart,
    and more records, each view equals DuckDB's answer over every row ever produced, the INSERTed rows
    are there, and a clean restart changes nothing."""
    seed = int(os.environ.get("SQL_DIFF_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    views = {
        "per_bidder": "SELECT bidder, count(*) AS n, sum(price) AS total, max(price) AS top FROM bids "
                      "GROUP BY bidder",
        "top_bids": "SELECT bidder, id, price FROM (SELECT bidder, id, price, ROW_NUMBER() OVER "
                    "(PARTITION BY bidder ORDER BY price DESC, id) AS rn FROM bids) t WHERE rn <= 2",
        "by_name": "SELECT p.name, count(*) AS n, sum(b.price) AS total FROM bids b JOIN people p "
                   "ON b.bidder = p.id GROUP BY p.name",
        "per_region": "SELECT region, count(*) AS n, sum(balance) AS total FROM accounts GROUP BY region",
        # Subqueries in expressions: an anti-join, correlated scalar aggregates, an uncorrelated one.
        "unknown_bidders": "SELECT id, bidder FROM bids b WHERE NOT EXISTS "
                           "(SELECT 1 FROM people p WHERE p.id = b.bidder)",
        "people_bids": "SELECT p.id, (SELECT count(*) FROM bids b WHERE b.bidder = p.id) AS n, "
                       "(SELECT max(price) FROM bids b WHERE b.bidder = p.id) AS top FROM people p",
        "above_average": "SELECT id, price FROM bids WHERE price > (SELECT avg(price) FROM bids)",
    }
    state = tempfile.mkdtemp(prefix="runnel-sql-state-")
    with Broker(BINARY) as b:
        for t in ("bids", "accounts"):
            subprocess.run([BINARY, "topic", "create", t, "--partitions", "2", "-b", b.bootstrap],
                           check=True, capture_output=True, timeout=60)
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state)
        producer = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "log_level": 3})
        duck = duckdb.connect()
        duck.execute("CREATE TABLE bids (id INT, bidder INT, price INT)")
        duck.execute("CREATE TABLE people (id INT, name TEXT)")
        accounts = {}
        next_bid = [1]

        def produce(bids, changes):
            rows = []
            for _ in range(bids):
                rows.append((next_bid[0], rng.randint(1, 40), rng.randint(1, 10000)))
                next_bid[0] += 1
            for r in rows:
                producer.produce("bids", value='{"id": %d, "bidder": %d, "price": %d}' % r)
            duck.executemany("INSERT INTO bids VALUES (?, ?, ?)", [list(r) for r in rows])
            for _ in range(changes):
                k = rng.randint(1, 80)
                if k in accounts and rng.random() < 0.25:
                    producer.produce("accounts", key=str(k), value=None)
                    del accounts[k]
                else:
                    accounts[k] = (k, rng.choice(["eu", "us", "ap"]), decimal.Decimal(rng.randint(0, 99999)) / 100)
                    producer.produce("accounts", key=str(k),
                                     value='{"id": %d, "region": "%s", "balance": %s}' % accounts[k])
            assert producer.flush(30) == 0

        def check(port, what):
            duck.execute("CREATE OR REPLACE TABLE accounts (id INT, region TEXT, balance DECIMAL(12,2))")
            if accounts:
                duck.executemany("INSERT INTO accounts VALUES (?, ?, ?)", [list(r) for r in accounts.values()])
            with psycopg.connect(host="127.0.0.1", port=port, dbname="dev", user="root", autocommit=True) as pg:
                for name, q in list(views.items()) + [("bids", "SELECT * FROM bids"),
                                                      ("people", "SELECT * FROM people")]:
                    want = bag(duck.execute(q).fetchall())
                    try:
                        wait_until(lambda: bag(pg.execute("SELECT * FROM %s" % name).fetchall()) == want,
                                   timeout=30, what=name)
                    except TimeoutError:
                        got = bag(pg.execute("SELECT * FROM %s" % name).fetchall())
                        raise AssertionError("%s, %s, SQL_DIFF_SEED=%d: %d rows, DuckDB %d\n runnel %s\n DuckDB %s"
                                             % (name, what, seed, sum(got.values()), sum(want.values()),
                                                sorted(set(got.items()) - set(want.items()))[:5],
                                                sorted(set(want.items()) - set(got.items()))[:5]))

        def topic_offsets(t):
            out = subprocess.run([BINARY, "topic", "describe", t, "--format", "json", "-b", b.bootstrap],
                                 check=True, capture_output=True, text=True, timeout=60).stdout
            return {p["partition"]: (p["start_offset"], p["end_offset"]) for p in json.loads(out)["partitions"]}

        s = SqlServer(*args)
        try:
            with psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True) as pg:
                pg.execute("CREATE SOURCE bids (id INT, bidder INT, price INT) "
                           "WITH (connector = 'kafka', topic = 'bids') FORMAT PLAIN ENCODE JSON")
                pg.execute("CREATE TABLE accounts (id INT PRIMARY KEY, region TEXT, balance NUMERIC(12,2)) "
                           "WITH (connector = 'kafka', topic = 'accounts') FORMAT UPSERT ENCODE JSON")
                pg.execute("CREATE TABLE people (id INT PRIMARY KEY, name TEXT)")
                people = [(i, rng.choice(["ann", "bob", "cy", "dee"])) for i in range(1, 31)]
                with pg.cursor() as cur:
                    cur.executemany("INSERT INTO people VALUES (%s, %s)", people)
                duck.executemany("INSERT INTO people VALUES (?, ?)", [list(r) for r in people])
                for name, q in views.items():
                    pg.execute("CREATE MATERIALIZED VIEW %s AS %s" % (name, q))
            produce(3000, 400)
            check(s.port, "before the kill")
            with psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True) as pg:
                pg.execute("FLUSH")  # what it consumed is committed
            consumed = {t: topic_offsets(t) for t in ("bids", "accounts")}
            produce(3000, 400)
            s.proc.kill()  # kill -9 while it reads the second round
            s.proc.wait()
            # Everything consumed before the FLUSH goes from the topics: only the state has it now.
            for t, parts in consumed.items():
                before = ["--before=%d:%d" % (p, end) for p, (_, end) in parts.items()]
                subprocess.run([BINARY, "topic", "delete-records", t, *before, "-b", b.bootstrap],
                               check=True, capture_output=True, timeout=60)
                assert {p: o[0] for p, o in topic_offsets(t).items()} == {p: o[1] for p, o in parts.items()}
            assert sum(end for _, end in consumed["bids"].values()) == 3000
            s = SqlServer(*args)
            check(s.port, "after the kill -9")
            with psycopg.connect(host="127.0.0.1", port=s.port, dbname="dev", user="root", autocommit=True) as pg:
                pg.execute("INSERT INTO people VALUES (31, 'eve')")
            duck.execute("INSERT INTO people VALUES (31, 'eve')")
            produce(2000, 300)
            check(s.port, "after more records")
            assert s.stop() == 0, s.stderr()
            s = SqlServer(*args)
            check(s.port, "after a clean restart")
        finally:
            assert s.stop() == 0, s.stderr()
    shutil.rmtree(state, ignore_errors=True)


def make_test(path):
    def t():
        seed = int(os.environ.get("SQL_DIFF_SEED", random.randrange(1 << 30)))
        check_file(path, seed)
    t.__name__ = "test_" + os.path.basename(path).replace(".test", "")
    return t


if __name__ == "__main__":
    run([make_test(p) for p in sorted(glob.glob(os.path.join(HERE, "sql_diff", "*.test")))] +
        [test_upsert_topic_through_kill9, test_state_survives_kill9_with_consumed_records_deleted])
