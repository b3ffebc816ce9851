"""Several `runnel sql --share` processes share the work of one catalog (docs/sql/README.md, "Running
several SQL processes"): a real broker, three SQL processes with the same --catalog-topic, psql as the
client. DDL sent to any process shows in all; each pipeline (a source or table with its views) runs in
exactly one process (SHOW PROCESSES, SHOW STATS); a pull query sent to any process gets the owner's
answer, compared with the same aggregate computed here over the records produced; errors come back with
their SQLSTATE; the owner of a view is killed with -9 and, once the group notices, another process
rebuilds the pipeline from its topic and answers right; a table written with INSERT and DELETE from
every process keeps every acknowledged change when its owner is killed with -9."""

import collections
import json
import shutil
import subprocess
import tempfile
import time

from harness import BINARY, Broker, run, wait_until
from test_sql_psql import SqlServer, psql


def cli(broker, *args, stdin=None):
    r = subprocess.run([BINARY, *args, "-b", broker.bootstrap], input=stdin, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def produce(broker, topic, records, keyed=False):
    args = ["produce", topic, "-q"] + (["-K", "|"] if keyed else [])
    cli(broker, *args, stdin="".join(r + "\n" for r in records))


def answer(s, query):
    """The rows psql prints, or None while the process cannot answer yet (57P03 during a rebalance)."""
    r = psql(s.port, query, check=False, verbose=True)
    if r.returncode != 0:
        assert "57P03" in r.stderr or "does not exist" in r.stderr, (query, r.stderr)
        return None
    return r.stdout


def processes(s):
    """SHOW PROCESSES: {address: set of relation names} of the processes in the group's plan."""
    out = answer(s, "SHOW PROCESSES")
    if out is None:
        return None
    procs = {}
    for line in out.splitlines():
        address, _leader, _here, rels = line.split("|")
        procs[address or None] = set(r for r in rels.split(", ") if r)
    return procs


def exactly(s, query, want, timeout, what):
    """Waits until `query` answers `want`; meanwhile it may only fail with 57P03 (no process can answer
    yet), never answer something else: the input is not changing, so any other answer would be wrong (a
    view partly rebuilt, or read from a process that does not run it)."""
    def check():
        got = answer(s, query)
        assert got is None or got == want, (what, got, want)
        return got == want
    wait_until(check, timeout=timeout, what=what)


def write(s, statement):
    """Runs a statement that writes, again while it gets 57P03 (its table is moving between processes)."""
    def once():
        r = psql(s.port, statement, check=False, verbose=True)
        if r.returncode == 0:
            return True
        assert "57P03" in r.stderr, (statement, r.stderr)
        return False
    wait_until(once, timeout=30, what=statement)


def owner_of(s, name):
    for address, rels in processes(s).items():
        if name in rels:
            return address
    return None


def owner(procs, name):
    """The process that runs `name`, once every process's plan agrees on it."""
    def placed():
        views = [processes(p) for p in procs]
        if any(v is None or v != views[0] for v in views):
            return None
        at = [a for a, rels in views[0].items() if a is not None and name in rels]
        return at[0] if len(at) == 1 else None
    address = wait_until(placed, timeout=30, what="%s placed" % name)
    return [p for p in procs if "127.0.0.1:%d" % p.port == address][0]


def leader_and_other(procs):
    """Once both processes of `procs` are in the group: its leader (SHOW PROCESSES) and the other one."""
    wait_until(lambda: all(v is not None and len(v) == 2 for v in (processes(p) for p in procs)),
               timeout=30, what="two members")
    leader_line = [line for line in procs[0].psql("SHOW PROCESSES").stdout.splitlines()
                   if line.split("|")[1] == "t"][0]
    leader = [p for p in procs if "127.0.0.1:%d" % p.port == leader_line.split("|")[0]][0]
    return leader, [p for p in procs if p is not leader][0]


def stats_names(s):
    return set(line.split("|")[0] for line in s.psql("SHOW STATS").stdout.splitlines())


def expected_visits(clicks):
    n = collections.Counter(c["page"] for c in clicks)
    return "".join("%s|%d\n" % (p, n[p]) for p in sorted(n))


def expected_totals(orders):
    t = collections.defaultdict(int)
    for o in orders:
        t[o["customer"]] += o["amount"]
    return "".join("%s|%d\n" % (c, t[c]) for c in sorted(t))


def test_share_needs_a_catalog_topic():
    r = subprocess.run([BINARY, "sql", "--listen", "127.0.0.1:0", "--share"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "--catalog-topic" in r.stderr, (r.returncode, r.stderr)


def test_three_processes_share_and_fail_over():
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b:
        cli(b, "topic", "create", "clicks", "--partitions", "3")
        cli(b, "topic", "create", "orders", "--partitions", "2")
        cli(b, "topic", "create", "users", "--partitions", "1")
        clicks = [{"user_id": i % 7, "page": "/p%d" % (i % 5)} for i in range(200)]
        orders = [{"customer": "c%d" % (i % 4), "amount": i} for i in range(100)]
        produce(b, "clicks", [json.dumps(c) for c in clicks])
        produce(b, "orders", [json.dumps(o) for o in orders])
        produce(b, "users", ['%d|{"id": %d, "name": "u%d"}' % (i, i, i) for i in range(7)], keyed=True)

        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_share_catalog", "--share",
                "--session-timeout-ms", "6000")
        procs = [SqlServer(*args) for _ in range(3)]
        started = time.monotonic()
        try:
            a, bb, c = procs
            # The group formed: every process is in the plan, with one leader.
            wait_until(lambda: all(p2 is not None and len(p2) == 3
                                   for p2 in (processes(p) for p in procs)), timeout=30, what="three members")
            leaders = [line for line in a.psql("SHOW PROCESSES").stdout.splitlines() if line.split("|")[1] == "t"]
            assert len(leaders) == 1, leaders

            # DDL from every process (non-leaders forward it to the leader, which alone writes the catalog).
            a.psql("CREATE SOURCE clicks (user_id INT, page TEXT) WITH (connector = 'kafka', topic = 'clicks', "
                   "scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON")
            bb.psql("CREATE SOURCE orders (customer TEXT, amount BIGINT) WITH (connector = 'kafka', "
                    "topic = 'orders', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON")
            c.psql("CREATE TABLE users (id INT PRIMARY KEY, name TEXT) WITH (connector = 'kafka', topic = 'users') "
                   "FORMAT UPSERT ENCODE JSON")
            c.psql("CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n FROM clicks GROUP BY page")
            a.psql("CREATE MATERIALIZED VIEW totals AS SELECT customer, sum(amount) AS total FROM orders "
                   "GROUP BY customer")
            bb.psql("CREATE MATERIALIZED VIEW user_clicks AS SELECT u.name, count(*) AS n FROM clicks k "
                    "JOIN users u ON k.user_id = u.id GROUP BY u.name")
            # A table written with INSERT: its rows live in a topic, so that they survive its owner.
            a.psql("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)")
            a.psql("CREATE MATERIALIZED VIEW note_count AS SELECT count(*) AS n FROM notes")
            for i, p in enumerate(procs * 3):
                write(p, "INSERT INTO notes VALUES (%d, 'note %d')" % (i, i))
            write(c, "DELETE FROM notes WHERE id = 4")
            r = bb.psql("INSERT INTO notes VALUES (1, 'again')", check=False, verbose=True)
            assert r.returncode != 0 and "23505" in r.stderr, r.stderr
            want_notes = "".join("%d|note %d\n" % (i, i) for i in range(9) if i != 4)
            for p in procs:
                wait_until(lambda: answer(p, "SELECT id, body FROM notes ORDER BY id") == want_notes, what="notes")
                assert answer(p, "SELECT n FROM note_count") == "8\n"
            # A plain view is inlined where it is queried: it goes with what it reads.
            bb.psql("CREATE VIEW busy_pages AS SELECT page FROM visits WHERE n >= 40")
            # Every process knows every relation (psql's \d and SHOW read the shared catalog).
            for p in procs:
                wait_until(lambda: sorted(p.psql("SHOW MATERIALIZED VIEWS").stdout.split()) ==
                           ["note_count", "totals", "user_clicks", "visits"], what="the views everywhere")
                assert "customer" in p.psql("SHOW COLUMNS FROM totals").stdout
            # A CREATE of a name that exists fails wherever it is sent.
            r = bb.psql("CREATE MATERIALIZED VIEW visits AS SELECT 1", check=False, verbose=True)
            assert r.returncode != 0 and "42P07" in r.stderr, r.stderr

            # Two pipelines now: clicks+users+visits+user_clicks (joined) and orders+totals; each runs in
            # exactly one process, and every process's plan says the same.
            pipelines = [{"clicks", "users", "visits", "user_clicks"}, {"orders", "totals"}, {"notes", "note_count"}]

            def placed():
                views = [processes(p) for p in procs]
                if any(v is None for v in views) or any(v != views[0] for v in views):
                    return None
                if None in views[0]:  # relations no process runs yet
                    return None
                owners = []
                for pl in pipelines:
                    o = [addr for addr, rels in views[0].items() if pl <= rels]
                    if len(o) != 1:
                        return None
                    owners.append(o[0])
                return owners

            owners = wait_until(placed, timeout=30, what="each pipeline in one process")
            assert len(set(owners)) == 3, owners  # balanced: three pipelines, three processes
            by_addr = {"127.0.0.1:%d" % p.port: p for p in procs}
            # SHOW STATS lists what a process runs: each relation in exactly one of them.
            for pl, owner in zip(pipelines, owners):
                for p in procs:
                    names = stats_names(p)
                    assert (pl <= names) == (by_addr[owner] is p), (pl, owner, p.port, names)

            # A process that does not run visits still describes it, and forwards a cursor over it to its
            # owner (test_sql_share_cursors.py tests that further).
            other = [p for p in procs if p is not by_addr[owners[0]]][0]
            described = other.psql("\\d visits").stdout
            assert described.startswith("page|text") and "\nn|bigint" in described, described
            r = other.psql("DECLARE c CURSOR FOR SUBSCRIBE visits", "FETCH ALL FROM c WITH (timeout = '0s')",
                           "CLOSE c")
            assert all(line.split("|")[2] == "Insert" for line in r.stdout.splitlines() if "|" in line), r.stdout
            # Pull queries sent to any process: the owner's answer.
            want_visits = expected_visits(clicks)
            want_totals = expected_totals(orders)
            for p in procs:
                wait_until(lambda: answer(p, "SELECT page, n FROM visits ORDER BY page") == want_visits,
                           what="visits from %d" % p.port)
                wait_until(lambda: answer(p, "SELECT customer, total FROM totals ORDER BY customer") ==
                           want_totals, what="totals from %d" % p.port)
            for p in procs:
                wait_until(lambda: answer(p, "SELECT page FROM busy_pages ORDER BY page") ==
                           "/p0\n/p1\n/p2\n/p3\n/p4\n", what="the plain view from %d" % p.port)
            # Types survive forwarding; an error comes back with its SQLSTATE.
            for p in procs:
                assert p.psql("SELECT page, n, n * 1.5, n > 1 FROM visits WHERE page = '/p0'").stdout == \
                    "/p0|40|60.0|t\n"
            for p in procs:
                r = p.psql("SELECT n / 0 FROM visits", check=False, verbose=True)
                assert r.returncode != 0 and "22012" in r.stderr, r.stderr
            # A query over pipelines that different processes run: the remote relations' rows are pulled
            # from their owners and the query runs where it was sent.
            for p in procs:
                wait_until(lambda: answer(p, "SELECT count(*), sum(t.total) FROM visits v, totals t") ==
                           "20|%d\n" % (5 * sum(o["amount"] for o in orders)), what="a query over two pipelines")
                # Three pipelines (three processes), one of them possibly the receiving process's own.
                assert p.psql("SELECT count(*) FROM visits v, totals t, notes n WHERE n.id < 3 AND "
                              "t.customer = 'c1'").stdout == "15\n"
                assert p.psql("SELECT v.page, t.total FROM visits v JOIN totals t ON t.customer = 'c0' "
                              "WHERE v.page = '/p1'").stdout == "/p1|%d\n" % sum(
                                  o["amount"] for o in orders if o["customer"] == "c0")
            # INSERT ... SELECT over another process's view is still refused: no rows made from a view
            # this process cannot read.
            for p in procs:
                r = p.psql("INSERT INTO notes SELECT 50, page FROM visits", check=False, verbose=True)
                assert r.returncode != 0 and "0A000" in r.stderr, r.stderr

            # More records: every process's answer follows.
            more = [{"user_id": 3, "page": "/new"} for _ in range(10)]
            produce(b, "clicks", [json.dumps(m) for m in more])
            clicks += more
            want_visits = expected_visits(clicks)
            for p in procs:
                wait_until(lambda: answer(p, "SELECT page, n FROM visits ORDER BY page") == want_visits,
                           what="visits following")

            # kill -9 of the process running visits: after the session timeout the group moves its
            # pipeline to a live process, which rebuilds it from the topic.
            victim = by_addr[owners[0]]
            victim.proc.kill()
            victim.proc.wait()
            live = [p for p in procs if p is not victim]
            killed_at = time.monotonic()
            want_user_clicks = "".join("u%d|%d\n" % (u, sum(1 for k in clicks if k["user_id"] == u))
                                       for u in range(7))
            for p in live:
                exactly(p, "SELECT page, n FROM visits ORDER BY page", want_visits, 45,
                        "visits after the owner's kill -9")
                exactly(p, "SELECT name, n FROM user_clicks ORDER BY name", want_user_clicks, 15,
                        "user_clicks after the kill")
            failover = time.monotonic() - killed_at
            after = processes(live[0])
            assert len(after) == 2 and "127.0.0.1:%d" % victim.port not in after, after
            for p in live:
                exactly(p, "SELECT id, body FROM notes ORDER BY id", want_notes, 30, "notes after the first kill")
            # kill -9 of the table's owner now: the last process rebuilds it from its topic, every
            # acknowledged INSERT and DELETE in it.
            write(live[0], "INSERT INTO notes VALUES (100, 'late')")
            write(live[1], "DELETE FROM notes WHERE id = 0")
            want_notes = "".join("%d|note %d\n" % (i, i) for i in range(1, 9) if i != 4) + "100|late\n"
            notes_owner = by_addr[wait_until(lambda: owner_of(live[0], "notes"), what="notes' owner")]
            notes_owner.proc.kill()
            notes_owner.proc.wait()
            last = [p for p in live if p is not notes_owner][0]
            exactly(last, "SELECT id, body FROM notes ORDER BY id", want_notes, 45, "notes after its owner's kill -9")
            assert answer(last, "SELECT n FROM note_count") == "8\n"
            exactly(last, "SELECT page, n FROM visits ORDER BY page", want_visits, 30, "visits on the last process")
            live = [last]
            # The group goes on: DDL and DROP show everywhere.
            live[-1].psql("CREATE MATERIALIZED VIEW big_orders AS SELECT customer, amount FROM orders "
                         "WHERE amount >= 95")
            for p in live:
                wait_until(lambda: answer(p, "SELECT count(*) FROM big_orders") == "5\n", what="a new view")
            live[0].psql("DROP MATERIALIZED VIEW big_orders")
            for p in live:
                assert "big_orders" not in p.psql("SHOW MATERIALIZED VIEWS").stdout
            print("failover took %.1f s; whole test %.1f s" % (failover, time.monotonic() - started))
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    assert p.stop() == 0, p.stderr()


def test_killed_process_comes_back_with_its_state_dir():
    """Two processes with a state directory each: one is killed with -9, the other takes everything; the
    killed one starts again over its directory, rejoins, and the group gives it a pipeline back (balanced:
    the survivor keeps the pipeline with the smaller id, so the returning process gets the INSERT table,
    which it rebuilds from the table's topic, ignoring its directory's older copy): every answer is right,
    including rows written while it was away."""
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b:
        cli(b, "topic", "create", "clicks", "--partitions", "2")
        clicks = [{"user_id": i % 3, "page": "/p%d" % (i % 4)} for i in range(80)]
        produce(b, "clicks", [json.dumps(c) for c in clicks])
        dirs = [tempfile.mkdtemp(prefix="runnel-share-state-") for _ in range(2)]

        def start(i):
            return SqlServer("--brokers", b.bootstrap, "--catalog-topic", "_sql_share_state", "--share",
                             "--session-timeout-ms", "6000", "--state-dir", dirs[i])

        procs = [start(0), start(1)]
        try:
            wait_until(lambda: all(p2 is not None and len(p2) == 2 for p2 in (processes(p) for p in procs)),
                       what="two members")
            procs[0].psql("CREATE SOURCE clicks (user_id INT, page TEXT) WITH (connector = 'kafka', "
                          "topic = 'clicks', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON",
                          "CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n FROM clicks GROUP BY page")
            procs[1].psql("CREATE TABLE notes (id INT, body TEXT)")
            for i in range(6):
                write(procs[i % 2], "INSERT INTO notes VALUES (%d, 'n%d')" % (i % 3, i))
            write(procs[1], "DELETE FROM notes WHERE body = 'n0'")
            want_notes = "1|n1\n1|n4\n2|n2\n2|n5\n0|n3\n"

            def notes(p):
                out = answer(p, "SELECT id, body FROM notes")
                return None if out is None else "".join(sorted(out.splitlines(True), key=lambda l: l[::-1]))

            want_sorted = "".join(sorted(want_notes.splitlines(True), key=lambda l: l[::-1]))

            def balanced():
                views = [processes(p) for p in procs]
                if any(v is None or v != views[0] for v in views) or None in views[0]:
                    return False
                return sorted(len(r) for r in views[0].values()) == [1, 2]

            wait_until(balanced, what="one pipeline each")
            for p in procs:
                wait_until(lambda: answer(p, "SELECT page, n FROM visits ORDER BY page") == expected_visits(clicks),
                           what="visits")
                wait_until(lambda: notes(p) == want_sorted, what="notes")

            procs[0].proc.kill()
            procs[0].proc.wait()
            wait_until(lambda: answer(procs[1], "SELECT page, n FROM visits ORDER BY page") ==
                       expected_visits(clicks), timeout=45, what="visits on the survivor")
            wait_until(lambda: notes(procs[1]) == want_sorted, timeout=30, what="notes on the survivor")
            more = [{"user_id": 1, "page": "/away"} for _ in range(5)]
            produce(b, "clicks", [json.dumps(m) for m in more])
            clicks += more
            write(procs[1], "INSERT INTO notes VALUES (9, 'while away')")
            want_sorted = "".join(sorted((want_notes + "9|while away\n").splitlines(True), key=lambda l: l[::-1]))

            procs[0] = start(0)
            wait_until(balanced, timeout=30, what="one pipeline each again")
            for p in procs:
                wait_until(lambda: answer(p, "SELECT page, n FROM visits ORDER BY page") == expected_visits(clicks),
                           what="visits after the return")
                wait_until(lambda: notes(p) == want_sorted, what="notes after the return")
            assert stats_names(procs[0]) in ({"clicks", "visits"}, {"notes"}), stats_names(procs[0])
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    assert p.stop() == 0, p.stderr()
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_share_needs_a_catalog_topic, test_three_processes_share_and_fail_over,
         test_killed_process_comes_back_with_its_state_dir])
