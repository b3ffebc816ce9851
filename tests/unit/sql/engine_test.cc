// The statement layer: tables written with INSERT and DELETE, materialized
// views (also over other views) kept up to date as each statement changes
// their inputs, one-off SELECTs, and PostgreSQL's errors for what a
// statement may not do.
#include <string>

#include <gtest/gtest.h>

#include "result_lines.h"
#include "sql/engine/engine.h"
#include "sql/types/datetime.h"

namespace runnel::sql {
namespace {

// 2024-03-15 10:00:00 UTC, and minutes after it.
int64_t at_minute(int m) {
  return *dt::parse_timestamp("2024-03-15 10:00:00", false) + int64_t{m} * 60'000'000;
}

class Engine : public ::testing::Test {
 protected:
  // Runs `sql`; returns the last statement's rows as "a|b" lines, in order.
  std::vector<std::string> rows(std::string_view sql, int64_t now = at_minute(0)) {
    return testing::last_lines(e, sql, now, 0, false);
  }
  std::string tag(std::string_view sql) {
    auto r = e.execute(sql, at_minute(0));
    EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
    return r && !r.value().empty() ? r.value().back().tag : "";
  }
  sql_error error(std::string_view sql) {
    auto r = e.execute(sql, at_minute(0));
    EXPECT_FALSE(r) << sql;
    return r ? sql_error{} : r.error();
  }
  using V = std::vector<std::string>;
  engine e;
};

TEST_F(Engine, ViewsFollowInsertsAndDeletes) {
  EXPECT_EQ(tag("CREATE TABLE page_views (user_id INT, page TEXT, ts TIMESTAMP)"), "CREATE TABLE");
  EXPECT_EQ(tag("INSERT INTO page_views VALUES (1, '/home', '2024-03-15 10:00:01'), (2, '/home', "
                "'2024-03-15 10:00:02')"),
            "INSERT 0 2");
  EXPECT_EQ(tag("CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n, count(DISTINCT "
                "user_id) AS users "
                "FROM page_views GROUP BY page"),
            "CREATE MATERIALIZED VIEW");
  EXPECT_EQ(rows("SELECT * FROM visits"), (V{"/home|2|2"}));
  tag("INSERT INTO page_views VALUES (1, '/about', '2024-03-15 10:01:00'), (1, '/home', "
      "'2024-03-15 10:02:00')");
  EXPECT_EQ(rows("SELECT * FROM visits ORDER BY page"), (V{"/about|1|1", "/home|3|2"}));
  // A view over the view.
  tag("CREATE MATERIALIZED VIEW popular AS SELECT page FROM visits WHERE n > 1");
  EXPECT_EQ(rows("SELECT * FROM popular"), (V{"/home"}));
  EXPECT_EQ(tag("DELETE FROM page_views WHERE user_id = 1"), "DELETE 3");
  EXPECT_EQ(rows("SELECT * FROM visits"), (V{"/home|1|1"}));
  EXPECT_EQ(rows("SELECT * FROM popular"), V{});
  EXPECT_EQ(rows("SELECT count(*) FROM page_views"), (V{"1"}));
  EXPECT_EQ(tag("SELECT * FROM visits"), "SELECT 1");
}

TEST_F(Engine, JoinedAndWindowedViews) {
  tag("CREATE TABLE users (id INT PRIMARY KEY, city TEXT NOT NULL)");
  tag("CREATE TABLE errors (app TEXT, user_id INT, ts TIMESTAMP)");
  tag("CREATE MATERIALIZED VIEW errors_per_city AS SELECT u.city, count(*) AS n FROM errors e JOIN "
      "users u ON "
      "e.user_id = u.id GROUP BY u.city");
  tag("CREATE MATERIALIZED VIEW errors_5m AS SELECT app, window_start, count(*) AS n FROM "
      "TUMBLE(errors, ts, "
      "INTERVAL '5' MINUTE) GROUP BY app, window_start HAVING count(*) >= 2");
  tag("INSERT INTO users VALUES (1, 'Oslo'), (2, 'Lima')");
  tag("INSERT INTO errors VALUES ('api', 1, '2024-03-15 10:01:00'), ('api', 2, '2024-03-15 "
      "10:03:00'), "
      "('web', 1, '2024-03-15 10:04:00'), ('api', 1, '2024-03-15 10:07:00')");
  EXPECT_EQ(rows("SELECT * FROM errors_per_city ORDER BY city"), (V{"Lima|1", "Oslo|3"}));
  EXPECT_EQ(rows("SELECT * FROM errors_5m"), (V{"api|2024-03-15 10:00:00|2"}));
  tag("DELETE FROM users WHERE id = 2");
  EXPECT_EQ(rows("SELECT * FROM errors_per_city"), (V{"Oslo|3"}));
}

// "Page visits in the last 15 minutes": a view with now() in it moves with
// the clock between statements.
TEST_F(Engine, ViewsWithNowMoveWithTheClock) {
  tag("CREATE TABLE visits (page TEXT, ts TIMESTAMP)");
  tag("CREATE MATERIALIZED VIEW recent AS SELECT page, count(*) AS n FROM visits WHERE ts > now() "
      "- INTERVAL '15' "
      "MINUTE GROUP BY page");
  rows(
      "INSERT INTO visits VALUES ('/a', '2024-03-15 10:00:00'), ('/a', '2024-03-15 10:10:00'), "
      "('/b', "
      "'2024-03-15 10:12:00')",
      at_minute(12));
  EXPECT_EQ(rows("SELECT * FROM recent ORDER BY page", at_minute(12)), (V{"/a|2", "/b|1"}));
  EXPECT_EQ(rows("SELECT * FROM recent ORDER BY page", at_minute(20)), (V{"/a|1", "/b|1"}));
  EXPECT_EQ(rows("SELECT * FROM recent ORDER BY page", at_minute(26)), (V{"/b|1"}));
  EXPECT_EQ(rows("SELECT * FROM recent", at_minute(40)), V{});
}

TEST_F(Engine, PlainViewsShowExplainDescribe) {
  tag("CREATE TABLE t (a INT, b TEXT)");
  tag("INSERT INTO t (b, a) VALUES ('x', 1), ('y', 2)");
  EXPECT_EQ(tag("CREATE VIEW big AS SELECT a * 10 AS a10, b FROM t WHERE a > 1"), "CREATE VIEW");
  EXPECT_EQ(rows("SELECT * FROM big"), (V{"20|y"}));
  tag("CREATE MATERIALIZED VIEW m AS SELECT count(*) FROM big");
  tag("INSERT INTO t VALUES (3, 'z')");
  EXPECT_EQ(rows("SELECT * FROM m"), (V{"2"}));
  EXPECT_EQ(rows("SHOW TABLES"), (V{"t"}));
  EXPECT_EQ(rows("SHOW MATERIALIZED VIEWS"), (V{"m"}));
  EXPECT_EQ(rows("SHOW VIEWS"), (V{"big"}));
  EXPECT_EQ(rows("DESCRIBE t"), (V{"a|integer|false", "b|text|false"}));
  auto plan = rows("EXPLAIN SELECT b, count(*) FROM t GROUP BY b");
  ASSERT_GE(plan.size(), 3u);
  EXPECT_NE(plan[1].find("Aggregate"), std::string::npos) << plan[1];
  EXPECT_NE(plan.back().find("Scan t"), std::string::npos) << plan.back();
  EXPECT_EQ(tag("BEGIN; SET x = 1; COMMIT"), "COMMIT");
}

TEST_F(Engine, ShowStatsCountsRowsAndState) {
  tag("CREATE TABLE t (a INT, b TEXT)");
  // The same row in two statements, then one of the copies deleted: the
  // contents keep appended inserts apart until a delete consolidates them.
  tag("INSERT INTO t VALUES (1, 'x'), (2, 'y')");
  tag("INSERT INTO t VALUES (1, 'x')");
  tag("CREATE MATERIALIZED VIEW per_b AS SELECT b, count(*) AS n FROM t GROUP BY b");
  EXPECT_EQ(rows("SELECT a, b FROM t ORDER BY a"), (V{"1|x", "1|x", "2|y"}));
  EXPECT_EQ(rows("SELECT * FROM per_b ORDER BY b"), (V{"x|2", "y|1"}));
  auto stats = rows("SHOW STATS");
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0], "t|table|3|0|0|0|0|0");
  EXPECT_EQ(stats[1].rfind("per_b|materialized view|2|", 0), 0u) << stats[1];
  // Its aggregate keeps state: the fourth field, State Bytes, is above 0.
  size_t third = stats[1].find('|', stats[1].find('|', stats[1].find('|') + 1) + 1);
  EXPECT_GT(std::stoll(stats[1].substr(third + 1)), 0) << stats[1];
  tag("DELETE FROM t WHERE a = 1 AND b = 'x'");
  EXPECT_EQ(rows("SELECT a, b FROM t"), (V{"2|y"}));
  EXPECT_EQ(rows("SELECT * FROM per_b"), (V{"y|1"}));
  EXPECT_EQ(rows("SHOW STATS")[0], "t|table|1|0|0|0|0|0");
}

