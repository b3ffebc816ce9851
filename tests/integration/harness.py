"""Shared helpers for runnel's integration tests.

Each test script is run by ctest as `/usr/bin/python3 test_x.py PATH/TO/runnel`.
It starts its own broker on a free loopback port in a private temporary
directory, waits for conditions (never fixed sleeps), and stops everything it
started. A script prints 'N passed, M failed' last and exits non-zero if
anything failed.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(cond, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError("timed out after %.0fs waiting for %s" % (timeout, what))


class Broker:
    """A `runnel serve` process on a free port, with its own data directory."""

    def __init__(self, binary, data_dir=None, settings=None, shards=None, connect=False):
        self.binary = binary
        # connect: host a Kafka Connect worker (REST on any free port);
        # otherwise none, so brokers side by side do not contend for 8083.
        self.connect = connect
        self.connect_port = None
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="runnel-it-")
        self.settings = dict(settings or {})
        self.shards = shards
        self.port = free_port()
        self.started = False  # once: restarts keep the port clients know
        self.admin_port = None  # the admin HTTP server's, once started
        self.sql_port = None  # the PostgreSQL listener's, if sql.listen is set
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "broker.log")

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=60):
        # free_port() releases the port it found, so the kernel may hand the
        # same one to the admin server's 127.0.0.1:0 (or another test) before
        # the broker binds it: on a first start, try another port.
        for attempt in range(3):
            try:
                return self._start(timeout)
            except RuntimeError as e:
                if self.started or attempt == 2 or "Address already in use" not in str(e):
                    raise
                self.proc.wait()
                self.proc.stdout.close()
                self.log.close()
                self.port = free_port()

    def _start(self, timeout):
        # The admin server on any free port: tests run side by side.
        args = [self.binary, "serve", "--data-dir", os.path.join(self.data_dir, "data"),
                "--listen", self.bootstrap, "--admin-listen", "127.0.0.1:0",
                "--connect-listen", "127.0.0.1:0" if self.connect else "off",
                # SQL only when asked (settings={"sql.listen": ...}, which --set
                # applies over this flag): its default port 4566 is one for all.
                "--sql-listen", "off"]
        if self.shards:
            args += ["--shards", str(self.shards)]
        for k, v in self.settings.items():
            args += ["--set", "%s=%s" % (k, v)]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("broker exited during start-up:\n" + self.tail())
            if line.startswith(b"runnel: admin on"):
                self.admin_port = int(line.rsplit(b":", 1)[1])
            if line.startswith(b"runnel: sql on"):  # settings={"sql.listen": ...}
                self.sql_port = int(line.rsplit(b":", 1)[1])
            if line.startswith(b"runnel: connect on"):
                self.connect_port = int(line.rsplit(b":", 1)[1])
            if line.startswith(b"runnel: ready on"):
                self.started = True
                return self
        raise TimeoutError("broker did not report ready:\n" + self.tail())

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops the broker (SIGTERM: clean shutdown; SIGKILL: a crash)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc.stdout.close()
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class Connect:
    """A `runnel connect run ARGS…` process, started and waited on until it
    prints its ready line. `listen` is the REST listener passed as
    --connect-listen unless ARGS name one: a free port by default; "off" for
    tests that run side by side with others and need no REST API. `rest` is
    the REST API's base URL when it listens, else None."""

    def __init__(self, args, log_path, listen="127.0.0.1:0"):
        self.log = open(log_path, "ab")
        self.log_path = log_path
        if "--connect-listen" not in args:
            args = ["--connect-listen", listen, *args]
        self.proc = subprocess.Popen([BINARY, "connect", "run", *args], stdout=subprocess.PIPE,
                                     stderr=self.log)
        line = self.proc.stdout.readline()
        self.ready = line.decode(errors="replace")
        if not line.startswith(b"runnel connect: running"):
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.log.close()
            raise AssertionError("connect did not start: %r\n%s" % (line, self.tail()))
        self.rest = None
        if "REST API on " in self.ready:
            self.rest = self.ready.rsplit("REST API on ", 1)[1].strip().rstrip("/")

    def status(self, name):
        """GET /connectors/NAME/status as a dict."""
        with urllib.request.urlopen("%s/connectors/%s/status" % (self.rest, name),
                                    timeout=10) as r:
            return json.loads(r.read())

    def tail(self, n=40):
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-n:]).decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        """Signals the process (SIGTERM: a clean stop) and waits up to 60 s;
        returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("connect did not stop on signal %d:\n%s" % (sig, self.tail()))
        self.proc.stdout.close()
        self.log.close()
        return rc


def run(tests):
    """Runs test functions; prints a summary line; exits non-zero on failure."""
    passed = failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
            passed += 1
            print("PASS %s (%.1fs)" % (t.__name__, time.monotonic() - start), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


BINARY = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("RUNNEL", "build/runnel")
