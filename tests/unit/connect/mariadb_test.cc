// The MariaDB/MySQL dialect's pure parts: result columns → Connect schemas
// and values (exact DECIMAL, unsigned BIGINT, DATETIME/TIMESTAMP, TIME,
// BIT, BLOB, JSON), Connect values → SQL literals and column types, the
// quoting, and the SQL the source and sink generate (timestamp bounds, the
// locking incrementing read's clause, ON DUPLICATE KEY UPDATE).
#include <gtest/gtest.h>

#include <limits>

#include "connect/convert/json_data.h"
#include "connect/jdbc/dialect.h"
#include "connect/jdbc/sink_config.h"
#include "connect/jdbc/sink_writer.h"
#include "connect/mariadb/jdbc_dialect.h"
#include "connect/mariadb/value_mapping.h"

namespace runnel::connect::mariadb {
namespace {

using jdbc::db_column;

db_column col(std::uint32_t type, std::uint32_t flags = 0, std::int32_t decimals = 0,
              std::uint64_t length = 0, std::uint32_t charset = 45) {
  return db_column{.name = "c",
                   .type = type,
                   .modifier = decimals,
                   .flags = flags,
                   .charset = charset,
                   .length = length};
}

std::string decimal_of(const data& v, int scale) {
  return decimal_to_string(bytes_of(v), scale);
}

TEST(MariadbValues, IntegersAndUnsignedBigintWithoutLoss) {
  EXPECT_EQ(column_schema(col(field_type::tiny), false)->type, schema_type::int16);
  EXPECT_EQ(column_schema(col(field_type::long_), false)->type, schema_type::int32);
  EXPECT_EQ(column_schema(col(field_type::long_, field_flag::unsigned_), false)->type,
            schema_type::int64);
  EXPECT_EQ(column_value(col(field_type::long_, field_flag::unsigned_), "4294967295").value(),
            data(4294967295LL));
  auto big = col(field_type::longlong, field_flag::unsigned_);
  auto s = column_schema(big, true);
  EXPECT_EQ(*s->name, logical::decimal);
  EXPECT_EQ(s->parameter("scale"), "0");
  auto v = column_value(big, "18446744073709551615");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(decimal_of(v.value(), 0), "18446744073709551615");
  EXPECT_EQ(column_value(col(field_type::longlong), "-9223372036854775808").value(),
            data(std::numeric_limits<std::int64_t>::min()));
  EXPECT_FALSE(column_value(col(field_type::long_), "12x"));
}

TEST(MariadbValues, DecimalIsExactWithItsPrecision) {
  auto c = col(field_type::newdecimal, 0, 4, 22);  // DECIMAL(20,4): digits + point + sign
  auto s = column_schema(c, false);
  EXPECT_EQ(s->parameter("scale"), "4");
  EXPECT_EQ(s->parameter("connect.decimal.precision"), "20");
  auto v = column_value(c, "-1234567890123456.7891");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(decimal_of(v.value(), 4), "-1234567890123456.7891");
}

TEST(MariadbValues, DatesTimesAndTimestamps) {
  auto date = col(field_type::date);
  EXPECT_EQ(*column_schema(date, false)->name, "io.debezium.time.Date");
  EXPECT_EQ(column_value(date, "2025-12-03").value(), data(20425));
  auto zero = column_value(date, "0000-00-00");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("zero date"), std::string::npos);

