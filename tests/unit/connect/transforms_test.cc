// Single message transformations and predicates, configured as a connector
// config would configure them, on the examples of Kafka's and Confluent's
// documentation.
#include <gtest/gtest.h>

#include "connect/runtime/transformation_chain.h"
#include "connect/transforms/date_format.h"

namespace runnel::connect {
namespace {

transformation_chain chain(config_map c) {
  auto r = transformation_chain::create(c, plugin_registry::builtin());
  EXPECT_TRUE(r) << r.error().message;
  return std::move(r).value();
}

// One transformation named "t" of `type` with `props`.
transformation_chain one(const std::string& type, config_map props) {
  config_map c{{"transforms", "t"}, {"transforms.t.type", type}};
  for (auto& [k, v] : props) c["transforms.t." + k] = v;
  return chain(c);
}

const std::string T = "org.apache.kafka.connect.transforms.";

source_record value_record(schema_ptr s, data v) {
  source_record r;
  r.topic = "orders";
  r.kafka_partition = 2;
  r.timestamp = 1572965400000;  // 2019-11-05T14:50:00Z
  r.value_schema = std::move(s);
  r.value = std::move(v);
  return r;
}

TEST(Transforms, KafkaQuickstartHoistAndInsert) {
  // docs/connect.html: "MakeMap" and "InsertSource" on FileStreamSource lines.
  auto c = chain({{"transforms", "MakeMap, InsertSource"},
                  {"transforms.MakeMap.type", T + "HoistField$Value"},
                  {"transforms.MakeMap.field", "line"},
                  {"transforms.InsertSource.type", T + "InsertField$Value"},
                  {"transforms.InsertSource.static.field", "data_source"},
                  {"transforms.InsertSource.static.value", "test-file-source"}});
  auto r = value_record(schemas::string(), "foo");
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value.dump(), R"({"line":"foo","data_source":"test-file-source"})");
  ASSERT_EQ(r.value_schema->fields.size(), 2u);
  EXPECT_EQ(r.value_schema->fields[1].name, "data_source");
  EXPECT_TRUE(r.value_schema->fields[1].schema->optional);
}

TEST(Transforms, InsertFieldMetadata) {
  auto c = one(T + "InsertField$Value",
               {{"topic.field", "topic!"}, {"partition.field", "part"}, {"timestamp.field", "ts"}});
  auto r = value_record(nullptr, data{{"a", 1}});
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value.dump(), R"({"a":1,"topic":"orders","part":2,"ts":1572965400000})");
  // offset.field needs a sink record.
  auto o = one(T + "InsertField$Value", {{"offset.field", "off"}});
  auto src = value_record(nullptr, data{{"a", 1}});
  EXPECT_FALSE(o.apply(src));
  sink_record sink;
  sink.topic = "orders";
  sink.kafka_offset = 42;
  sink.value = data{{"a", 1}};
  ASSERT_TRUE(o.apply(sink).value());
  EXPECT_EQ(sink.value["off"], 42);
  // Tombstones pass.
  auto tomb = value_record(nullptr, nullptr);
  EXPECT_TRUE(c.apply(tomb).value());
  EXPECT_TRUE(tomb.value.is_null());
}

TEST(Transforms, ReplaceFieldIncludeExcludeRename) {
  auto s = struct_builder("row")
               .field("id", schemas::int64())
               .field("c1", schemas::string())
               .field("c2", schemas::string())
               .build();
  auto ex = one(T + "ReplaceField$Value", {{"exclude", "c2"}, {"renames", "c1:foo"}});
  auto r = value_record(s, data{{"id", 1}, {"c1", "a"}, {"c2", "b"}});
  ASSERT_TRUE(ex.apply(r).value());
  EXPECT_EQ(r.value.dump(), R"({"id":1,"foo":"a"})");
  EXPECT_EQ(r.value_schema->fields[1].name, "foo");
  auto in = one(T + "ReplaceField$Value", {{"include", "c1,c2"}});
  auto m = value_record(nullptr, data{{"id", 1}, {"c1", "a"}, {"c2", "b"}});
  ASSERT_TRUE(in.apply(m).value());
  EXPECT_EQ(m.value.dump(), R"({"c1":"a","c2":"b"})");
  // A bad rename is refused when configured.
  EXPECT_FALSE(transformation_chain::create({{"transforms", "t"},
                                             {"transforms.t.type", T + "ReplaceField$Value"},
                                             {"transforms.t.renames", "nocolon"}},
                                            plugin_registry::builtin()));
}