TEST_F(Engine, ConstraintsAndDropsAsPostgres) {
  tag("CREATE TABLE u (id INT PRIMARY KEY, name TEXT NOT NULL)");
  tag("INSERT INTO u VALUES (1, 'a')");
  auto dup = error("INSERT INTO u VALUES (1, 'b')");
  EXPECT_EQ(dup.code, errc::unique_violation);
  EXPECT_EQ(dup.message, "duplicate key value violates unique constraint \"u_pkey\"");
  auto nn = error("INSERT INTO u VALUES (2, NULL)");
  EXPECT_EQ(nn.code, errc::not_null_violation);
  EXPECT_EQ(nn.message,
            "null value in column \"name\" of relation \"u\" violates not-null constraint");
  EXPECT_EQ(rows("SELECT count(*) FROM u"), (V{"1"}));  // nothing of a failed INSERT stays

  tag("CREATE MATERIALIZED VIEW names AS SELECT name FROM u");
  auto into_view = error("INSERT INTO names VALUES ('x')");
  EXPECT_EQ(into_view.code, errc::wrong_object_type);
  auto again = error("CREATE TABLE u (x INT)");
  EXPECT_EQ(again.code, errc::duplicate_object);
  EXPECT_EQ(again.message, "relation \"u\" already exists");
  auto dep = error("DROP TABLE u");
  EXPECT_EQ(dep.code, errc::dependent_objects);
  EXPECT_EQ(dep.message, "cannot drop table u because other objects depend on it");
  EXPECT_EQ(dep.detail, "materialized view names depends on table u");
  EXPECT_EQ(tag("DROP TABLE u CASCADE"), "DROP TABLE");
  EXPECT_EQ(rows("SHOW MATERIALIZED VIEWS"), V{});
  auto gone = error("SELECT * FROM u");
  EXPECT_EQ(gone.code, errc::undefined_table);
  EXPECT_EQ(gone.position, 14);
  // A statement's error points into the whole query string.
  auto second = error("SELECT 1; SELECT nope");
  EXPECT_EQ(second.position, 17);
}

