"""Tables written with INSERT under `runnel sql --share` (docs/format/sql-catalog.md, "Table logs"): a real
broker, two SQL processes, psql and runnel's topic/consume commands. With a primary key the table's topic is
compacted and keyed; a kill -9 of its owner and the rebuild from that topic; DROP TABLE deletes the topics."""

import json

from harness import BINARY, Broker, run, wait_until
from test_sql_psql import SqlServer
from test_sql_share import cli, exactly, owner_of, processes, write


def test_table_topics_compacted_and_dropped():
    """A table written with INSERT under --share: with a primary key its topic is compacted and keyed by the key
    (a record per change of a key, a tombstone for a delete), and the process it moves to after a kill -9 of
    its owner rebuilds it from the latest record per key; without one it stays a log of changes. DROP TABLE
    deletes the topic."""
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b:
        catalog = "_sql_share_topics"
        args = ("--brokers", b.bootstrap, "--catalog-topic", catalog, "--share", "--session-timeout-ms", "6000")
        procs = [SqlServer(*args) for _ in range(2)]
        try:
            wait_until(lambda: all(v is not None and len(v) == 2 for v in (processes(p) for p in procs)),
                       what="two members")
            procs[0].psql("CREATE TABLE kv (id INT PRIMARY KEY, v TEXT)")
            procs[1].psql("CREATE TABLE plain (id INT, v TEXT)")
            for i in range(1, 6):
                write(procs[i % 2], "INSERT INTO kv VALUES (%d, 'v%d')" % (i, i))
            for n in range(10):
                write(procs[n % 2], "UPDATE kv SET v = 'u%d' WHERE id = 1" % n)
            write(procs[0], "DELETE FROM kv WHERE id = 2")
            for i in range(3):
                write(procs[1], "INSERT INTO plain VALUES (%d, 'p')" % i)
            write(procs[0], "DELETE FROM plain WHERE id = 0")
            want_kv = "1|u9\n3|v3\n4|v4\n5|v5\n"
            topics = {name: "%s-table-%d" % (catalog, i) for i, name in ((1, "kv"), (2, "plain"))}
            def policy(topic):
                for line in cli(b, "topic", "describe", topic).splitlines():
                    if line.split()[:1] == ["cleanup.policy"]:
                        return line.split()[1]
            assert policy(topics["kv"]) == "compact" and policy(topics["plain"]) == "delete"
            # kv's records: keyed, the delete a tombstone (compaction keeps the last per key).
            recs = [json.loads(line) for line in cli(b, "consume", topics["kv"], "--from-beginning", "-e", "-J")
                    .splitlines()]
            assert all(r.get("key") is not None for r in recs), recs
            assert sum(1 for r in recs if r.get("value") is None) == 1, recs
            plain = cli(b, "consume", topics["plain"], "--from-beginning", "-e", "-J").splitlines()
            assert len(plain) == 4 and all(json.loads(r).get("key") is None for r in plain), plain

            # kill -9 of kv's owner: the other process rebuilds it from the keyed topic.
            by_port = {"127.0.0.1:%d" % p.port: p for p in procs}
            victim = by_port[wait_until(lambda: owner_of(procs[0], "kv"), what="kv's owner")]
            victim.proc.kill()
            victim.proc.wait()
            last = [p for p in procs if p is not victim][0]
            exactly(last, "SELECT id, v FROM kv ORDER BY id", want_kv, 45, "kv after its owner's kill -9")
            exactly(last, "SELECT id, v FROM plain ORDER BY id", "1|p\n2|p\n", 30, "plain")
            # DROP TABLE deletes its topic.
            last.psql("DROP TABLE kv", "DROP TABLE plain")
            wait_until(lambda: not any(t in cli(b, "topic", "list") for t in topics.values()),
                       what="the tables' topics deleted")
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    assert p.stop() == 0, p.stderr()


if __name__ == "__main__":
    run([test_table_topics_compacted_and_dropped])
