"""The sqllogictest suite of streaming SQL (tests/sql/slt/*.slt, run by
slt.py, our runner of sqllogictest-rs' format on libpq): every file against
its own `runnel serve --sql-listen` (free ports, a private data directory),
so that one file's relations never meet another's; and the files that say
`# also: postgres` in their first lines against PostgreSQL 15 as well, which
proves that their expected results are PostgreSQL's.

Files under tests/sql/slt/known_failures/ hold correct expectations that
runnel does not meet yet: they are not run against runnel (docs/sql/README.md,
"Not yet"), only against PostgreSQL, which keeps them right.

ctest runs this with /usr/bin/python3; it re-runs itself with the venv's
python (psycopg). A mismatch is reported as FILE:LINE."""

import concurrent.futures
import glob
import os
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "..", "sql", "slt")

import py_venv  # noqa: E402

if __name__ == "__main__":
    py_venv.enter(__file__)

from harness import BINARY, Broker, run  # noqa: E402
from slt import Connection, Runner  # noqa: E402


def run_on_runnel(binary, path, extended=False, engine="runnel", override=False):
    """Runs one file against a `runnel serve --sql-listen` of its own; its
    `system` records see $RUNNEL (the binary) and $BROKERS (the broker)."""
    with Broker(binary, settings={"sql.listen": "127.0.0.1:0"}) as b:
        port = b.sql_port
        r = Runner(lambda: Connection("host=127.0.0.1 port=%d dbname=dev user=root connect_timeout=10" % port,
                                      extended),
                   engine, env={"RUNNEL": os.path.abspath(binary), "BROKERS": b.bootstrap}, override=override)
        failures = r.run_file(path)
        if failures and not b.alive():
            failures.append("%s: the server died:\n%s" % (path, b.tail()))
        return failures


def suite_files():
    return sorted(glob.glob(os.path.join(SUITE, "*.slt")))


def also_postgres(path):
    with open(path, encoding="utf-8") as f:
        head = [f.readline() for _ in range(5)]
    return any(line.strip() == "# also: postgres" for line in head)


def _check(failures):
    if failures:
        raise AssertionError("%d mismatches:\n%s" % (len(failures), "\n".join(failures)))


def _run_all(files, extended=False):
    """Runs files two at a time (a server each: start and stop take most of
    a small file's time); prints one line per file."""
    def one(f):
        start = time.monotonic()
        return f, run_on_runnel(BINARY, f, extended=extended), time.monotonic() - start
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for f, got, secs in pool.map(one, files):
            print("  %s%s: %s (%.1fs)" % (os.path.basename(f), " (extended)" if extended else "",
                                          "ok" if not got else "%d failed" % len(got), secs), flush=True)
            failures += got
    return failures


def test_every_file_on_runnel():
    files = suite_files()
    assert len(files) >= 10, files
    _check(_run_all(files))


def test_extended_protocol():
    """The portable files once more through Parse/Bind/Execute, as drivers send them."""
    _check(_run_all([f for f in suite_files() if also_postgres(f)], extended=True))


def test_expectations_are_postgres():
    """The portable files, and the known failures (whose expectations must be
    PostgreSQL's too), against PostgreSQL 15."""
    from db_servers import PostgresServer
    known = sorted(glob.glob(os.path.join(SUITE, "known_failures", "*.slt")))
    files = [f for f in suite_files() + known if also_postgres(f)]
    assert files
    failures = []
    with PostgresServer() as pg:
        for f in files:
            pg.execute("DROP DATABASE IF EXISTS slt")
            pg.execute("CREATE DATABASE slt")
            dsn = pg.dsn.replace("dbname=postgres", "dbname=slt")
            failures += Runner(lambda: Connection(dsn), "postgres").run_file(f)
    _check(failures)


def test_mismatches_are_reported_with_their_line():
    """The runner itself: a wrong result, a wrong error, a success where an
    error was expected and a retried query that never matches each fail at
    their own line, and the run goes on after them."""
    text = """query I
SELECT 1
----
1

query I
SELECT 2
----
3

statement error 42P01: relation "nope"
SELECT * FROM nope

statement error 42601
SELECT * FROM nope

statement error
SELECT 1

query I rowsort retry 2 backoff 10ms
SELECT 1 UNION ALL SELECT 2
----
2
1

query T
SELECT 'still running'
----
still running
"""
    with tempfile.NamedTemporaryFile("w", suffix=".slt", delete=False) as f:
        f.write(text)
    try:
        failures = run_on_runnel(BINARY, f.name)
    finally:
        os.unlink(f.name)
    lines = [int(x.split(":")[1]) for x in failures]
    assert lines == [6, 14, 17, 20], failures
    assert "expected:\n    3\n  got:\n    2" in failures[0], failures[0]
    assert "42P01: relation \"nope\" does not exist (position 15)" in failures[1], failures[1]


if __name__ == "__main__":
    run([test_every_file_on_runnel, test_extended_protocol, test_expectations_are_postgres,
         test_mismatches_are_reported_with_their_line])