// ALTER ... RENAME TO: dependants keep reading the renamed relation (as in
// PostgreSQL), their stored statements name it by its new name, and the
// errors are PostgreSQL's.
TEST_F(Engine, RenameKeepsDependantsWorking) {
  tag("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)");
  tag("INSERT INTO t VALUES (1, 'a')");
  tag("CREATE VIEW pv AS SELECT t.id, t.name FROM t WHERE t.id > 0");
  tag("CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM pv");
  tag("CREATE MATERIALIZED VIEW mv2 AS SELECT t.name FROM t");
  EXPECT_EQ(tag("ALTER TABLE t RENAME TO items"), "ALTER TABLE");
  EXPECT_EQ(tag("ALTER VIEW pv RENAME TO positive"), "ALTER VIEW");
  EXPECT_EQ(tag("ALTER MATERIALIZED VIEW mv RENAME TO counted"), "ALTER MATERIALIZED VIEW");
  tag("INSERT INTO items VALUES (2, 'b')");
  EXPECT_EQ(rows("SELECT n FROM counted"), (V{"2"}));
  EXPECT_EQ(rows("SELECT name FROM mv2 ORDER BY name"), (V{"a", "b"}));
  EXPECT_EQ(rows("SELECT items.id FROM items ORDER BY 1"), (V{"1", "2"}));
  EXPECT_EQ(rows("SELECT count(*) FROM positive"), (V{"2"}));
  EXPECT_EQ(rows("SHOW CREATE items")[0],
            "items|CREATE TABLE items (id INT PRIMARY KEY, name TEXT)");
  EXPECT_EQ(
      rows("SHOW CREATE positive")[0],
      "positive|CREATE VIEW positive AS SELECT items.id, items.name FROM items WHERE items.id "
      "> 0");
  EXPECT_EQ(rows("SHOW CREATE counted")[0],
            "counted|CREATE MATERIALIZED VIEW counted AS SELECT count(*) AS n FROM positive");
  EXPECT_EQ(error("SELECT * FROM t").code, errc::undefined_table);
  auto unknown = error("ALTER TABLE nope RENAME TO x");
  EXPECT_EQ(unknown.code, errc::undefined_table);
  EXPECT_EQ(unknown.message, "relation \"nope\" does not exist");
  EXPECT_EQ(tag("ALTER TABLE IF EXISTS nope RENAME TO x"), "ALTER TABLE");
  auto taken = error("ALTER TABLE items RENAME TO counted");
  EXPECT_EQ(taken.code, errc::duplicate_object);
  EXPECT_EQ(taken.message, "relation \"counted\" already exists");
  EXPECT_EQ(error("ALTER VIEW items RENAME TO x").code, errc::wrong_object_type);
  // RENAME COLUMN: what reads the column goes on reading it, its own
  // columns keeping their names (as PostgreSQL's views do).
  EXPECT_EQ(tag("ALTER TABLE items RENAME COLUMN name TO label"), "ALTER TABLE");
  EXPECT_EQ(rows("SHOW CREATE mv2")[0],
            "mv2|CREATE MATERIALIZED VIEW mv2 AS SELECT items.label AS name FROM items");
  EXPECT_EQ(rows("SHOW CREATE positive")[0],
            "positive|CREATE VIEW positive AS SELECT items.id, items.label AS name FROM items "
            "WHERE items.id > 0");
  tag("INSERT INTO items VALUES (3, 'c')");
  EXPECT_EQ(rows("SELECT name FROM mv2 ORDER BY name"), (V{"a", "b", "c"}));
  EXPECT_EQ(rows("SELECT name FROM positive ORDER BY name"), (V{"a", "b", "c"}));
  EXPECT_EQ(rows("SELECT n FROM counted"), (V{"3"}));
  EXPECT_EQ(error("SELECT name FROM items").code, errc::undefined_column);
  // A view's own column: its stored statement gets a column list.
  EXPECT_EQ(tag("ALTER VIEW positive RENAME COLUMN name TO title"), "ALTER VIEW");
  EXPECT_EQ(rows("SELECT title FROM positive WHERE id = 1"), (V{"a"}));
  EXPECT_EQ(rows("SHOW CREATE positive")[0],
            "positive|CREATE VIEW positive (id, title) AS SELECT items.id, items.label AS name "
            "FROM items WHERE items.id > 0");
  // A * in a subquery would change its columns' names: refused.
  tag("CREATE MATERIALIZED VIEW starry AS SELECT x.id FROM (SELECT * FROM items) x");
  auto star = error("ALTER TABLE items RENAME COLUMN id TO ident");
  EXPECT_EQ(star.code, errc::feature_not_supported);
  EXPECT_EQ(star.message,
            "cannot rename column \"id\" of \"items\": materialized view \"starry\" selects * "
            "from it where its columns' names would change");
  EXPECT_EQ(tag("DROP MATERIALIZED VIEW starry"), "DROP MATERIALIZED VIEW");
  tag("CREATE TABLE notes (id INT, \"text\" TEXT, PRIMARY KEY (id, \"text\"))");
  tag("INSERT INTO notes VALUES (1, 'x')");
  EXPECT_EQ(tag("ALTER TABLE notes RENAME COLUMN \"text\" TO body"), "ALTER TABLE");
  EXPECT_EQ(tag("ALTER TABLE notes RENAME id TO note_id"), "ALTER TABLE");
  EXPECT_EQ(rows("SELECT note_id, body FROM notes"), (V{"1|x"}));
  EXPECT_EQ(rows("SHOW CREATE notes")[0],
            "notes|CREATE TABLE notes (note_id INT, body TEXT, PRIMARY KEY (note_id, body))");
  EXPECT_EQ(error("INSERT INTO notes VALUES (1, 'x')").code, errc::unique_violation);
  EXPECT_EQ(error("ALTER TABLE notes RENAME COLUMN nope TO x").code, errc::undefined_column);
  auto dup_col = error("ALTER TABLE notes RENAME COLUMN body TO note_id");
  EXPECT_EQ(dup_col.code, errc::duplicate_column);
  EXPECT_EQ(dup_col.message, "column \"note_id\" of relation \"notes\" already exists");
  // Dropping still finds what depends on it, under the new names.
  auto dep = error("DROP TABLE items");
  EXPECT_EQ(dep.code, errc::dependent_objects);
  EXPECT_EQ(tag("DROP TABLE items CASCADE"), "DROP TABLE");
  EXPECT_EQ(rows("SHOW MATERIALIZED VIEWS"), V{});
}

