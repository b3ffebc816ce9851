// Converters: JsonConverter's envelope byte for byte as Kafka writes it,
// schemaless JSON, string, bytes, numbers, headers and CloudEvents.
#include <gtest/gtest.h>

#include "connect/api/plugins.h"
#include "connect/convert/converters.h"

namespace runnel::connect {
namespace {

std::unique_ptr<converter> make(std::string_view name, config_map props = {}) {
  auto c = plugin_registry::builtin().new_converter(name);
  EXPECT_TRUE(c) << name;
  auto r = c.value()->configure(props, false);
  EXPECT_TRUE(r) << r.error().message;
  return std::move(c).value();
}

std::string out(converter& c, const schema_ptr& s, const data& v,
                std::vector<client::header>* hs = nullptr) {
  std::vector<client::header> local;
  auto r = c.from_connect("t", hs ? *hs : local, s, v);
  EXPECT_TRUE(r) << r.error().message;
  return r.value().value_or("<null>");
}

TEST(JsonConverter, EnvelopeAsKafkaQuickstartShowsIt) {
  // Kafka's quickstart: FileStreamSource lines through JsonConverter.
  auto c = make("org.apache.kafka.connect.json.JsonConverter");
  EXPECT_EQ(out(*c, schemas::string(), "foo"),
            R"({"schema":{"type":"string","optional":false},"payload":"foo"})");
  auto s = struct_builder("x")
               .field("id", schemas::of(schema_type::int32))
               .field("name", schemas::optional_string())
               .field("raw", schemas::optional_bytes())
               .build();
  EXPECT_EQ(
      out(*c, s, data{{"id", 1}, {"name", "a"}, {"raw", make_bytes("hi")}}),
      R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},)"
      R"({"type":"string","optional":true,"field":"name"},{"type":"bytes","optional":true,"field":"raw"}],)"
      R"("optional":false,"name":"x"},"payload":{"id":1,"name":"a","raw":"aGk="}})");
}

TEST(JsonConverter, CachedSchemaTextIsTheSameAsFreshlyWritten) {
  // The schema's JSON is cached by schema object: many records of one
  // schema, a second schema, a schema-less string, and a cache of size 0
  // (or full, so it is cleared) all write exactly what a fresh converter
  // writes for each record alone.
  auto s1 = struct_builder("a").field("id", schemas::of(schema_type::int32)).build();
  auto s2 = struct_builder("b").field("name", schemas::optional_string()).build();
  std::vector<std::pair<schema_ptr, data>> records;
  for (int i = 0; i < 5; ++i) {
    records.emplace_back(s1, data{{"id", i}});
    records.emplace_back(s2, data{{"name", "n" + std::to_string(i)}});
    records.emplace_back(schemas::string(), data("x"));
  }
  auto cached = make("JsonConverter");
  auto tiny = make("JsonConverter", {{"schemas.cache.size", "1"}});
  auto none = make("JsonConverter", {{"schemas.cache.size", "0"}});
  for (const auto& [s, v] : records) {
    auto fresh = make("JsonConverter");
    std::string want = out(*fresh, s, v);
    EXPECT_EQ(out(*cached, s, v), want);
    EXPECT_EQ(out(*tiny, s, v), want);
    EXPECT_EQ(out(*none, s, v), want);
    // And it reads back to the same value.
    std::vector<client::header> hs;
    auto back = cached->to_connect("t", hs, want);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back.value().value, v);
  }
}

TEST(JsonConverter, ReadsTheEnvelopeBack) {
  auto c = make("JsonConverter");
  std::vector<client::header> hs;
  std::string in =
      R"({"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"n"},)"
      R"({"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"}],"optional":false},)"
      R"("payload":{"n":7,"tags":["a","b"]}})";
  auto r = c->to_connect("t", hs, in);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r.value().schema);
  EXPECT_EQ(r.value().schema->type, schema_type::struct_);
  EXPECT_EQ(r.value().value["n"], 7);
  EXPECT_EQ(r.value().value["tags"][1], "b");
  // Plain JSON with schemas enabled is refused with Kafka's hint.
  auto bad = c->to_connect("t", hs, R"({"n":1})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("schemas.enable=false"), std::string::npos);
  // Null stays null (tombstones).
  auto null = c->to_connect("t", hs, std::nullopt);
  ASSERT_TRUE(null);
  EXPECT_TRUE(null.value().value.is_null());
  EXPECT_EQ(out(*c, nullptr, nullptr), "<null>");
}

