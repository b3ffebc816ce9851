// The binder and the plan rewrites: names resolved against a catalog,
// types decided once, PostgreSQL's errors at PostgreSQL's positions, and
// the logical plans that the executor will maintain (printed by EXPLAIN).
#include <gtest/gtest.h>

#include "test_catalog.h"

namespace runnel::sql {
namespace {

const testing::test_catalog& catalog() {
  static const testing::test_catalog c = [] {
    testing::test_catalog c;
    c.add("bids", relation_kind::source,
          {{"auction", type_id::int64},
           {"bidder", type_id::int64},
           {"price", type_id::int64},
           {"url", type_id::text},
           {"date_time", type_id::timestamp}},
          {}, {4});
    c.add("users", relation_kind::table,
          {{"id", type_id::int32}, {"name", type_id::text}, {"city", type_id::text}}, {0});
    c.add("orders", relation_kind::table,
          {{"id", type_id::int32},
           {"user_id", type_id::int32},
           {"amount", sql_type(type_id::numeric, 10, 2)}},
          {0});
    return c;
  }();
  return c;
}

result<plan_ptr> plan(std::string_view sql, bool streaming = true) {
  return catalog().plan(sql, streaming);
}

std::string explained(std::string_view sql, bool streaming = true) {
  auto p = plan(sql, streaming);
  if (!p) return "ERROR: " + p.error().message;
  return explain(*p.value());
}

sql_error error_of(std::string_view sql) {
  auto p = plan(sql);
  EXPECT_FALSE(p) << sql;
  return p ? sql_error{} : p.error();
}

TEST(Bind, ColumnsAndTypes) {
  auto p = plan(
      "SELECT auction, price * 2 AS double_price, upper(url), date_time FROM bids WHERE price > "
      "10");
  ASSERT_TRUE(p) << p.error().message;
  const auto& cols = p.value()->columns;
  ASSERT_EQ(cols.size(), 4u);
  EXPECT_EQ(cols[0].name, "auction");
  EXPECT_EQ(cols[1].name, "double_price");
  EXPECT_EQ(cols[1].type.id, type_id::int64);
  EXPECT_EQ(cols[2].name, "upper");  // PostgreSQL's name for an unnamed call
  EXPECT_EQ(cols[3].type.id, type_id::timestamp);
  EXPECT_TRUE(p.value()->append_only);
}

TEST(Bind, UnnamedColumnsArePostgresNames) {
  // FigureColname: a subscript takes the subscripted expression's name.
  auto p = plan("SELECT (regexp_match(url, '(a)(b)'))[2], coalesce(price, 0), price + 1 FROM bids");
  ASSERT_TRUE(p) << p.error().message;
  const auto& cols = p.value()->columns;
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[0].name, "regexp_match");
  EXPECT_EQ(cols[1].name, "coalesce");
  EXPECT_EQ(cols[2].name, "?column?");
}

TEST(Bind, AggregatesOverWindows) {
  auto p = plan(
      "SELECT auction, window_start, count(*) AS n, max(price), avg(price) FROM "
      "TUMBLE(bids, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start");
  ASSERT_TRUE(p) << p.error().message;
  const auto& cols = p.value()->columns;
  ASSERT_EQ(cols.size(), 5u);
  EXPECT_EQ(cols[1].type.id, type_id::timestamp);
  EXPECT_EQ(cols[2].type.id, type_id::int64);
  EXPECT_EQ(cols[3].type.id, type_id::int64);
  EXPECT_EQ(cols[4].type.id, type_id::numeric);  // avg(bigint) is numeric, as PostgreSQL
  std::string e = explain(*p.value());
  EXPECT_NE(e.find("Aggregate"), std::string::npos) << e;
  EXPECT_NE(e.find("Tumble"), std::string::npos) << e;
}

// Flink's window table functions: SESSION with TABLE, PARTITION BY,
// DESCRIPTOR and a plural unit (the pre-pass rewrites what PostgreSQL's
// grammar cannot carry, keeping positions), and TUMBLE in the same form.
TEST(Bind, SessionWindowsInFlinksSyntax) {
  auto p = plan(
      "SELECT auction, window_start, window_end, count(*) FROM SESSION(TABLE bids PARTITION BY "
      "auction, DESCRIPTOR(date_time), INTERVAL '5' MINUTES) GROUP BY auction, window_start, "
      "window_end");
  ASSERT_TRUE(p) << p.error().message;
  std::string e = explain(*p.value());
  EXPECT_NE(e.find("Session partition=[auction] time=date_time gap=00:05:00"), std::string::npos)
      << e;
  EXPECT_FALSE(p.value()->append_only);  // sessions merge: rows are retracted
  // window_end carries the watermark (the aggregate's third key), window_start does not.
  EXPECT_EQ(p.value()->watermarks, (std::vector<int>{2}));
  auto t = plan(
      "SELECT window_start, count(*) FROM TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '10' "
      "SECONDS) GROUP BY window_start");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_NE(explain(*t.value()).find("Tumble time=date_time size=00:00:10"), std::string::npos);
  // The window copies rows into each window: only the time column goes in
  // here, nothing above reads another (rewrite.cc, narrow_window).
  EXPECT_NE(explain(*t.value())
                .find("Tumble time=date_time size=00:00:10  (append-only)\n        Project "
                      "date_time  (append-only)\n"),
            std::string::npos)
      << explain(*t.value());

  std::string q1 =
      "SELECT * FROM SESSION(TABLE bids PARTITION BY auction, DESCRIPTOR(nope), INTERVAL '1' "
      "MINUTE)";
  auto e1 = error_of(q1);
  EXPECT_EQ(e1.code, errc::undefined_column);
  EXPECT_EQ(e1.position, static_cast<int>(q1.find("nope")));
  std::string q2 = "SELECT * FROM SESSION(TABLE bids, DESCRIPTOR(url), INTERVAL '1' MINUTE)";
  auto e2 = error_of(q2);
  EXPECT_EQ(e2.code, errc::datatype_mismatch);
  EXPECT_EQ(e2.position, static_cast<int>(q2.find("url")));
  std::string q3 = "SELECT * FROM SESSION(TABLE bids, date_time, INTERVAL '1' MINUTE)";
  auto e3 = error_of(q3);
  EXPECT_EQ(e3.code, errc::undefined_function);
  std::string q4 = "SELECT * FROM SESSION(TABLE bids, DESCRIPTOR(date_time), INTERVAL '1' MONTH)";
  auto e4 = error_of(q4);
  EXPECT_EQ(e4.message, "the session gap cannot have months or years");
  EXPECT_EQ(e4.position, static_cast<int>(q4.find("INTERVAL")));
}

TEST(Bind, JoinKeysComeFromWhereAndOn) {
  std::string e = explained(
      "SELECT u.name, sum(o.amount) FROM users u JOIN orders o ON u.id = o.user_id GROUP BY "
      "u.name");
  EXPECT_NE(e.find("Inner"), std::string::npos) << e;
  EXPECT_NE(e.find("id = user_id"), std::string::npos) << e;
  std::string w =
      explained("SELECT u.name FROM users u, orders o WHERE u.id = o.user_id AND o.amount > 5");
  EXPECT_NE(w.find("Inner"), std::string::npos) << w;
  EXPECT_NE(w.find("id = user_id"), std::string::npos) << w;
}

TEST(Bind, TopNFusesRowNumberWithItsFilter) {
  std::string e = explained(
      "SELECT * FROM (SELECT auction, price, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY "
      "price DESC) AS rn "
      "FROM bids) t WHERE rn <= 3");
  EXPECT_NE(e.find("TopN"), std::string::npos) << e;
  EXPECT_NE(e.find("limit=3"), std::string::npos) << e;
}

TEST(Bind, NowBecomesATemporalFilterInAView) {
  std::string e =
      explained("SELECT auction FROM bids WHERE date_time > now() - INTERVAL '15' MINUTE");
  EXPECT_NE(e.find("TemporalFilter"), std::string::npos) << e;
}

TEST(Bind, CtesUnionAndSubqueries) {
  auto p = plan(
      "WITH big AS (SELECT auction, price FROM bids WHERE price > 100) "
      "SELECT auction FROM big UNION ALL SELECT id::bigint FROM (SELECT id FROM users) u");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value()->columns.size(), 1u);
  EXPECT_EQ(p.value()->columns[0].type.id, type_id::int64);
}

