// PostgreSQL text values → Connect data, as Debezium's PostgreSQL connector
// maps them by default (value_mapping.h). The text forms are PostgreSQL
// 15's output with DateStyle ISO and IntervalStyle postgres.
#include <gtest/gtest.h>

#include <cmath>

#include "connect/convert/json_data.h"
#include "connect/postgres/value_mapping.h"

namespace runnel::connect::postgres {
namespace {

column_def col(std::uint32_t type, std::int32_t typmod = -1) {
  return column_def{.name = "c", .type_oid = type, .type_modifier = typmod, .part_of_key = false};
}

data value(std::uint32_t type, std::string_view text, std::int32_t typmod = -1) {
  auto v = column_value(col(type, typmod), text);
  EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message);
  return v ? v.value() : data();
}

constexpr std::int32_t numeric_typmod(int p, int s) {
  return ((p << 16) | s) + 4;
}

TEST(PgValueMapping, Scalars) {
  EXPECT_EQ(value(16, "t"), data(true));
  EXPECT_EQ(value(16, "f"), data(false));
  EXPECT_EQ(value(21, "-32768"), data(-32768));
  EXPECT_EQ(value(20, "9223372036854775807"), data(INT64_MAX));
  EXPECT_EQ(value(701, "1.5"), data(1.5));
  EXPECT_TRUE(std::isnan(value(701, "NaN").get<double>()));
  EXPECT_EQ(value(701, "-Infinity"), data(-INFINITY));
  EXPECT_EQ(value(25, "héllo"), data("héllo"));
  EXPECT_EQ(value(3802, R"({"k": [1, 2]})"), data(R"({"k": [1, 2]})"));
  EXPECT_EQ(value(17, "\\x00ff41"), make_bytes(std::string("\0\xff"
                                                           "A",
                                                           3)));
}

TEST(PgValueMapping, NumericWithoutLoss) {
  auto v = value(1700, "12345678901234.123456", numeric_typmod(20, 6));
  EXPECT_EQ(decimal_to_string(bytes_of(v), 6), "12345678901234.123456");
  v = value(1700, "-1.50", numeric_typmod(10, 2));
  EXPECT_EQ(bytes_of(v), std::string("\xff\x6a", 2));  // -150, as BigInteger writes it
  v = value(1700, "0.00", numeric_typmod(10, 2));
  EXPECT_EQ(bytes_of(v), std::string("\0", 1));
  // NaN has no Decimal form: null, and the schema is optional.
  EXPECT_EQ(value(1700, "NaN", numeric_typmod(10, 2)), data(nullptr));
  EXPECT_TRUE(column_schema(col(1700, numeric_typmod(10, 2)), false)->optional);
  auto s = column_schema(col(1700, numeric_typmod(10, 2)), false);
  EXPECT_EQ(s->parameter("scale"), "2");
  EXPECT_EQ(s->parameter("connect.decimal.precision"), "10");
  // A bare numeric keeps each value's own scale.
  v = value(1700, "3.14159");
  EXPECT_EQ(v["scale"], 5);
  EXPECT_EQ(decimal_to_string(bytes_of(v["value"]), 5), "3.14159");
  EXPECT_EQ(column_schema(col(1700), true)->name, "io.debezium.data.VariableScaleDecimal");
  EXPECT_EQ(column_schema(col(1700), true)->version, 1);  // as Debezium's schema says
}

TEST(PgValueMapping, MoneyIsADecimalOfTwoDigits) {
  // Debezium's default (money.fraction.digits 2); lc_monetary C's text.
  auto s = column_schema(col(790), true);
  EXPECT_EQ(s->type, schema_type::bytes);
  EXPECT_EQ(s->name, "org.apache.kafka.connect.data.Decimal");
  EXPECT_EQ(s->parameter("scale"), "2");
  EXPECT_EQ(decimal_to_string(bytes_of(value(790, "$1,234.56")), 2), "1234.56");
  EXPECT_EQ(decimal_to_string(bytes_of(value(790, "-$0.99")), 2), "-0.99");
  EXPECT_EQ(decimal_to_string(bytes_of(value(790, "($12.00)")), 2), "-12.00");
  EXPECT_FALSE(column_value(col(790), "free").has_value());  // a clear error, not a null
  // money[]: an array of those.
  auto a = value(791, R"({"$1.00",NULL})");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(decimal_to_string(bytes_of(a[0]), 2), "1.00");
  EXPECT_TRUE(a[1].is_null());
}

TEST(PgValueMapping, DatesAndTimes) {
  EXPECT_EQ(value(1082, "1970-01-01"), data(0));
  EXPECT_EQ(value(1082, "2026-12-03"), data(20790));
  EXPECT_EQ(value(1082, "1969-12-31"), data(-1));
  EXPECT_EQ(value(1082, "0001-01-01 BC"), data(-719528));
  // time: adaptive precision, ms for (0-3), µs for (4-6) and bare time.
  EXPECT_EQ(value(1083, "04:05:06.789"), data(14'706'789'000LL));
  EXPECT_EQ(value(1083, "04:05:06.789", 3), data(14'706'789));
  EXPECT_EQ(column_schema(col(1083, 3), true)->name, "io.debezium.time.Time");
  EXPECT_EQ(column_schema(col(1083), true)->name, "io.debezium.time.MicroTime");
  EXPECT_EQ(value(1114, "2026-12-03 10:00:00.5"), data(1'796'292'000'500'000LL));
  EXPECT_EQ(value(1114, "2026-12-03 10:00:00.5", 0), data(1'796'292'000'500LL));
  EXPECT_EQ(value(1114, "1969-12-31 23:59:59.9995"), data(-500LL));
  EXPECT_EQ(value(1114, "infinity"), data(INT64_MAX));
  // timestamptz to UTC, ISO-8601; fraction digits only as needed.
  EXPECT_EQ(value(1184, "2026-12-03 10:00:00+02"), data("2026-12-03T08:00:00Z"));
  EXPECT_EQ(value(1184, "2026-12-03 10:00:00.25-05:30"), data("2026-12-03T15:30:00.25Z"));
  EXPECT_EQ(value(1184, "2026-01-01 00:30:00+01"), data("2025-12-31T23:30:00Z"));
  EXPECT_EQ(value(1266, "04:05:06+02"), data("02:05:06Z"));
  EXPECT_EQ(value(1266, "01:00:00.5+02"), data("23:00:00.5Z"));
}

TEST(PgValueMapping, Intervals) {
  constexpr std::int64_t day = 86'400'000'000LL;
  EXPECT_EQ(value(1186, "00:00:01"), data(1'000'000));
  EXPECT_EQ(value(1186, "1 day"), data(day));
  EXPECT_EQ(value(1186, "-1 days +02:00:00"), data(-day + 7'200'000'000LL));
  EXPECT_EQ(value(1186, "1 year"), data(365 * day + day / 4));
  EXPECT_EQ(value(1186, "1 mon 100:00:00.5"),
            data(static_cast<std::int64_t>(30.4375 * day) + 360'000'500'000LL));
}

TEST(PgValueMapping, Arrays) {
  EXPECT_EQ(value(1009, R"({a,"b c","d,\"e\"",NULL,"NULL"})"),
            data::array({"a", "b c", "d,\"e\"", nullptr, "NULL"}));
  EXPECT_EQ(value(1007, "{1,-2,3}"), data::array({1, -2, 3}));
  EXPECT_EQ(value(1007, "{}"), data::array());
  auto s = column_schema(col(1007), true);
  EXPECT_EQ(s->type, schema_type::array);
  EXPECT_EQ(s->value_schema->type, schema_type::int32);
}

TEST(PgValueMapping, MalformedTextIsADataErrorNamingTheColumn) {
  for (auto [type, text] :
       std::vector<std::pair<std::uint32_t, std::string_view>>{{16, "yes"},
                                                               {23, "12x"},
                                                               {1082, "2026-13-01"},
                                                               {1083, "4:05"},
                                                               {17, "\\x0"},
                                                               {1184, "2026-12-03 10:00:00"},
                                                               {1186, "3 fortnights"},
                                                               {1007, "{{1,2},{3,4}}"},
                                                               {1007, "{1,x}"}}) {
    auto v = column_value(col(type), text);
    ASSERT_FALSE(v.has_value()) << text;
    EXPECT_EQ(v.error().kind, errc::data);
    EXPECT_NE(v.error().message.find("column c"), std::string::npos) << v.error().message;
  }
}

TEST(PgValueMapping, UnchangedToastPlaceholderInTheColumnsType) {
  EXPECT_EQ(unavailable_placeholder(col(25)), data(std::string(unavailable_value)));
  EXPECT_EQ(unavailable_placeholder(col(17)), make_bytes(unavailable_value));
  EXPECT_EQ(unavailable_placeholder(col(1009)), data::array({std::string(unavailable_value)}));
  EXPECT_EQ(unavailable_placeholder(col(23)), data(nullptr));
}

TEST(PgValueMapping, UnknownTypesAreStrings) {
  EXPECT_EQ(value(869, "192.168.0.1/32"), data("192.168.0.1/32"));  // inet
  EXPECT_EQ(column_schema(col(869), false)->type, schema_type::string);
}

}  // namespace
}  // namespace runnel::connect::postgres
