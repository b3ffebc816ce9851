// JSON rows (connector/json_row.h) and the Kafka connector options
// (connector/kafka_options.h): what ENCODE JSON reads and writes.
#include <gtest/gtest.h>

#include "sql/connector/csv_row.h"
#include "sql/connector/json_row.h"
#include "sql/connector/kafka_options.h"
#include "sql/types/text_format.h"

namespace runnel::sql {
namespace {

std::vector<plan_column> cols() {
  return {{"id", type_id::int32, "", false},      {"name", type_id::text, "", false},
          {"price", type_id::numeric, "", false}, {"ts", type_id::timestamp, "", false},
          {"doc", type_id::jsonb, "", false},     {"ok", type_id::boolean, "", false},
          {"ratio", type_id::float64, "", false}};
}

std::string text_of(const plan_column& c, const datum& d) {
  return d.is_null() ? "NULL" : to_text(c.type, d);
}

TEST(JsonRow, DecodesByNameWithExactNumbersAndNulls) {
  json_row_decoder dec(cols());
  arena a;
  std::vector<datum> row(7);
  ASSERT_TRUE(dec.decode(
      R"({"ID": 7, "name": "caf\u00e9", "price": 12345678901234567890.125, "ts": "2024-03-15 10:00:00",
          "doc": {"b": [1, 2], "a": null}, "ignored": {"x": 1}, "ok": true, "ratio": null})",
      row.data(), a));
  auto c = cols();
  EXPECT_EQ(text_of(c[0], row[0]), "7");
  EXPECT_EQ(text_of(c[1], row[1]), "café");
  EXPECT_EQ(text_of(c[2], row[2]), "12345678901234567890.125");  // every digit
  EXPECT_EQ(text_of(c[3], row[3]), "2024-03-15 10:00:00");
  EXPECT_EQ(text_of(c[4], row[4]), R"({"a": null, "b": [1, 2]})");  // jsonb's canonical form
  EXPECT_EQ(text_of(c[5], row[5]), "t");
  EXPECT_EQ(text_of(c[6], row[6]), "NULL");
  // A field that is missing is NULL; a decoder reuses its parser.
  ASSERT_TRUE(dec.decode(R"({"id": 8})", row.data(), a));
  EXPECT_EQ(text_of(c[0], row[0]), "8");
  EXPECT_EQ(text_of(c[1], row[1]), "NULL");
}

TEST(JsonRow, BadValuesAreErrorsNamingTheField) {
  json_row_decoder dec(cols());
  arena a;
  std::vector<datum> row(7);
  auto r = dec.decode(R"({"id": "seven"})", row.data(), a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("field \"id\""), std::string::npos) << r.error().message;
  EXPECT_FALSE(dec.decode("not json", row.data(), a));
  EXPECT_FALSE(dec.decode("[1, 2]", row.data(), a));
  EXPECT_FALSE(dec.decode(R"({"id": 1} {"id": 2})", row.data(), a));
  EXPECT_FALSE(dec.decode(R"({"id": 1.5})", row.data(), a));
  EXPECT_FALSE(dec.decode(R"({"id": {"a": 1}})", row.data(), a));
  EXPECT_FALSE(dec.decode(R"({"id": 1)", row.data(), a));
  // A text column takes any JSON value as its text.
  ASSERT_TRUE(dec.decode(R"({"name": [1, "x"]})", row.data(), a));
  EXPECT_EQ(row[1].as_text(), R"([1, "x"])");
}

TEST(JsonRow, EncodesNumbersAsNumbersAndTheRestAsText) {
  auto c = cols();
  arena a;
  std::vector<datum> row(7);
  json_row_decoder dec(c);
  ASSERT_TRUE(dec.decode(
      R"({"id": 1, "name": "a\"b", "price": 2.50, "ts": "2024-03-15T10:00:00", "doc": {"k": 1},
          "ok": false, "ratio": 0.5})",
      row.data(), a));
  std::string out;
  append_json_row(c, row.data(), {0, 1, 2, 3, 4, 5, 6}, out);
  EXPECT_EQ(out, R"({"id":1,"name":"a\"b","price":2.50,"ts":"2024-03-15 10:00:00","doc":{"k": 1},)"
                 R"("ok":false,"ratio":0.5})");
  out.clear();
  row[6] = datum::of_double(std::numeric_limits<double>::infinity());
  row[1] = datum::null_value();
  append_json_row(c, row.data(), {1, 6}, out);
  EXPECT_EQ(out, R"({"name":null,"ratio":"Infinity"})");
}