// What drivers read while they look around: pgJDBC 42.7's DatabaseMetaData
// queries (getTables, getColumns, getSchemas, verbatim but for their
// parameters), 'name'::regclass / ::regtype, text[] subscripts, and
// functions called without arguments.
TEST_F(Engine, DriverCatalogQueries) {
  tag("CREATE TABLE md_orders (id INT PRIMARY KEY, item VARCHAR, amount NUMERIC(10,2), at "
      "TIMESTAMP)");
  tag("CREATE MATERIALIZED VIEW md_per_item AS SELECT item, count(*) AS n FROM md_orders GROUP BY "
      "item");
  EXPECT_EQ(
      rows("SELECT current_database() AS \"TABLE_CAT\", n.nspname AS \"TABLE_SCHEM\", c.relname "
           "AS \"TABLE_NAME\",  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  "
           "WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = "
           "'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' "
           "THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname "
           "= 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' "
           "THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN "
           "'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY "
           "INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE "
           "NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' "
           "THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'P' then 'PARTITIONED INDEX'  "
           "WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN "
           "'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  "
           "AS \"TABLE_TYPE\", d.description AS \"REMARKS\",  '' as \"TYPE_CAT\", '' as "
           "\"TYPE_SCHEM\", '' as \"TYPE_NAME\", '' AS \"SELF_REFERENCING_COL_NAME\", '' AS "
           "\"REF_GENERATION\"  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT "
           "JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and "
           "d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND n.nspname "
           "LIKE 'public' AND c.relname LIKE 'md_%' AND (false  OR ( c.relkind IN ('r','p') AND "
           "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'v' "
           "AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' ) OR ( "
           "c.relkind = 'm' ) ) ORDER BY \"TABLE_TYPE\",\"TABLE_SCHEM\",\"TABLE_NAME\""),
      (V{"dev|public|md_per_item|MATERIALIZED VIEW|NULL|||||",
         "dev|public|md_orders|TABLE|NULL|||||"}));
  EXPECT_EQ(
      rows("SELECT * FROM (SELECT current_database() AS current_database, "
           "n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull  OR (t.typtype = 'd' AND "
           "t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER "
           "(PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as "
           "attidentity,nullif(a.attgenerated, '') as "
           "attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS "
           "adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN "
           "pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a "
           "ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN "
           "pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  "
           "LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = "
           "dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND "
           "dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON "
           "(dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in "
           "('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname LIKE "
           "'public' AND c.relname LIKE 'md_orders') c WHERE true  AND attname LIKE '%' ORDER "
           "BY nspname,c.relname,attnum"),
      (V{"dev|public|md_orders|id|23|t|-1|4|-1|1|NULL|NULL|NULL|NULL|0|b",
         "dev|public|md_orders|item|1043|f|-1|-1|-1|2|NULL|NULL|NULL|NULL|0|b",
         "dev|public|md_orders|amount|1700|f|655366|-1|-1|3|NULL|NULL|NULL|NULL|0|b",
         "dev|public|md_orders|at|1114|f|-1|8|-1|4|NULL|NULL|NULL|NULL|0|b"}));
  EXPECT_EQ(
      rows("SELECT nspname AS \"TABLE_SCHEM\", current_database() AS \"TABLE_CATALOG\" FROM "
           "pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  "
           "OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ "
           "'^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], "
           "'pg_temp_', 'pg_toast_temp_'))  ORDER BY \"TABLE_SCHEM\""),
      (V{"information_schema|dev", "pg_catalog|dev", "public|dev"}));
  EXPECT_EQ(rows("SELECT 'pg_class'::regclass::oid, 'md_orders'::regclass::oid > 16384, "
                 "'int8'::regtype::oid, 'varchar'::regtype::oid, '_text'::text::regtype::oid"),
            (V{"1259|t|20|1043|1009"}));
  EXPECT_EQ(error("SELECT 'nope'::regclass").code, errc::undefined_table);
  EXPECT_EQ(error("SELECT 'nope'::regtype").code, errc::undefined_object);
  EXPECT_EQ(rows("SELECT (current_schemas(true))[2], (current_schemas(true))[3], "
                 "current_database(), current_user"),
            (V{"public|NULL|dev|root"}));
  EXPECT_EQ(rows("SELECT typname, typtype, typelem, typdelim FROM pg_type WHERE oid = 1009"),
            (V{"_text|b|25|,"}));
  EXPECT_EQ(rows("SELECT count(*) FROM pg_description"), (V{"0"}));
  // pgJDBC's TypeInfoCache, for a type outside its built-in list (jsonb, interval): what
  // ResultSetMetaData.getColumnType and getColumns ask.
  EXPECT_EQ(rows("SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, "
                 "pg_type.oid FROM pg_catalog.pg_type LEFT JOIN (select ns.oid as nspoid, "
                 "ns.nspname, r.r from pg_namespace as ns join ( select s.r, "
                 "(current_schemas(false))[s.r] as nspname from generate_series(1, "
                 "array_upper(current_schemas(false), 1)) as s(r) ) as r using ( nspname ) ) as "
                 "sp ON sp.nspoid = typnamespace WHERE pg_type.oid IN (3802, 1009) ORDER BY "
                 "sp.r, pg_type.oid DESC"),
            (V{"f|b|jsonb|3802", "t|b|_text|1009"}));
  EXPECT_EQ(rows("SELECT array_upper(current_schemas(true), 1), array_lower('{a}'::text[], 1), "
                 "array_length('{}'::text[], 1), 'int4in'::regproc::oid"),
            (V{"2|1|NULL|42"}));
  EXPECT_EQ(error("SELECT 'nope'::regproc").code, errc::undefined_function);
  EXPECT_EQ(rows("SELECT datname FROM pg_catalog.pg_database WHERE datallowconn = true"),
            (V{"dev"}));
}