TEST(Transforms, MaskField) {
  auto c = one(T + "MaskField$Value", {{"fields", "ssn,age,ok"}});
  auto r = value_record(nullptr, data{{"ssn", "123-45"}, {"age", 41}, {"ok", true}, {"n", "x"}});
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value.dump(), R"({"ssn":"","age":0,"ok":false,"n":"x"})");
  auto rep = one(T + "MaskField$Value", {{"fields", "ssn"}, {"replacement", "****"}});
  auto r2 = value_record(nullptr, data{{"ssn", "123-45"}});
  ASSERT_TRUE(rep.apply(r2).value());
  EXPECT_EQ(r2.value["ssn"], "****");
  auto bad = one(T + "MaskField$Value", {{"fields", "age"}, {"replacement", "****"}});
  auto r3 = value_record(nullptr, data{{"age", 5}});
  EXPECT_FALSE(bad.apply(r3));
}

TEST(Transforms, ValueToKeyThenExtractField) {
  // Confluent's JDBC example: key from the value's id, then the key is the id.
  auto c = chain({{"transforms", "createKey,extractInt"},
                  {"transforms.createKey.type", T + "ValueToKey"},
                  {"transforms.createKey.fields", "id"},
                  {"transforms.extractInt.type", T + "ExtractField$Key"},
                  {"transforms.extractInt.field", "id"}});
  auto s = struct_builder().field("id", schemas::int64()).field("name", schemas::string()).build();
  auto r = value_record(s, data{{"id", 7}, {"name", "x"}});
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.key, 7);
  EXPECT_EQ(r.key_schema->type, schema_type::int64);
  auto missing = one(T + "ValueToKey", {{"fields", "nope"}});
  auto r2 = value_record(s, data{{"id", 7}, {"name", "x"}});
  EXPECT_FALSE(missing.apply(r2));
}

TEST(Transforms, ExtractFieldNested) {
  auto c = one(T + "ExtractField$Value", {{"field", "a.b"}, {"field.syntax.version", "V2"}});
  auto r = value_record(nullptr, data{{"a", {{"b", 3}}}});
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value, 3);
}

TEST(Transforms, Cast) {
  auto c = one(T + "Cast$Value", {{"spec", "ID:string,score:float64,flag:boolean,small:int8"}});
  auto s = struct_builder()
               .field("ID", schemas::int64())
               .field("score", schemas::of(schema_type::int32))
               .field("flag", schemas::of(schema_type::int32))
               .field("small", schemas::of(schema_type::int32))
               .build();
  auto r = value_record(s, data{{"ID", 123}, {"score", 4}, {"flag", 2}, {"small", 300}});
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value.dump(), R"({"ID":"123","score":4.0,"flag":true,"small":44})");
  EXPECT_EQ(r.value_schema->fields[0].schema->type, schema_type::string);
  auto whole = one(T + "Cast$Value", {{"spec", "int64"}});
  auto w = value_record(schemas::string(), "42");
  ASSERT_TRUE(whole.apply(w).value());
  EXPECT_EQ(w.value, 42);
  auto f = one(T + "Cast$Value", {{"spec", "string"}});
  auto d = value_record(schemas::of(schema_type::float64), 1.5e20);
  ASSERT_TRUE(f.apply(d).value());
  EXPECT_EQ(d.value, "1.5E20");
}

