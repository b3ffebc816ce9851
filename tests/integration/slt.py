#!/usr/bin/env python3
"""A sqllogictest runner on libpq (psycopg 3's `psycopg.pq`, the C library
psql uses): the file format of sqllogictest-rs
(https://github.com/risinglightdb/sqllogictest-rs), run against any
PostgreSQL-protocol server — `runnel sql`, `runnel serve --sql-listen`, or
PostgreSQL itself to check that an expected result is PostgreSQL's.

    slt.py --port 4566 FILE.slt...                 # a server already listening
    slt.py --runnel build/runnel FILE.slt...       # starts `runnel serve --sql-listen` per file
    slt.py --postgres FILE.slt...                  # a private PostgreSQL 15 (db_servers.py)

Records (separated by blank lines; `#` starts a comment line):

    statement ok | statement error [REGEX] | statement count N
    query TYPES [nosort|rowsort|valuesort] [LABEL] [retry N backoff Ns]
      (TYPES: one letter a column; I: an integer type, R: float or numeric,
       anything else: any type) SQL, `----`, one line per row, values
       separated by spaces, NULL for null, (empty) for ''
    query error [REGEX]
    ... retry N backoff DUR at the end of a statement/query line: try again,
                            up to N more times DUR apart, until it passes
                            (streaming views fill asynchronously)
    skipif ENGINE | onlyif ENGINE   before a record (ENGINE: runnel, postgres)
    halt | hash-threshold N | control sortmode MODE | include GLOB
    <slt:ignore>            in an expected row: any text there (a change's time)
    system ok               a shell command ($RUNNEL, $BROKERS in its environment)

`statement error (42P01)` checks the SQLSTATE alone, as sqllogictest-rs
does. Any other pattern is matched (re.search) against `SQLSTATE: message`, followed by
` (position N)` when the server gives one, so a file can check the class
of an error as well as its text: `statement error 42P01: relation "x" does
not exist`. That string is this runner's; sqllogictest-rs shows tokio-postgres'
`db error: ERROR: message` instead, so the SQLSTATE part is ours alone.

A mismatch is reported as FILE:LINE with what was expected and what came;
the run goes on with the next record (as sqllogictest-rs does), and the
exit status is 1 if anything failed.
"""

import argparse
import glob
import hashlib
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
import py_venv  # noqa: E402

if __name__ == "__main__":
    py_venv.enter(__file__)

from psycopg import pq  # noqa: E402

INT_OIDS = {20, 21, 23}  # int8, int2, int4
REAL_OIDS = {700, 701, 1700}  # float4, float8, numeric


class Failure(Exception):
    def __init__(self, text, got=None):
        super().__init__(text)
        self.got = got  # a query's result lines, when they differ


class Record:
    def __init__(self, kind, line, args):
        self.kind, self.line, self.args = kind, line, args
        self.sql = ""
        self.expected = None  # list of lines after ----
        self.retry = None  # (count, backoff seconds)
        self.conditions = []  # ("skipif"|"onlyif", engine)
        self.end = None  # index of the line after the SQL, for --override
        self.exp_range = None  # [first, last) line indexes of the expected results


def _duration(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)?", text)
    if not m:
        raise ValueError("bad duration %r" % text)
    return float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)


def _split_retry(tokens):
    """`... retry 3 backoff 1s` at the end of a record's first line."""
    if "retry" not in tokens:
        return tokens, None
    i = tokens.index("retry")
    rest = tokens[i + 1:]
    if len(rest) != 3 or rest[1] != "backoff":
        raise ValueError("expected 'retry N backoff DURATION'")
    return tokens[:i], (int(rest[0]), _duration(rest[2]))


