#include <gtest/gtest.h>

#include "sql/parse/rename.h"
#include "sql/parse/statement.h"

namespace runnel::sql {
namespace {

statement one(std::string_view sql) {
  auto r = parse_sql(sql);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  if (!r || r.value().empty()) return {};
  EXPECT_EQ(r.value().size(), 1u);
  return r.value()[0];
}

TEST(Parse, CreateSourceWithStreamingExtensions) {
  std::string sql =
      "CREATE SOURCE bids (auction BIGINT, price NUMERIC(10,2), date_time TIMESTAMP,\n"
      "  WATERMARK FOR date_time AS date_time - INTERVAL '5' SECOND)\n"
      "INCLUDE key AS k INCLUDE partition\n"
      "WITH (connector = 'kafka', topic = 'bids', properties.bootstrap.server = '127.0.0.1:9092',\n"
      "      scan.startup.mode = 'earliest')\n"
      "FORMAT PLAIN ENCODE JSON";
  auto s = one(sql);
  EXPECT_EQ(s.kind, stmt_kind::create_source);
  EXPECT_FALSE(s.is_table);
  EXPECT_EQ(s.name, "bids");
  ASSERT_EQ(s.watermarks.size(), 1u);
  EXPECT_EQ(s.watermarks[0].column, "date_time");
  // The watermark expression's positions are in the statement.
  int loc = s.watermarks[0].expr["A_Expr"]["lexpr"]["ColumnRef"]["location"];
  EXPECT_EQ(sql.substr(static_cast<size_t>(loc), 9), "date_time");
  EXPECT_EQ(s.with.get("connector"), "kafka");
  EXPECT_EQ(s.with.get("properties.bootstrap.server"), "127.0.0.1:9092");
  EXPECT_EQ(s.format.format, "plain");
  EXPECT_EQ(s.format.encode, "json");
  ASSERT_EQ(s.includes.size(), 2u);
  EXPECT_EQ(s.includes[0].what, "key");
  EXPECT_EQ(s.includes[0].alias, "k");
  auto& cols = s.node["CreateStmt"]["tableElts"];
  ASSERT_EQ(cols.size(), 3u);
  int col_loc = cols[1]["ColumnDef"]["location"];
  EXPECT_EQ(sql.substr(static_cast<size_t>(col_loc), 5), "price");
}

TEST(Parse, TableWithConnectorAndPlainTable) {
  auto t =
      one("CREATE TABLE users (id INT PRIMARY KEY, name TEXT) WITH (connector='kafka', topic='u') "
          "FORMAT UPSERT ENCODE JSON");
  EXPECT_EQ(t.kind, stmt_kind::create_source);
  EXPECT_TRUE(t.is_table);
  EXPECT_EQ(t.format.format, "upsert");
  auto p = one("CREATE TABLE t (a INT, b TEXT)");
  EXPECT_EQ(p.kind, stmt_kind::pg);
  EXPECT_TRUE(p.node.contains("CreateStmt"));
}

TEST(Parse, MaterializedViewEmitOnWindowClose) {
  auto s = one(
      "CREATE MATERIALIZED VIEW mv AS SELECT window_start, count(*) FROM "
      "TUMBLE(bids, date_time, INTERVAL '10' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE;");
  EXPECT_EQ(s.kind, stmt_kind::create_view);
  EXPECT_TRUE(s.materialized);
  EXPECT_TRUE(s.emit_on_window_close);
  EXPECT_EQ(s.name, "mv");
  EXPECT_TRUE(s.node.contains("SelectStmt"));
}

TEST(Parse, SinkFromAndAsQuery) {
  auto a =
      one("CREATE SINK s FROM mv WITH (connector='kafka', topic='out', type='upsert', "
          "primary_key='id')");
  EXPECT_EQ(a.kind, stmt_kind::create_sink);
  EXPECT_EQ(a.from, "mv");
  EXPECT_EQ(a.with.get("primary_key"), "id");
  auto b =
      one("CREATE SINK s2 AS SELECT a, b FROM t WHERE a > 1 WITH (connector='kafka', topic='o') "
          "FORMAT PLAIN ENCODE JSON (force_append_only='true')");
  EXPECT_TRUE(b.node.contains("SelectStmt"));
  EXPECT_EQ(b.format.options.get("force_append_only"), "true");
}

TEST(Parse, TemporalJoinMarksTheTable) {
  std::string sql =
      "SELECT * FROM orders o JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() c ON o.c = c.id";
  auto s = one(sql);
  ASSERT_EQ(s.temporal_joins.size(), 1u);
  EXPECT_EQ(sql.substr(static_cast<size_t>(s.temporal_joins[0]), 3), "FOR");
  EXPECT_TRUE(s.node.contains("SelectStmt"));
}

TEST(Parse, ShowDescribeFlushSubscribeFetch) {
  EXPECT_EQ(one("SHOW MATERIALIZED VIEWS").show_what, "materialized views");
  EXPECT_EQ(one("SHOW COLUMNS FROM t").show_arg, "t");
  EXPECT_EQ(one("show server_version").kind, stmt_kind::pg);
  EXPECT_EQ(one("DESCRIBE mv").kind, stmt_kind::describe);
  EXPECT_EQ(one("FLUSH").kind, stmt_kind::flush);
  EXPECT_EQ(one("SUBSCRIBE TO mv").from, "mv");
  EXPECT_TRUE(one("SUBSCRIBE (SELECT a FROM t)").node.contains("SelectStmt"));
  auto d = one("DECLARE c CURSOR FOR SUBSCRIBE mv");
  EXPECT_EQ(d.kind, stmt_kind::declare);
  EXPECT_TRUE(d.declare_subscribe);
  EXPECT_EQ(d.from, "mv");
  auto f = one("FETCH 10 c WITH (timeout = '1.5s')");
  EXPECT_EQ(f.fetch_count, 10);
  EXPECT_EQ(f.timeout_ms, 1500);
  EXPECT_EQ(one("FETCH ALL FROM c").fetch_count, -1);
  auto drop = one("DROP MATERIALIZED VIEW IF EXISTS a, b CASCADE");
  EXPECT_EQ(drop.object_kind, "materialized view");
  EXPECT_EQ(drop.names.size(), 2u);
  EXPECT_TRUE(drop.cascade);
  auto alter = one("ALTER SOURCE s RENAME TO s2");
  EXPECT_EQ(alter.new_name, "s2");
}

TEST(Parse, SeveralStatementsAndErrorPositions) {
  auto r = parse_sql("SELECT 1; SELECT 2;");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().size(), 2u);
  auto bad = parse_sql("SELECT 1; SELECT FROM WHERE");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::syntax_error);
  EXPECT_EQ(bad.error().position, 22);  // at "WHERE"
  auto bad2 = parse_sql("CREATE SOURCE s (a INT) WITH (connector 'kafka')");
  ASSERT_FALSE(bad2);
  EXPECT_EQ(bad2.error().position, 40);
}

