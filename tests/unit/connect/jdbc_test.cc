// The JDBC connectors' pure parts: JDBC URLs, Confluent's config keys and
// their cross-key rules, the source offsets in Confluent's format, and the
// sink's Connect value → PostgreSQL text mapping (decimals without loss,
// logical dates and timestamps, bytea, arrays).
#include <gtest/gtest.h>

#include "connect/jdbc/jdbc_url.h"
#include "connect/jdbc/sink_config.h"
#include "connect/jdbc/source_config.h"
#include "connect/jdbc/source_table.h"
#include "connect/jdbc/sql_value.h"

namespace runnel::connect::jdbc {
namespace {

TEST(JdbcUrl, PostgresAndMysqlFormsWithDecodedParameters) {
  auto u = jdbc_url::parse("jdbc:postgresql://db.example:6543/sales?user=app&password=p%40ss+w");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u.value().kind, database_kind::postgresql);
  EXPECT_EQ(u.value().host, "db.example");
  EXPECT_EQ(u.value().port, 6543);
  EXPECT_EQ(u.value().database, "sales");
  EXPECT_EQ(u.value().params.at("password"), "p@ss w");
  auto m = jdbc_url::parse("jdbc:mysql://localhost/demo?user=root");
  ASSERT_TRUE(m);
  EXPECT_EQ(m.value().kind, database_kind::mysql);
  EXPECT_EQ(m.value().port, 3306);
}

TEST(JdbcUrl, RefusesWhatItCannotConnectTo) {
  for (const char* bad :
       {"postgresql://h/db", "jdbc:postgresql://h:99999/db", "jdbc:postgresql://h",
        "jdbc:oracle:thin:@h:1521:x", "jdbc:postgresql://a,b/db"}) {
    auto u = jdbc_url::parse(bad);
    ASSERT_FALSE(u) << bad;
    EXPECT_EQ(u.error().kind, errc::invalid_config);
    EXPECT_NE(u.error().message.find("connection.url"), std::string::npos);
  }
}

config_map confluent_source() {
  // Confluent's quickstart (MySQL there; the same keys on PostgreSQL).
  return {{"connector.class", "io.confluent.connect.jdbc.JdbcSourceConnector"},
          {"connection.url", "jdbc:postgresql://localhost:5432/demo?user=u&password=p"},
          {"table.whitelist", "foobar"},
          {"mode", "incrementing"},
          {"incrementing.column.name", "foobar_pk"},
          {"topic.prefix", "test-postgres-jdbc-"}};
}

TEST(JdbcSourceConfig, ConfluentsQuickstartWithItsDefaults) {
  auto c = source_config::parse(confluent_source());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().mode, source_mode::incrementing);
  EXPECT_EQ(c.value().connection.user, "u");
  EXPECT_EQ(c.value().connection.password, "p");
  EXPECT_EQ(c.value().poll_interval.count(), 5000);
  EXPECT_EQ(c.value().batch_max_rows, 100);
  EXPECT_EQ(c.value().table_include, std::vector<std::string>{"foobar"});
}

TEST(JdbcSourceConfig, ModesNeedTheirColumns) {
  auto p = confluent_source();
  p.erase("incrementing.column.name");
  auto c = source_config::parse(p);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("incrementing.column.name"), std::string::npos);
  p["mode"] = "timestamp+incrementing";
  p["incrementing.column.name"] = "id";
  c = source_config::parse(p);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("timestamp.column.name"), std::string::npos);
  p["mode"] = "sometimes";
  EXPECT_FALSE(source_config::parse(p));
}

TEST(JdbcSourceConfig, MysqlAndMariadbUrlsAreAccepted) {
  auto p = confluent_source();
  p["connection.url"] = "jdbc:mysql://localhost:3306/demo?user=root&password=secret";
  auto c = source_config::parse(p);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().connection.url.kind, database_kind::mysql);
  EXPECT_EQ(c.value().connection.user, "root");
  EXPECT_EQ(c.value().connection.password, "secret");
  p["connection.url"] = "jdbc:mariadb://db:3307/shop";
  p["connection.user"] = "app";
  c = source_config::parse(p);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().connection.url.port, 3307);
  EXPECT_EQ(c.value().connection.user, "app");
  p["connection.url"] = "jdbc:oracle:thin:@db:1521/x";
  c = source_config::parse(p);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("connection.url"), std::string::npos);
}