// Kafka's JsonConverter calls float32 and float64 "float" and "double" in a
// schema and reads nothing else back; runnel's older "float32"/"float64" are
// still read.
TEST(JsonConverter, FloatingPointTypesHaveKafkasSchemaNames) {
  auto c = make("JsonConverter");
  auto s = struct_builder("f")
               .field("x", schemas::of(schema_type::float32))
               .field("y", schemas::of(schema_type::float64))
               .build();
  EXPECT_EQ(out(*c, s, data{{"x", 1.5}, {"y", 2.25}}),
            R"({"schema":{"type":"struct","fields":[{"type":"float","optional":false,"field":"x"},)"
            R"({"type":"double","optional":false,"field":"y"}],"optional":false,"name":"f"},)"
            R"("payload":{"x":1.5,"y":2.25}})");
  std::vector<client::header> hs;
  for (const char* names : {R"("float","double")", R"("float32","float64")"}) {
    std::string n(names);
    const auto comma = n.find(',');
    std::string in =
        R"({"schema":{"type":"struct","fields":[{"type":)" + n.substr(0, comma) +
        R"(,"optional":false,"field":"x"},{"type":)" + n.substr(comma + 1) +
        R"(,"optional":false,"field":"y"}],"optional":false},"payload":{"x":1.5,"y":2.25}})";
    auto r = c->to_connect("t", hs, in);
    ASSERT_TRUE(r) << names << ": " << r.error().message;
    ASSERT_TRUE(r.value().schema);
    EXPECT_EQ(r.value().schema->fields[0].schema->type, schema_type::float32) << names;
    EXPECT_EQ(r.value().schema->fields[1].schema->type, schema_type::float64) << names;
  }
}