def parse(path):
    """The records of one file, `include`s expanded."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    records, pending, i = [], [], 0
    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        lineno = i + 1
        i += 1
        if not line or line.startswith("#"):
            continue
        tokens = line.split()
        head = tokens[0]
        if head in ("skipif", "onlyif"):
            pending.append((head, tokens[1]))
            continue
        if head == "include":
            for inc in sorted(glob.glob(os.path.join(os.path.dirname(path), tokens[1]))):
                records.extend(parse(inc))
            continue
        if head in ("halt", "hash-threshold", "control", "subtest"):
            r = Record(head, (path, lineno), tokens[1:])
            r.conditions, pending = pending, []
            records.append(r)
            continue
        if head not in ("statement", "query", "system"):
            raise ValueError("%s:%d: unknown record %r" % (path, lineno, line))
        tokens, retry = _split_retry(tokens)
        r = Record(head, (path, lineno), tokens[1:])
        r.retry = retry
        r.conditions, pending = pending, []
        body = []
        while i < len(lines) and lines[i].strip() != "" and lines[i].strip() != "----":
            body.append(lines[i])
            i += 1
        r.sql = "\n".join(body)
        r.end = i
        if i < len(lines) and lines[i].strip() == "----":
            i += 1
            expected = []
            start = i
            while i < len(lines) and lines[i].strip() != "":
                expected.append(lines[i])
                i += 1
            r.expected = expected
            r.exp_range = (start, i)
        records.append(r)
    return records


def _normalize(s):
    return " ".join(s.split())


def _text(v):
    if v is None:
        return "NULL"
    s = v.decode("utf-8")
    return s if s != "" else "(empty)"


class Connection:
    """One libpq connection; the simple query protocol, or the extended one
    (Parse/Bind/Execute without parameters) with extended=True."""

    def __init__(self, conninfo, extended=False):
        self.conn = pq.PGconn.connect(conninfo.encode())
        if self.conn.status != pq.ConnStatus.OK:
            raise RuntimeError("cannot connect (%s): %s" % (conninfo, self.conn.error_message.decode()))
        self.extended = extended

    def execute(self, sql):
        """(rows as lists of text or None, column type OIDs, command tag) or
        raises Failure with `SQLSTATE: message (position N)`."""
        if self.extended:
            res = self.conn.exec_params(sql.encode(), [], result_format=0)
        else:
            res = self.conn.exec_(sql.encode())
        if res.status == pq.ExecStatus.FATAL_ERROR or res.status == pq.ExecStatus.NONFATAL_ERROR:
            f = pq.DiagnosticField
            code = (res.error_field(f.SQLSTATE) or b"").decode()
            msg = (res.error_field(f.MESSAGE_PRIMARY) or res.error_message or b"").decode().strip()
            pos = res.error_field(f.STATEMENT_POSITION)
            text = "%s: %s" % (code, msg)
            if pos:
                text += " (position %s)" % pos.decode()
            raise Failure(text)
        if res.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY):
            raise Failure("unexpected result status %s: %s" % (res.status, res.error_message.decode()))
        rows = [[res.get_value(r, c) for c in range(res.nfields)] for r in range(res.ntuples)]
        types = [res.ftype(c) for c in range(res.nfields)]
        return rows, types, (res.command_status or b"").decode()

    def close(self):
        self.conn.finish()


class Runner:
    def __init__(self, connect, engine, env=None, override=False):
        self.connect = connect  # () -> Connection
        self.engine = engine
        self.env = env or {}
        self.override = override  # rewrite each query's expected rows with what came
        self.got = {}  # (file, line) -> result lines, with override

    def run_file(self, path):
        """Runs one file on a fresh connection; returns its failures as
        `FILE:LINE: what` strings."""
        failures = []
        conn = self.connect()
        self.sort_mode = "nosort"
        self.hash_threshold = 0
        try:
            for r in parse(path):
                if any((k == "skipif") == (e == self.engine) for k, e in r.conditions):
                    continue
                if r.kind == "halt":
                    break
                if r.kind == "hash-threshold":
                    self.hash_threshold = int(r.args[0])
                    continue
                if r.kind == "control":
                    if r.args[:1] == ["sortmode"]:
                        self.sort_mode = r.args[1]
                    continue
                if r.kind == "subtest":
                    continue
                attempts, backoff = r.retry or (0, 0.0)
                for attempt in range(attempts + 1):
                    try:
                        self._run(conn, r)
                        break
                    except Failure as e:
                        if attempt == attempts and self.override and e.got is not None:
                            self.got[r.line] = e.got  # after every retry, as sqllogictest-rs
                        elif attempt == attempts:
                            failures.append("%s:%d: %s" % (r.line[0], r.line[1], e))
                        else:
                            time.sleep(backoff)
        finally:
            conn.close()
        if self.override:
            self._rewrite(path)
        return failures

    def _rewrite(self, path):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        edits = []
        for r in parse(path):
            if r.line[0] == path and (path, r.line[1]) in self.got:
                edits.append((r, self.got[(path, r.line[1])]))
        for r, got in sorted(edits, key=lambda e: -e[0].line[1]):
            if r.exp_range:
                lines[r.exp_range[0]:r.exp_range[1]] = got
            else:
                lines[r.end:r.end] = ["----"] + got
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))

    def _run(self, conn, r):
        if r.kind == "system":
            self._system(r)
        elif r.kind == "statement":
            self._statement(conn, r)
        else:
            self._query(conn, r)

    def _system(self, r):
        env = dict(os.environ, **self.env)
        p = subprocess.run(["bash", "-c", r.sql], env=env, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise Failure("command failed (%d): %s\n%s" % (p.returncode, r.sql, p.stderr))
        if r.expected is not None:
            got = [_normalize(x) for x in p.stdout.splitlines()]
            want = [_normalize(x) for x in r.expected]
            if got != want:
                raise Failure("command output differs:\n%s" % _diff(want, got))

    def _expect_error(self, conn, r, pattern):
        try:
            conn.execute(r.sql)
        except Failure as e:
            m = re.fullmatch(r"\(([0-9A-Z]{5})\)", pattern)
            if m:  # sqllogictest-rs' `error (SQLSTATE)`
                pattern = "^" + m.group(1) + ":"
            if pattern and not re.search(pattern, str(e)):
                raise Failure("error does not match /%s/:\n    %s\n  in: %s" % (pattern, e, r.sql))
            return
        raise Failure("expected an error%s, but it succeeded:\n  %s" % (" /%s/" % pattern if pattern else "", r.sql))

    def _statement(self, conn, r):
        mode = r.args[0] if r.args else "ok"
        if mode == "error":
            return self._expect_error(conn, r, " ".join(r.args[1:]))
        try:
            _, _, tag = conn.execute(r.sql)
        except Failure as e:
            raise Failure("statement failed: %s\n  in: %s" % (e, r.sql))
        if mode == "count":
            n = tag.split()[-1] if tag.split() else ""
            if n != r.args[1]:
                raise Failure("expected count %s, got command tag %r\n  in: %s" % (r.args[1], tag, r.sql))

    def _query(self, conn, r):
        if r.args[:1] == ["error"]:
            return self._expect_error(conn, r, " ".join(r.args[1:]))
        types = r.args[0] if r.args else ""
        sort = self.sort_mode
        for a in r.args[1:]:
            if a in ("nosort", "rowsort", "valuesort"):
                sort = a
        try:
            rows, oids, _ = conn.execute(r.sql)
        except Failure as e:
            raise Failure("query failed: %s\n  in: %s" % (e, r.sql))
        if types and len(types) != len(oids):
            raise Failure("expected %d columns (%s), got %d\n  in: %s" % (len(types), types, len(oids), r.sql))
        for t, oid, i in zip(types, oids, range(len(oids))):
            if (t == "I" and oid not in INT_OIDS) or (t == "R" and oid not in REAL_OIDS):
                raise Failure("column %d: expected type %s, got OID %d\n  in: %s" % (i + 1, t, oid, r.sql))
        text = [[_text(v) for v in row] for row in rows]
        if sort == "rowsort":
            text.sort()
        elif sort == "valuesort":
            text = [[v] for v in sorted(v for row in text for v in row)]
        got = [_normalize(" ".join(row)) for row in text]
        n_values = sum(len(row) for row in text)
        if self.hash_threshold and n_values > self.hash_threshold:
            h = hashlib.md5("".join(v + "\n" for row in text for v in row).encode()).hexdigest()
            got = ["%d values hashing to %s" % (n_values, h)]
        want = [_normalize(x) for x in (r.expected or [])]
        if got == want or _matches_ignoring(want, got):
            return
        raise Failure("query result differs:\n  in: %s\n%s" % (r.sql.replace("\n", "\n      "), _diff(want, got)),
                      got)


def _matches_ignoring(want, got):
    """sqllogictest-rs' `<slt:ignore>`: any text in its place (a timestamp)."""
    if len(want) != len(got) or not any(IGNORE in w for w in want):
        return False
    for w, g in zip(want, got):
        pattern = ".*".join(re.escape(part) for part in w.split(IGNORE))
        if not re.fullmatch(pattern, g):
            return False
    return True