statement parsed(std::string_view sql) {
  auto r = parse_sql(sql);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r.value().at(0) : statement{};
}

TEST(KafkaOptions, SourceOptionsAndTheirErrors) {
  auto s = parsed(
      "CREATE SOURCE s (a INT) WITH (connector = 'kafka', topic = 't', "
      "properties.bootstrap.server = 'h:1', properties.socket.timeout.ms = '500', "
      "scan.startup.mode = 'latest') FORMAT PLAIN ENCODE JSON");
  auto o = read_source_options(s, "default:9092");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o.value().topic, "t");
  EXPECT_EQ(o.value().client.brokers, "h:1");
  ASSERT_EQ(o.value().client.properties.size(), 1u);
  EXPECT_EQ(o.value().client.properties[0].first, "socket.timeout.ms");
  EXPECT_EQ(o.value().startup, kafka_source_options::start::latest);
  EXPECT_FALSE(o.value().upsert);

  auto d = read_source_options(
      parsed("CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t')"), "default:9092");
  ASSERT_TRUE(d);
  EXPECT_EQ(d.value().client.brokers, "default:9092");
  EXPECT_EQ(d.value().startup, kafka_source_options::start::earliest);

  for (const char* bad :
       {"CREATE SOURCE s (a INT) WITH (connector='kafka')",
        "CREATE SOURCE s (a INT) WITH (connector='kinesis', topic='t')",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t', scan.startup.mode='never')",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t', "
        "scan.startup.mode='timestamp')",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t', bogus='1')",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t') FORMAT PLAIN ENCODE AVRO",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t') FORMAT PLAIN ENCODE CSV "
        "(delimiter = ';;')",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t') FORMAT PLAIN ENCODE CSV "
        "(without_header = 'yes')",
        "CREATE SOURCE s (a INT) WITH (connector='kafka', topic='t') FORMAT PLAIN ENCODE BYTES "
        "(delimiter = ',')"}) {
    auto r = read_source_options(parsed(bad), "x:1");
    EXPECT_FALSE(r) << bad;
  }
}

TEST(KafkaOptions, SinkKinds) {
  auto up = read_sink_options(
      parsed("CREATE SINK k FROM v WITH (connector='kafka', topic='o', primary_key='a, b') "
             "FORMAT UPSERT ENCODE JSON"),
      "x:1");
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_TRUE(up.value().upsert);
  EXPECT_EQ(up.value().primary_key, "a, b");
  auto old = read_sink_options(
      parsed("CREATE SINK k FROM v WITH (connector='kafka', topic='o', type='upsert')"), "x:1");
  ASSERT_TRUE(old);
  EXPECT_TRUE(old.value().upsert);
  auto fa = read_sink_options(parsed("CREATE SINK k FROM v WITH (connector='kafka', topic='o') "
                                     "FORMAT PLAIN ENCODE JSON (force_append_only='true')"),
                              "x:1");
  ASSERT_TRUE(fa);
  EXPECT_TRUE(fa.value().force_append_only);
  EXPECT_FALSE(read_sink_options(
      parsed("CREATE SINK k FROM v WITH (connector='kafka', topic='o', type='append-only') "
             "FORMAT UPSERT ENCODE JSON"),
      "x:1"));
}