// char(n) pads only when written out (and in concat()), varchar(n) and
// char(n) cut on a cast and refuse a longer value on INSERT: PostgreSQL 15's
// answers, with the spaces the sqllogictest runner would not see.
TEST_F(Engine, CharPadsWhenWrittenAndStringLengthsHold) {
  EXPECT_EQ(rows("SELECT 'ab'::char(4), 'abcdef'::varchar(3), 'ab '::char(4) = 'ab'::char(4), "
                 "concat('ab'::char(4), '.'), 'ab'::char(4) || '.', 'ab  '::char(4)::text || '.'"),
            (V{"ab  |abc|t|ab  .|ab.|ab."}));
  tag("CREATE TABLE codes (c char(3), v varchar(4))");
  EXPECT_EQ(tag("INSERT INTO codes VALUES ('x', 'abcd'), ('yz  ', 'ab  ')"), "INSERT 0 2");
  EXPECT_EQ(rows("SELECT c, v || '.' FROM codes ORDER BY c"), (V{"x  |abcd.", "yz |ab  ."}));
  EXPECT_EQ(error("INSERT INTO codes VALUES ('long', 'a')").code,
            errc::string_data_right_truncation);
  EXPECT_EQ(error("INSERT INTO codes VALUES ('a', 'abcde')").message,
            "value too long for type character varying(4)");
  EXPECT_EQ(rows("SELECT count(*) FROM codes"), (V{"2"}));
}