// ALTER ... RENAME rewrites the stored statements: every reference to the
// relation and nothing else (strings, comments, aliases, other names).
TEST(Parse, RenameRewritesReferencesOnly) {
  auto ren = [](std::string_view sql, std::string_view from, std::string_view to) {
    auto r = rename_relation_in(sql, from, to);
    EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
    return r ? r.value() : std::string();
  };
  EXPECT_EQ(ren("CREATE TABLE t (id INT PRIMARY KEY, t TEXT)", "t", "u"),
            "CREATE TABLE u (id INT PRIMARY KEY, t TEXT)");
  EXPECT_EQ(ren("CREATE MATERIALIZED VIEW v AS SELECT t.id, x.t, 't' FROM t JOIN public.t x ON "
                "t.id = x.id /* t */ -- t",
                "t", "orders"),
            "CREATE MATERIALIZED VIEW v AS SELECT orders.id, x.t, 't' FROM orders JOIN "
            "public.orders x ON orders.id = x.id /* t */ -- t");
  // An alias of the old name keeps meaning the alias.
  EXPECT_EQ(ren("CREATE VIEW v AS SELECT t.a FROM s AS t, t AS q", "t", "u"),
            "CREATE VIEW v AS SELECT t.a FROM s AS t, u AS q");
  // A CTE of that name shadows the relation.
  EXPECT_EQ(ren("CREATE VIEW v AS WITH t AS (SELECT 1 AS a) SELECT t.a FROM t", "t", "u"),
            "CREATE VIEW v AS WITH t AS (SELECT 1 AS a) SELECT t.a FROM t");
  EXPECT_EQ(ren("CREATE MATERIALIZED VIEW w AS SELECT window_start, count(*) FROM TUMBLE(bids, "
                "ts, INTERVAL '1' MINUTE) GROUP BY window_start",
                "bids", "b2"),
            "CREATE MATERIALIZED VIEW w AS SELECT window_start, count(*) FROM TUMBLE(b2, ts, "
            "INTERVAL '1' MINUTE) GROUP BY window_start");
  EXPECT_EQ(ren("CREATE SINK s FROM mv WITH (connector = 'kafka', topic = 'mv') FORMAT UPSERT "
                "ENCODE JSON",
                "mv", "mv2"),
            "CREATE SINK s FROM mv2 WITH (connector = 'kafka', topic = 'mv') FORMAT UPSERT "
            "ENCODE JSON");
  EXPECT_EQ(
      ren("CREATE SOURCE src (a INT) WITH (connector = 'kafka', topic = 'src')", "src", "New Name"),
      "CREATE SOURCE \"New Name\" (a INT) WITH (connector = 'kafka', topic = 'src')");
  // A keyword is quoted: FROM user would read as current_user.
  EXPECT_EQ(ren("CREATE VIEW v AS SELECT * FROM t", "t", "user"),
            "CREATE VIEW v AS SELECT * FROM \"user\"");
  EXPECT_EQ(ren("CREATE VIEW v AS SELECT * FROM a", "t", "u"), "CREATE VIEW v AS SELECT * FROM a");
}

}  // namespace
}  // namespace runnel::sql
