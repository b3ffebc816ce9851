"""pgx v5 (Go, pinned in go/go.mod) against `runnel serve --sql-listen`:
go/pgxcheck runs the simple protocol and every pgx query mode with typed
parameters, typed scans and pgx's type map, a source over a topic of this
broker with a view that follows it, an upsert table over a keyed topic,
SQLSTATE errors and a SUBSCRIBE cursor with a CancelRequest (its checks
print PASS/FAIL each)."""

import os
import shutil
import subprocess
import tempfile

from harness import BINARY, Broker, run
from test_sql_kafka import cli

HERE = os.path.dirname(os.path.abspath(__file__))


def test_pgx():
    env = dict(os.environ)
    # Only what scripts/setup put in the module cache: no network here.
    env.update(GOPROXY="off", GOFLAGS="-mod=readonly -buildvcs=false")
    out_dir = tempfile.mkdtemp(prefix="runnel-pgx-")
    exe = os.path.join(out_dir, "pgxcheck")
    try:
        build = subprocess.run(["go", "build", "-o", exe, "./pgxcheck"], cwd=os.path.join(HERE, "go"), env=env,
                               capture_output=True, timeout=600)
        assert build.returncode == 0, "go build failed (run scripts/setup?):\n" + build.stderr.decode()
        with Broker(BINARY, settings={"sql.listen": "127.0.0.1:0"}) as b:
            assert b.sql_port, "no 'runnel: sql on' line"
            cli(b, "topic", "create", "pgx_clicks", "--partitions", "2")
            cli(b, "topic", "create", "pgx_users", "--partitions", "2")
            r = subprocess.run([exe, str(b.sql_port), BINARY, b.bootstrap, "pgx_clicks", "pgx_users"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=400)
            out = r.stdout.decode(errors="replace")
            print(out, flush=True)
            assert r.returncode == 0 and "0 failed" in out, b.tail()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    run([test_pgx])