IGNORE = "<slt:ignore>"


def _diff(want, got):
    out = ["  expected:"] + ["    " + x for x in want] + ["  got:"] + ["    " + x for x in got]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = ap.add_mutually_exclusive_group(required=True)
    target.add_argument("--port", type=int, help="a PostgreSQL-protocol server on 127.0.0.1:PORT")
    target.add_argument("--runnel", help="start `runnel serve --sql-listen` (this binary) for each file")
    target.add_argument("--postgres", action="store_true", help="start a private PostgreSQL 15")
    ap.add_argument("--engine", help="the name skipif/onlyif see (default: postgres with --postgres, else runnel)")
    ap.add_argument("--extended", action="store_true", help="the extended query protocol")
    ap.add_argument("--override", action="store_true", help="write the results that came into the files")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    sys.path.insert(0, HERE)
    failures = []
    if a.port:
        r = Runner(lambda: Connection("host=127.0.0.1 port=%d dbname=dev user=root" % a.port, a.extended),
                   a.engine or "runnel", override=a.override)
        for f in a.files:
            failures += r.run_file(f)
    elif a.postgres:
        from db_servers import PostgresServer
        with PostgresServer() as pg:
            for f in a.files:  # a fresh database for each file
                pg.execute("DROP DATABASE IF EXISTS slt")
                pg.execute("CREATE DATABASE slt")
                r = Runner(lambda: Connection(pg.dsn.replace("dbname=postgres", "dbname=slt"), a.extended),
                           a.engine or "postgres", override=a.override)
                failures += r.run_file(f)
    else:
        from test_sql_logic import run_on_runnel
        for f in a.files:
            failures += run_on_runnel(a.runnel, f, extended=a.extended, engine=a.engine or "runnel",
                                      override=a.override)
    for x in failures:
        print(x, file=sys.stderr)
    print("%d files, %d failures" % (len(a.files), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
