"""SQL sinks to the connectors (docs/sql/README.md, "Sinks to databases,
object stores and directories"): CREATE SINK … WITH (connector = 'jdbc' |
's3' | 'fs'), RisingWave's option names, run as a Kafka Connect connector
by the SQL process's worker.

- PostgreSQL 15 and MariaDB (db_servers.py) behind `runnel sql` with a
  durable catalog and state: a view whose groups are updated and deleted
  goes to an upsert table (tombstones delete rows) and the table's rows to
  an append-only one; the database tables are compared with the view until
  they are equal; then the SQL process is stopped (SIGTERM) and killed
  (kill -9), restarted, changed again, and compared again — nothing lost,
  no row left behind.
- moto's S3 (objstore/.venv) and a directory behind `runnel serve
  --sql-listen` with its hosted Connect worker: the rows of a source end up
  in the bucket's files and in the directory's, across a restart of the
  server.

ctest runs: /usr/bin/python3 test_sql_connector_sinks.py PATH/TO/runnel
"""

import glob
import json
import os
import tempfile

from db_servers import MariaDBServer, PostgresServer
from harness import BINARY, Broker, run, wait_until
from test_connect_torture import Moto
from test_sql_kafka import cli, produce
from test_sql_psql import SqlServer, psql


def view_rows(port, query):
    out = psql(port, query).stdout
    return sorted(tuple(line.split("|")) for line in out.splitlines())