TEST(Bind, ErrorsPointWherePostgresPoints) {
  std::string q1 = "SELECT nope FROM bids";
  auto e1 = error_of(q1);
  EXPECT_EQ(e1.code, errc::undefined_column);
  EXPECT_EQ(e1.message, "column \"nope\" does not exist");
  EXPECT_EQ(e1.position, 7);

  std::string q2 = "SELECT a FROM missing";
  auto e2 = error_of(q2);
  EXPECT_EQ(e2.code, errc::undefined_table);
  EXPECT_EQ(e2.message, "relation \"missing\" does not exist");
  EXPECT_EQ(e2.position, 14);

  std::string q3 = "SELECT auction, price FROM bids GROUP BY auction";
  auto e3 = error_of(q3);
  EXPECT_EQ(e3.code, errc::grouping_error);
  EXPECT_EQ(e3.message,
            "column \"bids.price\" must appear in the GROUP BY clause or be used in an aggregate "
            "function");
  EXPECT_EQ(e3.position, 16);

  std::string q4 = "SELECT id FROM users u JOIN orders o ON u.id = o.user_id";
  auto e4 = error_of(q4);
  EXPECT_EQ(e4.code, errc::ambiguous_column);
  EXPECT_EQ(e4.message, "column reference \"id\" is ambiguous");
  EXPECT_EQ(e4.position, 7);

  auto e5 = error_of("SELECT count(*) FROM bids WHERE count(*) > 1");
  EXPECT_EQ(e5.code, errc::grouping_error);
  EXPECT_EQ(e5.message, "aggregate functions are not allowed in WHERE");
  EXPECT_EQ(e5.position, 32);
}

}  // namespace
}  // namespace runnel::sql