TEST(KafkaOptions, EncodeCsvAndBytes) {
  auto csv = read_source_options(parsed("CREATE SOURCE s (a INT) WITH (connector='kafka', "
                                        "topic='t') FORMAT PLAIN ENCODE CSV (delimiter = '|', "
                                        "without_header = 'true')"),
                                 "x:1");
  ASSERT_TRUE(csv) << csv.error().message;
  EXPECT_EQ(csv.value().encode.what, kafka_encoding::kind::csv);
  EXPECT_EQ(csv.value().encode.delimiter, '|');
  EXPECT_FALSE(csv.value().encode.header);
  auto tab = read_source_options(parsed("CREATE SOURCE s (a INT) WITH (connector='kafka', "
                                        "topic='t') FORMAT PLAIN ENCODE CSV (delimiter = '\\t')"),
                                 "x:1");
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab.value().encode.delimiter, '\t');
  EXPECT_TRUE(tab.value().encode.header);
  auto bytes = read_source_options(
      parsed("CREATE SOURCE s (a BYTEA) WITH (connector='kafka', topic='t') FORMAT PLAIN ENCODE "
             "BYTES"),
      "x:1");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes.value().encode.what, kafka_encoding::kind::bytes);
  auto sink = read_sink_options(parsed("CREATE SINK k FROM v WITH (connector='kafka', topic='t') "
                                       "FORMAT PLAIN ENCODE CSV (force_append_only = 'true')"),
                                "x:1");
  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_EQ(sink.value().encode.what, kafka_encoding::kind::csv);
  EXPECT_TRUE(sink.value().force_append_only);
  EXPECT_FALSE(read_sink_options(parsed("CREATE SINK k FROM v WITH (connector='kafka', "
                                        "topic='t') FORMAT PLAIN ENCODE BYTES"),
                                 "x:1"));
}

TEST(CsvRow, SplitsQuotedFields) {
  std::vector<std::string> f;
  std::vector<bool> q;
  ASSERT_TRUE(split_csv("1,\"a, \"\"b\"\"\",,\"\"\r\n", ',', f, q));
  EXPECT_EQ(f, (std::vector<std::string>{"1", "a, \"b\"", "", ""}));
  EXPECT_EQ(q, (std::vector<bool>{false, true, false, true}));
  ASSERT_TRUE(split_csv("x|y", '|', f, q));
  EXPECT_EQ(f, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(split_csv("\"open", ',', f, q));
  EXPECT_FALSE(split_csv("\"a\"b,c", ',', f, q));
}

TEST(CsvRow, HeaderOrdersFieldsPerPartition) {
  std::vector<plan_column> c = {{"id", type_id::int32, "", false},
                                {"name", type_id::text, "", false},
                                {"price", type_id::numeric, "", false}};
  csv_row_decoder d(c, ',', true);
  arena a;
  std::vector<datum> row(3);
  auto line = [&](int32_t partition, std::string_view text) {
    auto r = d.decode(partition, text, row.data(), a);
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    if (!r || !r.value()) return std::string("header");
    std::string out;
    for (size_t i = 0; i < c.size(); ++i) out += (i ? "|" : "") + text_of(c[i], row[i]);
    return out;
  };
  // Before a header: the columns' order.
  EXPECT_EQ(line(0, "1,a,2.50"), "1|a|2.50");
  EXPECT_EQ(line(0, "NAME,price,Id"), "header");
  EXPECT_EQ(line(0, "b,,2"), "2|b|NULL");
  EXPECT_EQ(line(0, "\"\",1.5,3"), "3||1.5");
  EXPECT_EQ(line(1, "4,c,1"), "4|c|1");  // another partition has no header yet
  auto bad = d.decode(0, "x,y", row.data(), a);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "2 fields where the source has 3 columns");
  auto badint = d.decode(0, "n,1,x", row.data(), a);
  ASSERT_FALSE(badint);
  EXPECT_NE(badint.error().message.find("column \"id\""), std::string::npos)
      << badint.error().message;
  // Without a header, a header-like record is a row (and fails here).
  csv_row_decoder plain(c, ',', false);
  EXPECT_FALSE(plain.decode(0, "id,name,price", row.data(), a));
}

TEST(CsvRow, EncodesQuotingWhatNeedsIt) {
  std::vector<plan_column> c = {{"id", type_id::int32, "", false},
                                {"name", type_id::text, "", false},
                                {"note", type_id::text, "", false}};
  arena a;
  datum row[3] = {datum::of_int(1), datum::of_text(a.copy("a,\"b\"")), datum::null_value()};
  std::string out;
  append_csv_row(c, row, {0, 1, 2}, ',', out);
  EXPECT_EQ(out, "1,\"a,\"\"b\"\"\",");
  out.clear();
  row[2] = datum::of_text("");
  append_csv_row(c, row, {0, 2}, '|', out);
  EXPECT_EQ(out, "1|\"\"");
}

}  // namespace
}  // namespace runnel::sql