def workload(s, start, n):
    """Inserts ids start..start+n-1 over a few pages, then deletes every
    third one and moves every fifth left to another page: groups grow, shrink,
    change and vanish."""
    pages = ["/home", "/about", "/cart", "/p%d" % (start // 10)]
    vals = ", ".join("(%d, '%s')" % (i, pages[i % len(pages)]) for i in range(start, start + n))
    s.psql("INSERT INTO clicks VALUES " + vals)
    s.psql("DELETE FROM clicks WHERE id >= %d AND id %% 3 = 0" % start)
    moved = [i for i in range(start, start + n) if i % 3 and i % 5 == 0]
    s.psql("UPDATE clicks SET page = '/moved' WHERE id IN (%s)" % ", ".join(map(str, moved)))


def jdbc_round(db, query_db, url, kind):
    d = tempfile.mkdtemp(prefix="runnel-sqlsink-%s-" % kind)
    state = os.path.join(d, "state")
    with Broker(BINARY) as b:
        args = ("--brokers", b.bootstrap, "--catalog-topic", "_sql_catalog", "--state-dir", state)
        s = SqlServer(*args)
        try:
            s.psql("CREATE TABLE clicks (id INT PRIMARY KEY, page TEXT)",
                   "CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n FROM clicks GROUP BY page")
            # A sink without its table.name, and one whose database table is
            # missing, are refused or fail clearly; an unknown connector too.
            r = s.psql("CREATE SINK bad FROM visits WITH (connector = 'jdbc', jdbc.url = '%s', "
                       "type = 'upsert')" % url, check=False)
            assert r.returncode != 0 and "table.name" in r.stderr, r.stderr
            r = s.psql("CREATE SINK bad FROM visits WITH (connector = 'nosuch')", check=False)
            assert r.returncode != 0 and "not supported" in r.stderr, r.stderr
            s.psql("CREATE SINK visits_db FROM visits WITH (connector = 'jdbc', jdbc.url = '%s', "
                   "table.name = 'visits', type = 'upsert', primary_key = 'page')" % url,
                   "CREATE SINK log_db AS SELECT id, page FROM clicks WITH (connector = 'jdbc', "
                   "jdbc.url = '%s', table.name = 'clicks_log', type = 'append-only', "
                   "force_append_only = 'true')" % url)

            def equal(what):
                def check():
                    want = view_rows(s.port, "SELECT page, n FROM visits")
                    got = sorted(tuple(r) for r in query_db("SELECT page, n FROM visits"))
                    return want == got and len(want) > 0
                wait_until(check, 60, 0.2, what=what)

            workload(s, 0, 40)
            equal("the upsert table equal to the view")
            # SHOW SINKS: each sink's connector, topic and how it runs; a sink
            # whose database table is missing shows FAILED with the reason.
            def sinks():
                out = psql(s.port, "SHOW SINKS").stdout.splitlines()
                return {line.split("|")[0]: line.split("|")[1:] for line in out}
            assert sinks()["visits_db"] == ["jdbc", "_runnel_sql_sink_visits_db", "RUNNING", ""], sinks()
            s.psql("CREATE SINK broken FROM visits WITH (connector = 'jdbc', jdbc.url = '%s', "
                   "table.name = 'no_such_table', type = 'upsert', primary_key = 'page', "
                   "max.retries = '0')" % url)
            wait_until(lambda: sinks()["broken"][2] == "FAILED", 60, 0.2, what="the broken sink FAILED")
            assert "no_such_table" in sinks()["broken"][3], sinks()
            s.psql("DROP SINK broken")
            # Every insert (and the insert half of each update) once, in the append-only table.
            inserted = 40 + len([i for i in range(40) if i % 3 and i % 5 == 0])
            wait_until(lambda: int(query_db("SELECT count(*) FROM clicks_log")[0][0]) == inserted,
                       60, 0.2, what="the append-only table")

            # A clean stop and a restart: the catalog puts the connectors again.
            assert s.stop() == 0, s.stderr()
            s = SqlServer(*args)
            workload(s, 100, 30)
            equal("the upsert table after a clean restart")
            inserted += 30 + len([i for i in range(100, 130) if i % 3 and i % 5 == 0])
            wait_until(lambda: int(query_db("SELECT count(*) FROM clicks_log")[0][0]) == inserted,
                       60, 0.2, what="the append-only table after a clean restart")

            # kill -9 right after statements, with their sink records maybe
            # still on their way: each statement's commit waited for them, so
            # the view resumes from its committed state and the upsert table
            # ends equal; the append-only one has every row at least once.
            workload(s, 200, 30)
            s.proc.kill()
            s.proc.wait()
            s = SqlServer(*args)
            s.psql("DELETE FROM clicks WHERE page = '/about'")
            equal("the upsert table after kill -9")
            # A group the view lost is a row the table lost (a tombstone).
            assert not query_db("SELECT n FROM visits WHERE page = '/about'")
            wait_until(lambda: int(query_db("SELECT count(*) FROM clicks_log")[0][0]) >= inserted + 30,
                       60, 0.2, what="the append-only table after kill -9")

            # DROP SINK deletes the connector; the view goes on.
            s.psql("DROP SINK visits_db", "DROP SINK log_db")
            assert psql(s.port, "SHOW SINKS").stdout == ""
        except Exception:
            print("runnel sql's log (tail):\n" + s.stderr()[-6000:], flush=True)
            raise
        finally:
            rc = s.stop()
            assert rc == 0, s.stderr()
            assert "Traceback" not in s.stderr()


def test_jdbc_postgres():
    with PostgresServer() as pg:
        pg.execute("CREATE TABLE visits (page TEXT PRIMARY KEY, n BIGINT NOT NULL)")
        pg.execute("CREATE TABLE clicks_log (id INT NOT NULL, page TEXT)")
        jdbc_round(pg, pg.execute, pg.jdbc_url, "pg")


def test_jdbc_mariadb():
    with MariaDBServer() as db:
        db.execute("CREATE TABLE visits (page VARCHAR(100) PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB")
        db.execute("CREATE TABLE clicks_log (id INT NOT NULL, page VARCHAR(100)) ENGINE=InnoDB")
        jdbc_round(db, db.execute, db.jdbc_url, "mariadb")


def file_rows(texts):
    """The JSON lines of the sink's files, as (id, page) tuples."""
    out = []
    for t in texts:
        for line in t.splitlines():
            if line.strip():
                v = json.loads(line)
                out.append((v["id"], v["page"]))
    return out


def test_s3_and_directory_in_serve():
    d = tempfile.mkdtemp(prefix="runnel-sqlsink-s3-")
    out_dir = os.path.join(d, "out")
    os.makedirs(out_dir)
    props = os.path.join(d, "connect.properties")
    with open(props, "w") as f:
        # The file sinks' scheduled rotation is checked when offsets commit.
        f.write("offset.flush.interval.ms=500\n")
    moto = Moto(d)
    try:
        moto.call("create-bucket", bucket="views")
        with Broker(BINARY, connect=True,
                    settings={"sql.listen": "127.0.0.1:0", "connect.config": props}) as b:
            cli(b, "topic", "create", "events", "--partitions", "2")
            produce(b, "events", ['{"id": %d, "page": "/p%d"}' % (i, i % 4) for i in range(20)])
            psql(b.sql_port,
                 "CREATE SOURCE events (id INT, page TEXT) WITH (connector = 'kafka', topic = 'events')",
                 "CREATE SINK to_s3 AS SELECT id, page FROM events WHERE id %% 2 = 0 WITH ("
                 "connector = 's3', s3.region_name = 'us-east-1', s3.bucket_name = 'views', "
                 "s3.path = 'sql', s3.endpoint_url = '%s', s3.credentials.access = 'runnel', "
                 "s3.credentials.secret = 'runnel', type = 'append-only') FORMAT PLAIN ENCODE JSON"
                 % moto.endpoint,
                 "CREATE SINK to_dir FROM events WITH (connector = 'fs', fs.path = '%s', "
                 "type = 'append-only')" % out_dir)
            r = psql(b.sql_port, "CREATE SINK bad FROM events WITH (connector = 's3', "
                     "s3.bucket_name = 'views', type = 'upsert', primary_key = 'id')", check=False)
            assert r.returncode != 0 and "append-only" in r.stderr, r.stderr

            def s3_rows():
                objects = moto.call("get-all", bucket="views")
                assert all(k.startswith("sql/_runnel_sql_sink_to_s3/") for k in objects), objects
                return sorted(file_rows(objects.values()))

            def dir_rows():
                files = glob.glob(os.path.join(out_dir, "**", "*.json"), recursive=True)
                return sorted(file_rows(open(f).read() for f in files))

            want_s3 = sorted((i, "/p%d" % (i % 4)) for i in range(0, 20, 2))
            want_dir = sorted((i, "/p%d" % (i % 4)) for i in range(20))
            wait_until(lambda: s3_rows() == want_s3, 60, 0.3, what="the S3 sink's files")
            wait_until(lambda: dir_rows() == want_dir, 60, 0.3, what="the directory sink's files")

            # A restart of the server (SQL, the Connect worker and the broker):
            # the sinks come back from the catalog and go on; nothing lost.
            assert b.stop() == 0, b.tail()
            b.start()
            produce(b, "events", ['{"id": %d, "page": "/p%d"}' % (i, i % 4) for i in range(20, 30)])
            want_s3 += sorted((i, "/p%d" % (i % 4)) for i in range(20, 30, 2))
            want_dir += sorted((i, "/p%d" % (i % 4)) for i in range(20, 30))
            wait_until(lambda: sorted(set(s3_rows())) == sorted(want_s3), 60, 0.3,
                       what="the S3 sink after the restart")
            wait_until(lambda: sorted(set(dir_rows())) == sorted(want_dir), 60, 0.3,
                       what="the directory sink after the restart")
            dup_s3 = len(s3_rows()) - len(want_s3)
            dup_dir = len(dir_rows()) - len(want_dir)
            print("  files after a clean restart: %d rows again in S3, %d in the directory" %
                  (dup_s3, dup_dir))
            # The connectors are the hosted worker's, named after the sinks.
            import urllib.request
            names = json.load(urllib.request.urlopen(
                "http://127.0.0.1:%d/connectors" % b.connect_port, timeout=10))
            assert sorted(names) == ["sql-to_dir", "sql-to_s3"], names
            psql(b.sql_port, "DROP SINK to_s3")
            names = json.load(urllib.request.urlopen(
                "http://127.0.0.1:%d/connectors" % b.connect_port, timeout=10))
            assert names == ["sql-to_dir"], names
    finally:
        moto.stop()


if __name__ == "__main__":
    run([test_jdbc_postgres, test_jdbc_mariadb, test_s3_and_directory_in_serve])