TEST(Transforms, Flatten) {
  // Confluent's Flatten example.
  auto c = one(T + "Flatten$Value", {{"delimiter", "_"}});
  auto r = value_record(
      nullptr, data::parse(R"({"content":{"id":42,"name":{"first":"David","last":"Wong"}}})"));
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value.dump(),
            R"({"content_id":42,"content_name_first":"David","content_name_last":"Wong"})");
  auto name = struct_builder().field("first", schemas::string()).optional().build();
  auto s = struct_builder().field("id", schemas::int64()).field("name", name).build();
  auto d = one(T + "Flatten$Value", {});
  auto r2 = value_record(s, data{{"id", 1}, {"name", nullptr}});
  ASSERT_TRUE(d.apply(r2).value());
  EXPECT_EQ(r2.value.dump(), R"({"id":1,"name.first":null})");
  EXPECT_TRUE(r2.value_schema->fields[1].schema->optional);
}

TEST(Transforms, TimestampConverter) {
  // Confluent's example: a Unix time field to a date string.
  auto c = one(T + "TimestampConverter$Value",
               {{"field", "event_date"}, {"target.type", "string"}, {"format", "yyyy-MM-dd"}});
  auto r = value_record(nullptr, data{{"event_date", 1572965400000}});
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value["event_date"], "2019-11-05");
  auto back =
      one(T + "TimestampConverter$Value",
          {{"field", "d"}, {"target.type", "Timestamp"}, {"format", "yyyy-MM-dd'T'HH:mm:ss.SSSX"}});
  auto s = struct_builder().field("d", schemas::string()).build();
  auto r2 = value_record(s, data{{"d", "2019-11-05T14:50:00.123Z"}});
  ASSERT_TRUE(back.apply(r2).value());
  EXPECT_EQ(r2.value["d"], 1572965400123);
  EXPECT_EQ(*r2.value_schema->fields[0].schema->name, "org.apache.kafka.connect.data.Timestamp");
  auto unix =
      one(T + "TimestampConverter$Value", {{"target.type", "unix"}, {"unix.precision", "seconds"}});
  auto r3 = value_record(schemas::timestamp(), 1572965400999);
  ASSERT_TRUE(unix.apply(r3).value());
  EXPECT_EQ(r3.value, 1572965400);
  auto date = one(T + "TimestampConverter$Value", {{"target.type", "Date"}});
  auto r4 = value_record(nullptr, 1572965400000);
  ASSERT_TRUE(date.apply(r4).value());
  EXPECT_EQ(r4.value, 18205);  // days since the epoch
}

TEST(Transforms, TimestampRouterAndRegexRouter) {
  auto t = one(T + "TimestampRouter",
               {{"topic.format", "foo-${topic}-${timestamp}"}, {"timestamp.format", "yyyyMM"}});
  auto r = value_record(nullptr, 1);
  ASSERT_TRUE(t.apply(r).value());
  EXPECT_EQ(r.topic, "foo-orders-201911");
  auto re = one(T + "RegexRouter", {{"regex", "(.*)-(\\d+)"}, {"replacement", "$1_v$2"}});
  r.topic = "events-42";
  ASSERT_TRUE(re.apply(r).value());
  EXPECT_EQ(r.topic, "events_v42");
  r.topic = "nomatch";
  ASSERT_TRUE(re.apply(r).value());
  EXPECT_EQ(r.topic, "nomatch");
}