TEST(JdbcSourceOffset, ConfluentsFormatRoundTripsMicroseconds) {
  table_offset o{.incrementing = 42, .timestamp_us = 1'764'748'800'123'456};
  auto j = o.to_json();
  EXPECT_EQ(j["timestamp"], 1'764'748'800'123);
  EXPECT_EQ(j["timestamp_nanos"], 123'456'000);
  EXPECT_EQ(j["incrementing"], 42);
  auto back = table_offset::from_json(j);
  EXPECT_EQ(back.timestamp_us, o.timestamp_us);
  EXPECT_EQ(back.incrementing, 42);
  table_offset before_1970{.timestamp_us = -1'500'000};  // 1969-12-31 23:59:58.5
  EXPECT_EQ(table_offset::from_json(before_1970.to_json()).timestamp_us, -1'500'000);
  EXPECT_FALSE(table_offset::from_json(data::object()).incrementing);
}

TEST(JdbcSinkConfig, RulesAcrossKeys) {
  config_map p{{"connection.url", "jdbc:postgresql://h/db"}, {"name", "s"}};
  ASSERT_TRUE(sink_config::parse(p));
  p["insert.mode"] = "upsert";
  EXPECT_FALSE(sink_config::parse(p));  // no key to upsert by
  p["pk.mode"] = "record_key";
  ASSERT_TRUE(sink_config::parse(p));
  p["pk.mode"] = "record_value";
  p["delete.enabled"] = "true";
  EXPECT_FALSE(sink_config::parse(p));  // deletes need the key
  auto c = sink_config::parse(
      {{"connection.url", "jdbc:postgresql://h/db"}, {"table.name.format", "kafka_${topic}_t"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value().table_for("orders"), "kafka_orders_t");
}

schema_ptr decimal(int scale) {
  auto s = std::make_shared<schema>();
  s->type = schema_type::bytes;
  s->name = std::string(logical::decimal);
  s->parameters = {{"scale", std::to_string(scale)}};
  return s;
}

schema_ptr named_int(schema_type t, std::string_view name) {
  auto s = std::make_shared<schema>();
  s->type = t;
  s->name = std::string(name);
  return s;
}

TEST(JdbcSqlValue, DecimalsWithoutLoss) {
  // 2^70 + 1 = 1180591620717411303425, scale 3; and -68.50 (-6850, scale 2).
  std::string big("\x40\x00\x00\x00\x00\x00\x00\x00\x01", 9);
  auto t = sql_text(decimal(3), make_bytes(big));
  ASSERT_TRUE(t);
  EXPECT_EQ(*t.value(), "1180591620717411303.425");
  EXPECT_EQ(*sql_text(decimal(2), make_bytes(std::string("\xe5\x3e", 2))).value(), "-68.50");
  EXPECT_EQ(*sql_text(decimal(2), make_bytes(std::string("\x01", 1))).value(), "0.01");
  EXPECT_EQ(*sql_text(decimal(0), make_bytes(std::string("\xff", 1))).value(), "-1");
  EXPECT_EQ(sql_type(decimal(2)), "numeric");
}

TEST(JdbcSqlValue, LogicalTimesBytesArraysAndNulls) {
  EXPECT_EQ(*sql_text(named_int(schema_type::int32, logical::date), 20425).value(), "2025-12-03");
  EXPECT_EQ(*sql_text(named_int(schema_type::int64, logical::timestamp), -1).value(),
            "1969-12-31 23:59:59.999000");
  EXPECT_EQ(*sql_text(named_int(schema_type::int64, "io.debezium.time.MicroTimestamp"),
                      1'764'748'800'000'001)
                 .value(),
            "2025-12-03 08:00:00.000001");
  EXPECT_EQ(*sql_text(schemas::bytes(), make_bytes(std::string("\x00\xff", 2))).value(), "\\x00ff");
  auto arr = std::make_shared<schema>();
  arr->type = schema_type::array;
  arr->value_schema = schemas::optional_string();
  EXPECT_EQ(*sql_text(arr, data::array({"a\"b", nullptr})).value(), "{\"a\\\"b\",NULL}");
  EXPECT_EQ(sql_type(arr), "text[]");
  EXPECT_FALSE(sql_text(schemas::string(), nullptr).value());
  auto bad = sql_text(schemas::string(), 5);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, errc::data);
  EXPECT_EQ(sql_type(named_int(schema_type::string, "io.debezium.time.ZonedTimestamp")),
            "timestamptz");
}

}  // namespace
}  // namespace runnel::connect::jdbc