  auto dt6 = col(field_type::datetime, 0, 6);
  EXPECT_EQ(*column_schema(dt6, false)->name, "io.debezium.time.MicroTimestamp");
  EXPECT_EQ(column_value(dt6, "2025-12-03 08:00:00.000001").value(), data(1'764'748'800'000'001LL));
  auto dt0 = col(field_type::datetime, 0, 0);
  EXPECT_EQ(*column_schema(dt0, false)->name, "io.debezium.time.Timestamp");
  EXPECT_EQ(column_value(dt0, "2025-12-03 08:00:00").value(), data(1'764'748'800'000LL));

  auto ts = col(field_type::timestamp, 0, 3);
  EXPECT_EQ(*column_schema(ts, false)->name, "io.debezium.time.ZonedTimestamp");
  EXPECT_EQ(column_value(ts, "2026-12-03 08:00:00.500").value(), data("2026-12-03T08:00:00.5Z"));

  auto t = col(field_type::time, 0, 6);
  EXPECT_EQ(*column_schema(t, false)->name, "io.debezium.time.MicroTime");
  EXPECT_EQ(column_value(t, "-838:59:59.000000").value(),
            data(-((838LL * 3600 + 59 * 60 + 59) * 1'000'000)));
  EXPECT_EQ(column_value(t, "01:02:03.5").value(), data(3'723'500'000LL));
}

TEST(MariadbValues, BitsBlobsAndJson) {
  auto b1 = col(field_type::bit, 0, 0, 1);
  EXPECT_EQ(column_schema(b1, false)->type, schema_type::boolean);
  EXPECT_EQ(column_value(b1, std::string(1, '\1')).value(), data(true));
  auto b12 = col(field_type::bit, 0, 0, 12);
  auto s = column_schema(b12, false);
  EXPECT_EQ(*s->name, "io.debezium.data.Bits");
  EXPECT_EQ(s->parameter("length"), "12");
  // Big-endian on the wire, little-endian in Debezium's Bits.
  EXPECT_EQ(bytes_of(column_value(b12, std::string("\x0a\x01", 2)).value()),
            std::string("\x01\x0a", 2));

  auto blob = col(field_type::blob, field_flag::binary, 0, 65535, binary_charset);
  EXPECT_EQ(column_schema(blob, false)->type, schema_type::bytes);
  EXPECT_EQ(bytes_of(column_value(blob, std::string("\0\xff", 2)).value()),
            std::string("\0\xff", 2));
  auto text = col(field_type::blob, 0, 0, 65535, 45);
  EXPECT_EQ(column_schema(text, false)->type, schema_type::string);

  auto json = text;
  json.format = "json";
  EXPECT_EQ(*column_schema(json, false)->name, "io.debezium.data.Json");
  EXPECT_EQ(column_value(json, R"({"k": 1})").value(), data(R"({"k": 1})"));
}

TEST(MariadbSql, QuotingEscapesWhatTheServerWouldRead) {
  EXPECT_EQ(quote_identifier("we`ird"), "`we``ird`");
  EXPECT_EQ(quote_string("it's a \\ path"), "'it\\'s a \\\\ path'");
  EXPECT_EQ(quote_string(std::string("a\0b", 3)), "'a\\0b'");
}

schema_ptr named(schema_type t, std::string_view name,
                 std::vector<std::pair<std::string, std::string>> params = {}) {
  auto s = std::make_shared<schema>();
  s->type = t;
  s->name = std::string(name);
  s->parameters = std::move(params);
  return s;
}

TEST(MariadbSql, ColumnTypesAndLiterals) {
  auto dec = named(schema_type::bytes, logical::decimal, {{"scale", "2"}});
  EXPECT_EQ(sql_type(dec, false), "DECIMAL(65,2)");
  EXPECT_EQ(sql_type(schemas::string(), true), "VARCHAR(255)");
  EXPECT_EQ(sql_type(schemas::string(), false), "LONGTEXT");
  EXPECT_EQ(sql_type(schemas::bytes(), false), "LONGBLOB");
  EXPECT_EQ(sql_type(named(schema_type::int64, "io.debezium.time.MicroTimestamp"), false),
            "DATETIME(6)");

  auto unscaled = decimal_from_string("-70.00", 2).value();
  EXPECT_EQ(sql_literal(dec, make_bytes(unscaled)).value(), "-70.00");
  EXPECT_EQ(sql_literal(named(schema_type::int32, logical::date), data(20425)).value(),
            "'2025-12-03'");
  EXPECT_EQ(sql_literal(named(schema_type::int64, "io.debezium.time.MicroTimestamp"),
                        data(1'764'748'800'000'001LL))
                .value(),
            "'2025-12-03 08:00:00.000001'");
  EXPECT_EQ(sql_literal(named(schema_type::string, "io.debezium.time.ZonedTimestamp"),
                        data("2026-12-03T08:00:00.5Z"))
                .value(),
            "'2026-12-03 08:00:00.5'");
  EXPECT_EQ(sql_literal(schemas::bytes(), make_bytes(std::string("\0\xff", 2))).value(), "X'00ff'");
  EXPECT_EQ(sql_literal(schemas::of(schema_type::boolean), data(true)).value(), "TRUE");
  EXPECT_EQ(sql_literal(schemas::string(), data(nullptr)).value(), "NULL");
  EXPECT_EQ(sql_literal(nullptr, data("o'k")).value(), "'o\\'k'");
  EXPECT_FALSE(sql_literal(schemas::string(), data(5)));
}

TEST(MariadbSql, DialectPiecesOfTheSourceAndSink) {
  const auto& d = jdbc::dialect_for(jdbc::database_kind::mysql);
  EXPECT_EQ(&d, &jdbc_dialect());
  jdbc::sql_params params;
  EXPECT_EQ(d.bind(std::string("x"), params), "'x'");
  EXPECT_EQ(d.bind(std::nullopt, params), "NULL");
  EXPECT_EQ(d.bind_int(-1, params), "-1");
  EXPECT_TRUE(params.empty());  // values are literals
  EXPECT_EQ(d.quote_table("demo.t"), "`demo`.`t`");
  EXPECT_EQ(d.as_int64("t.`id`"), "CAST(t.`id` AS SIGNED)");
  auto ts = col(field_type::datetime, 0, 6);
  EXPECT_EQ(d.timestamp_us("t.`ts`", ts),
            "TIMESTAMPDIFF(MICROSECOND, TIMESTAMP'1970-01-01 00:00:00', t.`ts`)");
  EXPECT_EQ(d.timestamp_at(1'500'000, ts, params),
            "TIMESTAMPADD(MICROSECOND, 1500000, TIMESTAMP'1970-01-01 00:00:00.000000')");
  EXPECT_TRUE(d.is_timestamp(ts));
  EXPECT_FALSE(d.is_timestamp(col(field_type::date)));
  EXPECT_EQ(d.upsert_clause({"id"}, {"name", "amount"}),
            " ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `amount` = VALUES(`amount`)");
  EXPECT_EQ(d.upsert_clause({"id"}, {}), " ON DUPLICATE KEY UPDATE `id` = `id`");
  EXPECT_TRUE(d.ddl_commits());
  EXPECT_TRUE(d.is_held(make_error(errc::conflict, "lock")));
  EXPECT_FALSE(d.is_held(make_error(errc::fatal, "syntax")));
}

// Records the statements the sink writer sends (no server needed for the
// SQL text; tests/integration/test_jdbc_mariadb.py runs it for real).
class recording_session final : public jdbc::db_session {
 public:
  std::vector<std::string> statements;
  result<jdbc::db_result> run(const std::string& sql, const jdbc::sql_params&) override {
    statements.push_back(sql);
    jdbc::db_result r;
    if (sql.starts_with("SELECT COLUMN_NAME")) {
      r.rows = {{std::string("id")}, {std::string("name")}};  // the table exists
    }
    return r;
  }
};

TEST(MariadbSql, SinkWriterUpsertsAndDeletesByKey) {
  auto cfg = jdbc::sink_config::parse({{"connection.url", "jdbc:mariadb://h/demo"},
                                       {"insert.mode", "upsert"},
                                       {"pk.mode", "record_key"},
                                       {"delete.enabled", "true"}});
  ASSERT_TRUE(cfg) << cfg.error().message;
  jdbc::sink_writer w(cfg.value(), jdbc_dialect());
  recording_session s;
  auto key_schema = struct_builder().field("id", schemas::of(schema_type::int32)).build();
  auto value_schema = struct_builder("order")
                          .field("id", schemas::of(schema_type::int32))
                          .field("name", schemas::optional_string())
                          .build();
  sink_record r;
  r.topic = "orders";
  r.key_schema = key_schema;
  r.key = data{{"id", 7}};
  r.value_schema = value_schema;
  r.value = data{{"id", 7}, {"name", "it's"}};
  ASSERT_TRUE(w.write(s, r));
  EXPECT_EQ(s.statements.back(),
            "INSERT INTO `orders` (`id`, `name`) VALUES (7, 'it\\'s') ON DUPLICATE KEY UPDATE "
            "`name` = VALUES(`name`)");
  r.value = data(nullptr);
  r.value_schema = nullptr;
  ASSERT_TRUE(w.write(s, r));
  EXPECT_EQ(s.statements.back(), "DELETE FROM `orders` WHERE `id` = 7");
}

}  // namespace
}  // namespace runnel::connect::mariadb
