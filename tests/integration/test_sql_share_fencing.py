"""Fencing of the writes of `runnel sql --share` (src/sql/README.md, "Several processes"): a real broker, two
SQL processes of one catalog, psql and runnel's consume. A write whose checks passed (lease, plan) but that
is held back (RUNNEL_SQL_TEST_HOLD_WRITES: the next write claims a file and waits while it exists, as a write
delayed by a pause or a slow network would) while its process is stopped (SIGSTOP past the session timeout) and the group hands its
role to the other process reaches the cluster only after the successor took over: the table owner's INSERT
and the leader's CREATE TABLE are refused with 57P03 (fenced: the successor's InitProducerId bumped the
transactional id's epoch), the table's topic and the catalog topic hold nothing of them — read committed or
not — and the tables hold exactly the acknowledged rows."""

import base64
import json
import os
import signal
import subprocess
import tempfile

from harness import BINARY, Broker, run, wait_until
from test_sql_psql import PSQL, SqlServer
from test_sql_share import cli, exactly, leader_and_other, owner, processes, write


def records(broker, topic, committed):
    """Every record of `topic` as (key bytes or None, value bytes or None), read committed or not."""
    level = "read_committed" if committed else "read_uncommitted"
    out = []
    for line in cli(broker, "consume", topic, "--from-beginning", "-e", "-J", "--base64",
                    "-X", "isolation.level=" + level).splitlines():
        r = json.loads(line)
        def field(name):
            v = r.get(name)
            return None if v is None else base64.b64decode(v)
        out.append((field("key"), field("value")))
    return out


def held_statement(s, sql, hold):
    """Starts `sql` on `s` (psql in the background) and waits until it holds at its write."""
    p = subprocess.Popen([PSQL, "-X", "-At", "-h", "127.0.0.1", "-p", str(s.port), "-d", "dev", "-U", "root",
                          "-v", "VERBOSITY=verbose", "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    wait_until(lambda: os.path.exists(hold + ".held") or p.poll() is not None, what="%s held" % sql)
    assert not os.path.exists(hold)
    assert p.poll() is None, ("not held", sql, p.communicate())
    return p


def stop_until_moved(stopped, other, names):
    """SIGSTOP `stopped` until `other` alone is in the plan and runs `names`."""
    me = "127.0.0.1:%d" % other.port
    stopped.proc.send_signal(signal.SIGSTOP)
    wait_until(lambda: (processes(other) or {}).keys() == {me} and set(names) <= processes(other)[me],
               timeout=45, what="%s moved while %d is stopped" % (names, stopped.port))


def refused_fenced(p):
    out, err = p.communicate(timeout=60)
    assert p.returncode != 0 and "57P03" in err and "fenced" in err, (p.returncode, out, err)


def test_stale_owner_and_leader_are_fenced():
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": "0"}) as b, \
            tempfile.TemporaryDirectory() as tmp:
        catalog = "_sql_share_fencing"
        hold = os.path.join(tmp, "hold")
        os.environ["RUNNEL_SQL_TEST_HOLD_WRITES"] = hold
        try:
            args = ("--brokers", b.bootstrap, "--catalog-topic", catalog, "--share", "--session-timeout-ms", "6000")
            procs = [SqlServer(*args) for _ in range(2)]
        finally:
            del os.environ["RUNNEL_SQL_TEST_HOLD_WRITES"]
        try:
            leader = leader_and_other(procs)[0]
            leader.psql("CREATE TABLE t (id INT, who TEXT)")  # id 1: no key, its topic a log of changes
            acked = []

            def insert(s, i, who):
                write(s, "INSERT INTO t VALUES (%d, '%s')" % (i, who))
                acked.append((i, who))

            for i, s in enumerate(procs):
                insert(s, i + 1, "before")

            # The owner's INSERT passes its checks and holds; the owner stops until t moves, the new owner
            # takes INSERTs; the owner resumes and its INSERT reaches the cluster late: fenced, refused.
            own = owner(procs, "t")
            other = [p for p in procs if p is not own][0]
            open(hold, "w").close()
            late = held_statement(own, "INSERT INTO t VALUES (99, 'stale owner')", hold)
            try:
                stop_until_moved(own, other, {"t"})
                insert(other, 10, "new owner")
            finally:
                os.remove(hold + ".held")
                own.proc.send_signal(signal.SIGCONT)
            refused_fenced(late)
            # Its next INSERTs are refused (57P03) until it has rejoined, then go to t's owner.
            insert(own, 11, "after")
            insert(other, 12, "after")
            want = "".join("%d|%s\n" % r for r in sorted(acked))
            for p in procs:
                exactly(p, "SELECT id, who FROM t ORDER BY id", want, 45, "t's acknowledged rows")
            topic = "%s-table-1" % catalog
            for committed in (True, False):
                recs = records(b, topic, committed)
                assert len(recs) == len(acked), (committed, recs, acked)
                assert not any(b"stale" in (v or b"") for _, v in recs), (committed, recs)

            # The leader's CREATE TABLE passes its checks and holds; the leader stops until the other
            # process leads and has created a table (which takes the id the stale leader's CREATE would
            # give); the leader resumes: its catalog write is fenced and the statement refused. The
            # stale CREATE opened the new table's topic meanwhile (fencing its owner's writer), so
            # the owner takes its writes back, and INSERTs into it are acknowledged again.
            wait_until(lambda: all(v is not None and len(v) == 2 and None not in v
                                   for v in (processes(p) for p in procs)), timeout=45, what="two members again")
            leader = leader_and_other(procs)[0]
            other = [p for p in procs if p is not leader][0]
            open(hold, "w").close()
            late = held_statement(leader, "CREATE TABLE stale (id INT)", hold)
            try:
                stop_until_moved(leader, other, {"t"})
                write(other, "CREATE TABLE fresh (id INT)")
                write(other, "INSERT INTO fresh VALUES (1)")
            finally:
                os.remove(hold + ".held")
                leader.proc.send_signal(signal.SIGCONT)
            refused_fenced(late)
            write(other, "INSERT INTO fresh VALUES (2)")
            write(leader, "INSERT INTO fresh VALUES (3)")
            wait_until(lambda: all(v is not None and len(v) == 2 and None not in v
                                   for v in (processes(p) for p in procs)), timeout=45, what="two members again")
            for p in procs:
                assert sorted(p.psql("SHOW TABLES").stdout.split()) == ["fresh", "t"], p.psql("SHOW TABLES").stdout
                exactly(p, "SELECT id FROM fresh ORDER BY id", "1\n2\n3\n", 45, "fresh's acknowledged rows")
                exactly(p, "SELECT id, who FROM t ORDER BY id", want, 45, "t unchanged")
            for committed in (True, False):
                keys = [k for k, _ in records(b, catalog, committed)]
                assert b"stale" not in keys and b"fresh" in keys, (committed, keys)
            # DDL sent to the process that was fenced works again (through whichever leads).
            write(leader, "CREATE TABLE later (id INT)")
            for p in procs:
                wait_until(lambda: "later" in p.psql("SHOW TABLES").stdout.split(), what="DDL after the rejoin")
        finally:
            for p in procs:
                if p.proc.poll() is None:
                    p.proc.send_signal(signal.SIGCONT)
                    rc = p.stop()
                    assert rc == 0, (rc, p.stderr())


if __name__ == "__main__":
    run([test_stale_owner_and_leader_are_fenced])
