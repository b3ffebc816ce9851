// The PostgreSQL protocol server, driven by libpq (the client library under
// psql and most drivers): connect, run statements, read typed rows and
// command tags, and get errors with their SQLSTATE and position.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

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
  // An error in the extended protocol skips to the Sync that follows it;
  // the connection goes on.
  const char* one[] = {"1"};
  result_ptr p(PQexecParams(conn.get(), "SELECT $1::int FROM missing", 1, nullptr, one, nullptr,
                            nullptr, 0));
  EXPECT_EQ(PQresultStatus(p.get()), PGRES_FATAL_ERROR);
  EXPECT_STREQ(PQresultErrorField(p.get(), PG_DIAG_SQLSTATE), "42P01");
  result_ptr syntax(PQprepare(conn.get(), "bad", "SELEC 1", 0, nullptr));
  EXPECT_STREQ(PQresultErrorField(syntax.get(), PG_DIAG_SQLSTATE), "42601");
  auto after = exec("SELECT 3");
  ASSERT_EQ(PQresultStatus(after.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(after.get());
  auto empty = exec("");
  EXPECT_EQ(PQresultStatus(empty.get()), PGRES_EMPTY_QUERY);
}

TEST_F(PgWire, ExtendedProtocolTakesParametersAndGivesBinary) {
  exec("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, price NUMERIC(10,2), ts TIMESTAMP)");
  // Text parameters, typed by Parse or by their neighbours; quotes and
  // backslashes arrive as they were sent.
  const Oid types[] = {20, 0, 0, 0};
  const char* row[] = {"7", "it's a \\ pen", "2.50", "2024-03-15 10:00:00"};
  result_ptr ins(PQexecParams(conn.get(), "INSERT INTO t VALUES ($1, $2, $3, $4)", 4, types, row,
                              nullptr, nullptr, 0));
  ASSERT_EQ(PQresultStatus(ins.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(ins.get());
  EXPECT_STREQ(PQcmdStatus(ins.get()), "INSERT 0 1");
  const char* nul[] = {nullptr, "8"};
  result_ptr ins2(PQexecParams(conn.get(), "INSERT INTO t (name, id) VALUES ($1, $2)", 2, nullptr,
                               nul, nullptr, nullptr, 0));
  ASSERT_EQ(PQresultStatus(ins2.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(ins2.get());
  const char* key[] = {"7"};
  result_ptr sel(PQexecParams(conn.get(), "SELECT name, price FROM t WHERE id = $1", 1, nullptr,
                              key, nullptr, nullptr, 0));
  ASSERT_EQ(PQresultStatus(sel.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(sel.get());
  ASSERT_EQ(PQntuples(sel.get()), 1);
  EXPECT_STREQ(PQgetvalue(sel.get(), 0, 0), "it's a \\ pen");
  EXPECT_STREQ(PQgetvalue(sel.get(), 0, 1), "2.50");
  // A binary parameter (int8) and binary results.
  uint64_t be7 = __builtin_bswap64(7);
  const char* bin[] = {reinterpret_cast<const char*>(&be7)};
  const int lens[] = {8};
  const int fmts[] = {1};
  const Oid int8[] = {20};
  result_ptr b(PQexecParams(conn.get(), "SELECT id, ts, name FROM t WHERE id = $1", 1, int8, bin,
                            lens, fmts, 1));
  ASSERT_EQ(PQresultStatus(b.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(b.get());
  ASSERT_EQ(PQntuples(b.get()), 1);
  EXPECT_EQ(PQfformat(b.get(), 0), 1);
  ASSERT_EQ(PQgetlength(b.get(), 0, 0), 8);
  uint64_t id = 0;
  std::memcpy(&id, PQgetvalue(b.get(), 0, 0), 8);
  EXPECT_EQ(__builtin_bswap64(id), 7u);
  // timestamp: microseconds since 2000-01-01.
  uint64_t ts = 0;
  std::memcpy(&ts, PQgetvalue(b.get(), 0, 1), 8);
  EXPECT_EQ(static_cast<int64_t>(__builtin_bswap64(ts)), 763812000000000LL);
  // A named prepared statement, described, then executed twice.
  result_ptr prep(PQprepare(conn.get(), "by_id",
                            "SELECT id, name FROM t WHERE id >= $1 ORDER BY id", 1, nullptr));
  ASSERT_EQ(PQresultStatus(prep.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(prep.get());
  result_ptr desc(PQdescribePrepared(conn.get(), "by_id"));
  ASSERT_EQ(PQresultStatus(desc.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(desc.get());
  EXPECT_EQ(PQnparams(desc.get()), 1);
  ASSERT_EQ(PQnfields(desc.get()), 2);
  EXPECT_EQ(PQftype(desc.get(), 0), 20u);
  for (const char* from : {"7", "8"}) {
    const char* v[] = {from};
    result_ptr e(PQexecPrepared(conn.get(), "by_id", 1, v, nullptr, nullptr, 0));
    ASSERT_EQ(PQresultStatus(e.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(e.get());
    EXPECT_EQ(PQntuples(e.get()), from[0] == '7' ? 2 : 1);
  }
  // Too few parameters is an error, not a guess.
  result_ptr few(PQexecPrepared(conn.get(), "by_id", 0, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(PQresultStatus(few.get()), PGRES_FATAL_ERROR);
  EXPECT_STREQ(PQresultErrorField(few.get(), PG_DIAG_SQLSTATE), "08P01");
}

// What drivers that prepare first (pgx, pgJDBC) rely on: ParameterDescription
// gives each untyped parameter the type of its context, as PostgreSQL
// infers it, and a binary parameter is read as that type.
TEST_F(PgWire, DescribeInfersParameterTypes) {
  exec("CREATE TABLE p (id BIGINT PRIMARY KEY, ok BOOLEAN, at TIMESTAMP, amount NUMERIC(10,2))");
  auto types_of = [&](const char* name, const char* sql) {
    result_ptr prep(PQprepare(conn.get(), name, sql, 0, nullptr));
    EXPECT_EQ(PQresultStatus(prep.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(prep.get());
    result_ptr d(PQdescribePrepared(conn.get(), name));
    std::vector<Oid> out;
    for (int i = 0; i < PQnparams(d.get()); ++i) out.push_back(PQparamtype(d.get(), i));
    return out;
  };
  EXPECT_EQ(types_of("ins", "INSERT INTO p VALUES ($1, $2, $3, $4)"),
            (std::vector<Oid>{20, 16, 1114, 1700}));
  EXPECT_EQ(types_of("ins2", "INSERT INTO p (amount, id) VALUES ($2, $1)"),
            (std::vector<Oid>{20, 1700}));
  EXPECT_EQ(types_of("sel", "SELECT amount FROM p WHERE id = $1 AND at >= $2 AND ok = $3"),
            (std::vector<Oid>{20, 1114, 16}));
  EXPECT_EQ(types_of("cast", "SELECT $1::int + 1, $2"), (std::vector<Oid>{23, 25}));
  EXPECT_EQ(types_of("del", "DELETE FROM p WHERE amount > $1"), (std::vector<Oid>{1700}));
  // A binary int8 for $1 with no type in Parse: read as the bigint it was described as.
  uint64_t be7 = __builtin_bswap64(7);
  const char* vals[] = {reinterpret_cast<const char*>(&be7), "t", "2024-03-15 10:00:00", "1.50"};
  const int lens[] = {8, 0, 0, 0};
  const int fmts[] = {1, 0, 0, 0};
  result_ptr ins(PQexecPrepared(conn.get(), "ins", 4, vals, lens, fmts, 0));
  ASSERT_EQ(PQresultStatus(ins.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(ins.get());
  auto r = exec("SELECT id, amount FROM p");
  ASSERT_EQ(PQntuples(r.get()), 1);
  EXPECT_STREQ(PQgetvalue(r.get(), 0, 0), "7");
}

// Binary results of numeric, time and interval (pgx asks binary for them).
TEST_F(PgWire, BinaryNumericTimeInterval) {
  result_ptr r(PQexecParams(conn.get(),
                            "SELECT 1.50::numeric(10,2), -0.0012::numeric, 0::numeric, "
                            "12345678.9::numeric, 1000000::numeric, '10:00:01.5'::time, "
                            "'1 mon 2 days 00:00:03'::interval",
                            0, nullptr, nullptr, nullptr, nullptr, 1));
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(r.get());
  auto bytes = [&](int col) {
    return std::string(PQgetvalue(r.get(), 0, col),
                       static_cast<size_t>(PQgetlength(r.get(), 0, col)));
  };
  auto be16 = [](std::initializer_list<int> v) {
    std::string s;
    for (int x : v)
      s.push_back(static_cast<char>((x >> 8) & 0xff)), s.push_back(static_cast<char>(x & 0xff));
    return s;
  };
  // ndigits, weight, sign, dscale, then base-10000 digits (as PostgreSQL 15 sends them).
  EXPECT_EQ(bytes(0), be16({2, 0, 0, 2, 1, 5000}));
  EXPECT_EQ(bytes(1), be16({1, -1, 0x4000, 4, 12}));
  EXPECT_EQ(bytes(2), be16({0, 0, 0, 0}));
  EXPECT_EQ(bytes(3), be16({3, 1, 0, 1, 1234, 5678, 9000}));
  EXPECT_EQ(bytes(4), be16({1, 1, 0, 0, 100}));
  uint64_t t = 0;
  ASSERT_EQ(bytes(5).size(), 8u);
  std::memcpy(&t, bytes(5).data(), 8);
  EXPECT_EQ(__builtin_bswap64(t), 36001500000u);
  // µs (8 bytes), days, months.
  std::string iv = bytes(6);
  ASSERT_EQ(iv.size(), 16u);
  EXPECT_EQ(iv, std::string("\0\0\0\0\0\x2d\xc6\xc0\0\0\0\x02\0\0\0\x01", 16));
}

}  // namespace
}  // namespace runnel::sql