// DECLARE ... CURSOR FOR SELECT: the rows of the moment it was declared,
// paged by FETCH and MOVE, inside BEGIN ... COMMIT unless WITH HOLD.
TEST_F(Engine, QueryCursorsLiveInTransactionBlocks) {
  tag("CREATE TABLE nums (n INT)");
  tag("INSERT INTO nums VALUES (1), (2), (3), (4), (5)");
  EXPECT_EQ(error("DECLARE c CURSOR FOR SELECT n FROM nums").code, errc::no_active_transaction);
  EXPECT_FALSE(e.in_transaction(0));
  EXPECT_EQ(tag("BEGIN"), "BEGIN");
  EXPECT_TRUE(e.in_transaction(0));
  EXPECT_EQ(tag("DECLARE c CURSOR FOR SELECT n, n * 10 AS tens FROM nums ORDER BY n"),
            "DECLARE CURSOR");
  auto cols = e.cursor_columns(0, "c");
  ASSERT_TRUE(cols);
  ASSERT_EQ(cols->size(), 2u);
  EXPECT_EQ((*cols)[1].name, "tens");
  tag("INSERT INTO nums VALUES (6)");  // not the cursor's
  EXPECT_EQ(rows("FETCH 2 FROM c"), (V{"1|10", "2|20"}));
  EXPECT_EQ(tag("MOVE 1 IN c"), "MOVE 1");
  EXPECT_EQ(tag("FETCH ALL FROM c"), "FETCH 2");
  EXPECT_EQ(tag("FETCH c"), "FETCH 0");
  EXPECT_EQ(error("DECLARE c CURSOR FOR SELECT 1").code, errc::duplicate_cursor);
  EXPECT_EQ(tag("DECLARE h CURSOR WITH HOLD FOR SELECT count(*) FROM nums"), "DECLARE CURSOR");
  EXPECT_EQ(tag("COMMIT"), "COMMIT");
  EXPECT_FALSE(e.in_transaction(0));
  EXPECT_EQ(error("FETCH c").code, errc::invalid_cursor);
  EXPECT_FALSE(e.cursor_columns(0, "c"));
  EXPECT_EQ(rows("FETCH ALL FROM h"), (V{"6"}));
  EXPECT_EQ(error("FETCH BACKWARD 1 FROM h").code, errc::feature_not_supported);
  EXPECT_EQ(error("DECLARE s SCROLL CURSOR WITH HOLD FOR SELECT 1").code,
            errc::feature_not_supported);
  EXPECT_EQ(tag("CLOSE h"), "CLOSE CURSOR");
  // Several statements in one query string are PostgreSQL's implicit
  // transaction block: a cursor may be declared there, and ends with it.
  EXPECT_EQ(rows("DECLARE m CURSOR FOR SELECT n FROM nums WHERE n > 4 ORDER BY n; FETCH ALL m"),
            (V{"5", "6"}));
  EXPECT_FALSE(e.in_transaction(0));
  EXPECT_EQ(error("FETCH m").code, errc::invalid_cursor);
  EXPECT_EQ(tag("BEGIN; DECLARE k CURSOR FOR SELECT 1"), "DECLARE CURSOR");
  EXPECT_TRUE(e.in_transaction(0));  // an explicit BEGIN in it: the block goes on
  EXPECT_EQ(rows("FETCH k"), (V{"1"}));
  EXPECT_EQ(tag("COMMIT"), "COMMIT");
}

}  // namespace
}  // namespace runnel::sql