TEST(JsonConverter, Schemaless) {
  auto c = make("org.apache.kafka.connect.json.JsonConverter", {{"schemas.enable", "false"}});
  EXPECT_EQ(out(*c, nullptr, data{{"b", 1}, {"a", "x"}}), R"({"b":1,"a":"x"})");
  EXPECT_EQ(out(*c, schemas::string(), "plain"), R"("plain")");
  std::vector<client::header> hs;
  auto r = c->to_connect("t", hs, R"({"z":[1,2.5,null]})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value().schema);
  EXPECT_EQ(r.value().value["z"][1], 2.5);
}

TEST(JsonConverter, DecimalFormats) {
  schema s;
  s.type = schema_type::bytes;
  s.name = std::string(logical::decimal);
  s.parameters = {{"scale", "2"}};
  auto sp = std::make_shared<schema>(s);
  auto v = make_bytes(std::string("\x04\xd2", 2));  // 1234 → 12.34
  auto base64 = make("JsonConverter", {{"schemas.enable", "false"}});
  EXPECT_EQ(out(*base64, sp, v), R"("BNI=")");
  auto numeric =
      make("JsonConverter", {{"schemas.enable", "false"}, {"decimal.format", "NUMERIC"}});
  EXPECT_EQ(out(*numeric, sp, v), "12.34");
}

TEST(StringConverter, TextBothWays) {
  auto c = make("org.apache.kafka.connect.storage.StringConverter");
  EXPECT_EQ(out(*c, schemas::string(), "hello"), "hello");
  EXPECT_EQ(out(*c, nullptr, data{{"a", 1}}), R"({"a":1})");
  std::vector<client::header> hs;
  auto r = c->to_connect("t", hs, "x y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().value, "x y");
  EXPECT_EQ(r.value().schema->type, schema_type::string);
}

TEST(ByteArrayConverter, OnlyBytes) {
  auto c = make("org.apache.kafka.connect.converters.ByteArrayConverter");
  EXPECT_EQ(out(*c, schemas::bytes(), make_bytes(std::string("\0\1", 2))), std::string("\0\1", 2));
  std::vector<client::header> hs;
  auto bad = c->from_connect("t", hs, schemas::string(), "s");
  ASSERT_FALSE(bad);
  auto r = c->to_connect("t", hs, std::string_view("\xff\x00", 2));
  ASSERT_TRUE(r);
  EXPECT_EQ(bytes_of(r.value().value), std::string_view("\xff\x00", 2));
}

TEST(NumberConverters, BigEndianAsKafkaSerializers) {
  auto i = make("org.apache.kafka.connect.converters.IntegerConverter");
  EXPECT_EQ(out(*i, nullptr, 258), std::string("\0\0\x01\x02", 4));
  auto l = make("LongConverter");
  std::vector<client::header> hs;
  auto r = l->to_connect("t", hs, std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().value, -2);
  EXPECT_FALSE(l->to_connect("t", hs, "abc"));
}

TEST(SimpleHeaderConverter, InfersTypes) {
  auto hc = make_simple_header_converter();
  auto v = hc->to_connect_header("t", "h", "42");
  ASSERT_TRUE(v);
  EXPECT_EQ(v.value().schema->type, schema_type::int8);
  EXPECT_EQ(v.value().value, 42);
  EXPECT_EQ(hc->to_connect_header("t", "h", "true").value().value, true);
  EXPECT_EQ(hc->to_connect_header("t", "h", "hello").value().value, "hello");
  EXPECT_EQ(hc->to_connect_header("t", "h", "3.5").value().value, 3.5);
  EXPECT_EQ(*hc->from_connect_header("t", "h", nullptr, 7).value(), "7");
}

TEST(CloudEvents, StructuredModeWrapsTheValue) {
  auto c = make("runnel.connect.converters.CloudEventsConverter",
                {{"cloudevents.source", "/files"}, {"cloudevents.type", "file.line"}});
  std::vector<client::header> hs{{"ce_id", "id-1"}, {"ce_subject", "a.txt"}};
  auto text = out(*c, nullptr, data{{"n", 1}}, &hs);
  auto ev = data::parse(text);
  EXPECT_EQ(ev["specversion"], "1.0");
  EXPECT_EQ(ev["id"], "id-1");
  EXPECT_EQ(ev["source"], "/files/topics/t");
  EXPECT_EQ(ev["type"], "file.line");
  EXPECT_EQ(ev["subject"], "a.txt");
  EXPECT_EQ(ev["data"]["n"], 1);
  EXPECT_TRUE(ev.contains("time"));
  // The ce_ headers moved into the event; content-type says structured.
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].key, "content-type");
  EXPECT_EQ(*hs[0].value, "application/cloudevents+json");
  // Read back: the value is the data, the attributes are ce_ headers.
  std::vector<client::header> in{{"content-type", "application/cloudevents+json"}};
  auto back = c->to_connect("t", in, text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value().value["n"], 1);
  bool saw_id = false;
  for (const auto& h : in) saw_id |= h.key == "ce_id" && h.value == "id-1";
  EXPECT_TRUE(saw_id);
}

TEST(CloudEvents, BinaryModeUsesHeaders) {
  auto c = make("CloudEventsConverter", {{"cloudevents.mode", "binary"}});
  std::vector<client::header> hs;
  auto body = out(*c, nullptr, data{{"k", "v"}}, &hs);
  EXPECT_EQ(body, R"({"k":"v"})");
  std::map<std::string, std::string> h;
  for (const auto& x : hs) h[x.key] = x.value.value_or("");
  EXPECT_EQ(h["ce_specversion"], "1.0");
  EXPECT_FALSE(h["ce_id"].empty());
  EXPECT_EQ(h["ce_type"], "runnel.connect.record");
  EXPECT_EQ(h["content-type"], "application/json");
  auto back = c->to_connect("t", hs, body);
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value().value["k"], "v");
}

TEST(Plugins, KafkaAliases) {
  const auto& r = plugin_registry::builtin();
  const auto* a = r.find("org.apache.kafka.connect.json.JsonConverter");
  ASSERT_TRUE(a);
  EXPECT_EQ(r.find("JsonConverter"), a);
  EXPECT_EQ(r.find("Json"), a);
  auto missing = r.new_converter("com.example.Nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("Failed to find any class that implements Converter"),
            std::string::npos);
}

}  // namespace
}  // namespace runnel::connect
