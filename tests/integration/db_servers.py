"""Real database servers for the connector tests: PostgreSQL 15 and MariaDB
from Debian (scripts/setup installs them), each on a free loopback port in a
private temporary directory, never the system's own clusters.

    with PostgresServer() as pg:          # wal_level=logical, slots enabled
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        pg.dsn        # libpq keyword string for our C++ code and psycopg
        pg.jdbc_url   # jdbc:postgresql://127.0.0.1:PORT/postgres

    with MariaDBServer() as db:           # binlog in ROW format for CDC
        db.execute("CREATE TABLE demo.t (id int PRIMARY KEY)")

PostgreSQL refuses to run as root and MariaDB refuses unless told to: as root
the PostgreSQL processes run as the `postgres` user the Debian package
creates (its directory is handed to that user), and MariaDB with
`--user=root`. Both start with fsync on: the tests that kill things kill our
processes, but the databases are what we compare against, so they keep
their own durability.

`execute()` goes through the command-line clients (psql, mariadb), so this
module needs nothing from PyPI; tests that need a driver use the venv's
psycopg or PyMySQL (py/requirements.txt).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import free_port, wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"


def _as_postgres_user(args):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + args
    return args


class PostgresServer:
    """A private PostgreSQL 15 cluster: user `postgres`, trust auth on
    loopback, database `postgres`, wal_level=logical."""

    def __init__(self, settings=None):
        self.dir = tempfile.mkdtemp(prefix="runnel-pg-")
        self.data_dir = os.path.join(self.dir, "data")
        self.socket_dir = os.path.join(self.dir, "sock")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.settings = {
            "listen_addresses": "127.0.0.1",
            "wal_level": "logical",
            "max_replication_slots": "16",
            "max_wal_senders": "16",
            "max_connections": "100",
        }
        self.settings.update(settings or {})
        self.proc = None

    @property
    def dsn(self):
        return "host=127.0.0.1 port=%d user=postgres dbname=postgres" % self.port

    @property
    def jdbc_url(self):
        return "jdbc:postgresql://127.0.0.1:%d/postgres?user=postgres" % self.port

    def start(self, timeout=60):
        os.makedirs(self.socket_dir)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        if not os.path.exists(self.data_dir):
            subprocess.run(
                _as_postgres_user([os.path.join(PG_BIN, "initdb"), "-D", self.data_dir,
                                   "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                   "--locale=C.UTF-8", "--no-sync"]),
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        args = [os.path.join(PG_BIN, "postgres"), "-D", self.data_dir, "-p", str(self.port),
                "-k", self.socket_dir]
        for k, v in self.settings.items():
            args += ["-c", "%s=%s" % (k, v)]
        log = open(self.log_path, "ab")
        if os.geteuid() == 0:
            shutil.chown(self.log_path, "postgres", "postgres")
        self.proc = subprocess.Popen(_as_postgres_user(args), stdout=log, stderr=log)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited during start-up:\n" + self.tail())
            r = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1",
                                "-p", str(self.port), "-U", "postgres"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return r.returncode == 0
        wait_until(ready, timeout, what="postgres on port %d" % self.port)
        return self

    def execute(self, sql, db="postgres"):
        """Runs SQL with psql (stops at the first error) and returns its
        unaligned, tab-separated output rows as lists of strings."""
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "\t",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                            "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, r.stderr.decode(errors="replace")))
        out = r.stdout.decode()
        return [line.split("\t") for line in out.splitlines() if line]

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data_dir, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def _signal_postmaster(self, sig):
        # As root self.proc is runuser, which does not pass SIGINT on to
        # postgres: signal the postmaster itself (its pid file names it).
        pid = self._postmaster_pid() or self.proc.pid
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout=60):
        if self.proc and self.proc.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown: no waiting for clients
            # (a replication connection would hold off a "smart" one).
            self._signal_postmaster(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_postmaster(signal.SIGKILL)
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class MariaDBServer:
    """A private MariaDB server: user `root` without a password on loopback,
    an empty database `demo`, binlog in ROW format (server id 1), sessions
    in UTC (--default-time-zone). `system_tz` (e.g. "Asia/Tokyo") is the
    server process's own zone (TZ), which InnoDB uses for
    INNODB_TRX.trx_started."""

    def __init__(self, system_tz=None):
        self.system_tz = system_tz
        self.dir = tempfile.mkdtemp(prefix="runnel-mariadb-")
        self.data_dir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mariadb.sock")
        self.log_path = os.path.join(self.dir, "mariadb.log")
        self.port = free_port()
        self.proc = None

    @property
    def jdbc_url(self):
        return "jdbc:mysql://127.0.0.1:%d/demo?user=root&password=" % self.port

    def _user(self):
        return ["--user=root"] if os.geteuid() == 0 else []

    def start(self, timeout=60):
        if not os.path.exists(self.data_dir):
            subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.data_dir,
                            "--auth-root-authentication-method=normal", "--skip-test-db"]
                           + self._user(),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        args = ["mariadbd", "--no-defaults", "--datadir=" + self.data_dir,
                "--port=%d" % self.port, "--bind-address=127.0.0.1", "--socket=" + self.socket,
                "--pid-file=" + os.path.join(self.dir, "mariadb.pid"),
                "--log-error=" + self.log_path, "--log-bin=binlog", "--binlog-format=ROW",
                "--server-id=1", "--skip-name-resolve", "--default-time-zone=+00:00"] + self._user()
        env = dict(os.environ, TZ=self.system_tz) if self.system_tz else None
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=env)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited during start-up:\n" + self.tail())
            r = subprocess.run(["mariadb-admin", "--no-defaults", "-h", "127.0.0.1",
                                "-P", str(self.port), "-u", "root", "ping"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return r.returncode == 0
        wait_until(ready, timeout, what="mariadb on port %d" % self.port)
        self.execute("CREATE DATABASE IF NOT EXISTS demo", db=None)
        return self

    def execute(self, sql, db="demo"):
        """Runs SQL with the mariadb client; returns tab-separated rows."""
        args = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", "root",
                "--batch", "--skip-column-names", "-e", sql]
        if db:
            args.append(db)
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError("mariadb failed: %s\n%s" % (sql, r.stderr.decode(errors="replace")))
        return [line.split("\t") for line in r.stdout.decode().splitlines() if line]

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