TEST(Transforms, Headers) {
  auto c = chain({{"transforms", "ins,from,drop"},
                  {"transforms.ins.type", T + "InsertHeader"},
                  {"transforms.ins.header", "MessageSource"},
                  {"transforms.ins.value.literal", "Kafka Connect framework"},
                  {"transforms.from.type", T + "HeaderFrom$Value"},
                  {"transforms.from.fields", "id,ts"},
                  {"transforms.from.headers", "key_id,timestamp"},
                  {"transforms.from.operation", "move"},
                  {"transforms.drop.type", T + "DropHeaders"},
                  {"transforms.drop.headers", "old"}});
  auto r = value_record(nullptr, data{{"id", 5}, {"ts", 9}, {"keep", 1}});
  r.add_header("old", "x");
  ASSERT_TRUE(c.apply(r).value());
  EXPECT_EQ(r.value.dump(), R"({"keep":1})");
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].key, "MessageSource");
  EXPECT_EQ(r.headers[0].value, "Kafka Connect framework");
  EXPECT_EQ(r.last_header("key_id")->value, 5);
  EXPECT_EQ(r.last_header("timestamp")->value, 9);
  EXPECT_FALSE(r.last_header("old"));
}

TEST(Predicates, FilterWithNegatedTopicMatch) {
  // docs/connect.html: keep only the records of topic "foo".
  auto c = chain({{"transforms", "Filter"},
                  {"transforms.Filter.type", T + "Filter"},
                  {"transforms.Filter.predicate", "IsFoo"},
                  {"transforms.Filter.negate", "true"},
                  {"predicates", "IsFoo"},
                  {"predicates.IsFoo.type", T + "predicates.TopicNameMatches"},
                  {"predicates.IsFoo.pattern", "foo"}});
  auto r = value_record(nullptr, 1);
  r.topic = "foo";
  EXPECT_TRUE(c.apply(r).value());
  r.topic = "bar";
  EXPECT_FALSE(c.apply(r).value());
}

TEST(Predicates, TombstoneAndHeaderKey) {
  auto c = chain({{"transforms", "drop,mark"},
                  {"transforms.drop.type", T + "Filter"},
                  {"transforms.drop.predicate", "tomb"},
                  {"transforms.mark.type", T + "InsertHeader"},
                  {"transforms.mark.header", "seen"},
                  {"transforms.mark.value.literal", "yes"},
                  {"transforms.mark.predicate", "hasTrace"},
                  {"predicates", "tomb,hasTrace"},
                  {"predicates.tomb.type", T + "predicates.RecordIsTombstone"},
                  {"predicates.hasTrace.type", T + "predicates.HasHeaderKey"},
                  {"predicates.hasTrace.name", "trace"}});
  auto tomb = value_record(nullptr, nullptr);
  EXPECT_FALSE(c.apply(tomb).value());
  auto plain = value_record(nullptr, 1);
  EXPECT_TRUE(c.apply(plain).value());
  EXPECT_FALSE(plain.last_header("seen"));
  auto traced = value_record(nullptr, 1);
  traced.add_header("trace", "t");
  EXPECT_TRUE(c.apply(traced).value());
  EXPECT_TRUE(traced.last_header("seen"));
}

TEST(Transforms, UnknownClassAndPredicateAreRefused) {
  auto r = transformation_chain::create({{"transforms", "x"}, {"transforms.x.type", "com.nope.X"}},
                                        plugin_registry::builtin());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, errc::invalid_config);
  auto p = transformation_chain::create({{"transforms", "x"},
                                         {"transforms.x.type", T + "Filter"},
                                         {"transforms.x.predicate", "missing"}},
                                        plugin_registry::builtin());
  ASSERT_FALSE(p);
}

TEST(DateFormat, FormatsAndParsesInUtc) {
  auto f = date_format::compile("yyyy-MM-dd'T'HH:mm:ss.SSSZ EEE MMM a h").value();
  EXPECT_EQ(f.format(1572965400123), "2019-11-05T14:50:00.123+0000 Tue Nov PM 2");
  auto g = date_format::compile("yyyyMMddHHmm").value();
  EXPECT_EQ(g.parse("201911051450").value(), 1572965400000);
  EXPECT_EQ(g.format(0), "197001010000");
  EXPECT_FALSE(g.parse("2019-11"));
  EXPECT_FALSE(date_format::compile("yyyy-ww"));
  EXPECT_EQ(date_format::compile("dd/MM/yy").value().format(-86400000), "31/12/69");
}

}  // namespace
}  // namespace runnel::connect
