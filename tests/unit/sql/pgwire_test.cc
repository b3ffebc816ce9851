// The PostgreSQL protocol server, driven by libpq (the client library under
// psql and most drivers): connect, run statements, read typed rows and
// command tags, and get errors with their SQLSTATE and position.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>

#include "sql/pgwire/server.h"

namespace runnel::sql {
namespace {

struct conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

class PgWire : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = pg_server::start(eng, "127.0.0.1", 0);
    ASSERT_TRUE(s) << s.error().message;
    server = std::move(s.value());
    conn = connect();
    ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  }
  conn_ptr connect() {
    std::string info = "host=127.0.0.1 port=" + std::to_string(server->port()) +
                       " dbname=dev user=root connect_timeout=10";
    return conn_ptr(PQconnectdb(info.c_str()));
  }
  result_ptr exec(const char* sql) { return result_ptr(PQexec(conn.get(), sql)); }

  engine eng;
  std::unique_ptr<pg_server> server;
  conn_ptr conn;
};

TEST_F(PgWire, StatementsRowsAndTags) {
  EXPECT_STREQ(PQparameterStatus(conn.get(), "server_version"), "15.0 (runnel)");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "client_encoding"), "UTF8");
  auto created = exec("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, price NUMERIC(10,2))");
  ASSERT_EQ(PQresultStatus(created.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(created.get());
  EXPECT_STREQ(PQcmdStatus(created.get()), "CREATE TABLE");
  auto ins = exec("INSERT INTO t VALUES (1, 'pen', 1.50), (2, NULL, 3)");
  EXPECT_STREQ(PQcmdStatus(ins.get()), "INSERT 0 2");
  exec("CREATE MATERIALIZED VIEW total AS SELECT count(*) AS n, sum(price) AS s FROM t");
  auto r = exec("SELECT id, name, price FROM t ORDER BY id");
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(r.get());
  ASSERT_EQ(PQntuples(r.get()), 2);
  ASSERT_EQ(PQnfields(r.get()), 3);
  EXPECT_STREQ(PQfname(r.get(), 1), "name");
  EXPECT_EQ(PQftype(r.get(), 0), 23u);    // int4
  EXPECT_EQ(PQftype(r.get(), 2), 1700u);  // numeric
  EXPECT_STREQ(PQgetvalue(r.get(), 0, 2), "1.50");
  EXPECT_TRUE(PQgetisnull(r.get(), 1, 1));
  EXPECT_STREQ(PQcmdStatus(r.get()), "SELECT 2");
  auto v = exec("SELECT * FROM total");
  ASSERT_EQ(PQntuples(v.get()), 1);
  EXPECT_STREQ(PQgetvalue(v.get(), 0, 0), "2");
  EXPECT_STREQ(PQgetvalue(v.get(), 0, 1), "4.50");
  // A second client sees the same relations.
  auto other = connect();
  ASSERT_EQ(PQstatus(other.get()), CONNECTION_OK) << PQerrorMessage(other.get());
  result_ptr o(PQexec(other.get(), "SELECT n FROM total"));
  EXPECT_STREQ(PQgetvalue(o.get(), 0, 0), "2");
}

TEST_F(PgWire, ErrorsCarrySqlstateAndPosition) {
  auto r = exec("SELECT nope FROM missing");
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
  EXPECT_STREQ(PQresultErrorField(r.get(), PG_DIAG_SQLSTATE), "42P01");
  EXPECT_STREQ(PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY),
               "relation \"missing\" does not exist");
  EXPECT_STREQ(PQresultErrorField(r.get(), PG_DIAG_STATEMENT_POSITION),
               "18");  // 1-based, as PostgreSQL
  auto z = exec("SELECT 1 / 0");
  EXPECT_STREQ(PQresultErrorField(z.get(), PG_DIAG_SQLSTATE), "22012");
  // The connection is still usable after an error.
  auto ok = exec("SELECT 1 + 1");
  ASSERT_EQ(PQresultStatus(ok.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(ok.get());
  EXPECT_STREQ(PQgetvalue(ok.get(), 0, 0), "2");
  // The extended protocol is refused with an error, and the connection
  // goes on after the Sync that follows it.
  result_ptr p(
      PQexecParams(conn.get(), "SELECT $1::int", 1, nullptr, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(PQresultStatus(p.get()), PGRES_FATAL_ERROR);
  EXPECT_STREQ(PQresultErrorField(p.get(), PG_DIAG_SQLSTATE), "0A000");
  auto after = exec("SELECT 3");
  ASSERT_EQ(PQresultStatus(after.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(after.get());
  auto empty = exec("");
  EXPECT_EQ(PQresultStatus(empty.get()), PGRES_EMPTY_QUERY);
}

}  // namespace
}  // namespace runnel::sql
