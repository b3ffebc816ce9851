"""PostgreSQL's JDBC driver (pgJDBC, pinned in java/pom.xml, profile pgjdbc)
against `runnel serve --sql-listen`: java/src/PgJdbcCheck.java runs the
simple and extended protocols, typed prepared statements, DatabaseMetaData,
a source over a topic of this broker with a view that follows it, an upsert
table over a keyed topic, SQLSTATE errors and a SUBSCRIBE cursor with
Statement.cancel() (its checks print PASS/FAIL each)."""

import shutil

import jvm
from harness import BINARY, Broker, run
from test_sql_kafka import cli


def test_pgjdbc():
    classes = jvm.compile_sources("pgjdbc", "PgJdbcCheck.java")
    try:
        with Broker(BINARY, settings={"sql.listen": "127.0.0.1:0"}) as b:
            assert b.sql_port, "no 'runnel: sql on' line"
            cli(b, "topic", "create", "jdbc_clicks", "--partitions", "2")
            cli(b, "topic", "create", "jdbc_users", "--partitions", "2")
            rc, out = jvm.run("pgjdbc", classes, "PgJdbcCheck", b.sql_port, BINARY, b.bootstrap, "jdbc_clicks",
                              "jdbc_users", timeout=400)
            print(out, flush=True)
            assert rc == 0 and "0 failed" in out, b.tail()
    finally:
        shutil.rmtree(classes, ignore_errors=True)


if __name__ == "__main__":
    run([test_pgjdbc])
