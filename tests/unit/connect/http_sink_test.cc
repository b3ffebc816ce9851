// The HTTP sink's pieces that need no server (the server is the integration
// test's, tests/integration/test_http_sink.py): Confluent's config keys
// parsed and refused with reasons, the batch body shapes, URL templates,
// order within and across batches, which answers are retried and how long
// the waits are, Retry-After in both forms, and the class names it is found by.
#include <gtest/gtest.h>

#include <random>

#include "connect/api/plugins.h"
#include "connect/http/batch.h"
#include "connect/http/retry_policy.h"
#include "connect/http/sink_config.h"
#include "connect/http/sink_task.h"
#include "connect/objstore/http.h"
#include "connect/runtime/connector_config.h"

namespace runnel::connect::http {
namespace {

using std::chrono::milliseconds;

config_map base(config_map extra = {}) {
  config_map m{{"name", "hook"},
               {"connector.class", "io.confluent.connect.http.HttpSinkConnector"},
               {"topics", "events"},
               {"http.api.url", "http://127.0.0.1:8080/api/messages"}};
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

sink_config parse_ok(config_map extra = {}) {
  auto c = sink_config::parse(base(std::move(extra)));
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? c.value() : sink_config{};
}

std::string parse_error(config_map extra) {
  auto c = sink_config::parse(base(std::move(extra)));
  EXPECT_FALSE(c);
  return c ? std::string() : c.error().message;
}

sink_record rec(std::string topic, int32_t partition, int64_t offset, data value,
                data key = nullptr) {
  sink_record r;
  r.topic = topic;
  r.kafka_partition = partition;
  r.kafka_offset = offset;
  r.original_topic = topic;
  r.original_partition = partition;
  r.original_offset = offset;
  r.value = std::move(value);
  r.key = std::move(key);
  return r;
}

std::vector<const sink_record*> ptrs(const std::vector<sink_record>& v) {
  std::vector<const sink_record*> out;
  for (const auto& r : v) out.push_back(&r);
  return out;
}

TEST(HttpSinkConfig, ConfluentDefaults) {
  auto c = parse_ok();
  EXPECT_EQ(c.url, "http://127.0.0.1:8080/api/messages");
  EXPECT_EQ(c.method, "POST");
  EXPECT_TRUE(c.headers.empty());
  EXPECT_EQ(c.batch_max_size, 1);
  // One record per request, the record alone: Confluent's body.
  EXPECT_EQ(c.prefix, "");
  EXPECT_EQ(c.separator, ",");
  EXPECT_EQ(c.suffix, "");
  EXPECT_EQ(c.format, body_format::string);
  EXPECT_EQ(c.max_retries, 10);
  EXPECT_EQ(c.retry_backoff, milliseconds(3000));
  EXPECT_EQ(c.backoff, backoff_policy::exponential_with_jitter);
  EXPECT_EQ(c.behavior, on_error::fail);
  EXPECT_EQ(c.connect_timeout, milliseconds(30000));
  EXPECT_EQ(c.request_timeout, milliseconds(30000));
  EXPECT_TRUE(c.user.empty());
}

TEST(HttpSinkConfig, EveryKeyParsed) {
  auto c = parse_ok({{"request.method", "put"},
                     {"headers", "Authorization:Bearer abc:def | X-Trace: 1"},
                     {"auth.type", "basic"},
                     {"connection.user", "alice"},
                     {"connection.password", " s3cret "},
                     {"http.connect.timeout.ms", "1500"},
                     {"http.request.timeout.ms", "2500"},
                     {"max.retries", "-1"},
                     {"retry.backoff.ms", "10"},
                     {"retry.backoff.policy", "constant_value"},
                     {"behavior.on.error", "LOG"},
                     {"request.body.format", "json"}});
  EXPECT_EQ(c.method, "PUT");
  // The value keeps its own colons; both sides are trimmed.
  EXPECT_EQ(c.headers, (std::vector<std::string>{"Authorization: Bearer abc:def", "X-Trace: 1"}));
  EXPECT_FALSE(c.has_content_type);
  EXPECT_EQ(c.user, "alice");
  EXPECT_EQ(c.password, " s3cret ");  // a password keeps its spaces
  EXPECT_EQ(c.connect_timeout, milliseconds(1500));
  EXPECT_EQ(c.request_timeout, milliseconds(2500));
  EXPECT_EQ(c.max_retries, -1);
  EXPECT_EQ(c.retry_backoff, milliseconds(10));
  EXPECT_EQ(c.backoff, backoff_policy::constant);
  EXPECT_EQ(c.behavior, on_error::log);
  EXPECT_EQ(c.format, body_format::json);
}

TEST(HttpSinkConfig, HeaderSeparatorAndContentType) {
  auto c = parse_ok({{"headers", "Content-Type:text/plain;X-A:1"}, {"header.separator", ";"}});
  EXPECT_EQ(c.headers, (std::vector<std::string>{"Content-Type: text/plain", "X-A: 1"}));
  EXPECT_TRUE(c.has_content_type);
}

TEST(HttpSinkConfig, BatchBodyShapes) {
  // More than one record a batch: a JSON array unless the body is shaped.
  auto arr = parse_ok({{"batch.max.size", "50"}});
  EXPECT_EQ(arr.batch_max_size, 50);
  EXPECT_EQ(arr.prefix + arr.separator + arr.suffix, "[,]");
  auto shaped = parse_ok({{"batch.max.size", "50"}, {"batch.separator", "\n"}});
  EXPECT_EQ(shaped.prefix, "");
  EXPECT_EQ(shaped.separator, "\n");  // as written: not trimmed away
  EXPECT_EQ(shaped.suffix, "");
  auto off = parse_ok({{"batch.max.size", "50"}, {"batch.json.as.array", "false"}});
  EXPECT_EQ(off.prefix + off.separator + off.suffix, ",");
  // Asked for: an array even of one record.
  auto one = parse_ok({{"batch.json.as.array", "true"}});
  EXPECT_EQ(one.prefix + one.suffix, "[]");
  auto custom = parse_ok(
      {{"batch.max.size", "3"}, {"batch.prefix", "{\"events\": ["}, {"batch.suffix", "]}"}});
  EXPECT_EQ(custom.prefix, "{\"events\": [");
  EXPECT_EQ(custom.separator, ",");
  EXPECT_EQ(custom.suffix, "]}");
}

TEST(HttpSinkConfig, Refusals) {
  auto missing = sink_config::parse({{"name", "h"}, {"topics", "t"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("http.api.url"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(parse_error({{"http.api.url", "ftp://x/"}}).find("http:// or https://"),
            std::string::npos);
  EXPECT_NE(parse_error({{"request.method", "GET"}}).find("request.method"), std::string::npos);
  EXPECT_NE(parse_error({{"batch.max.size", "0"}}).find("batch.max.size"), std::string::npos);
  EXPECT_NE(parse_error({{"max.retries", "-2"}}).find("max.retries"), std::string::npos);
  EXPECT_NE(parse_error({{"behavior.on.error", "explode"}}).find("behavior.on.error"),
            std::string::npos);
  EXPECT_NE(parse_error({{"auth.type", "BASIC"}}).find("needs connection.user"), std::string::npos);
  EXPECT_NE(parse_error({{"auth.type", "OAUTH2"}}).find("not supported"), std::string::npos);
  EXPECT_NE(parse_error({{"headers", "no colon here"}}).find("Name:Value"), std::string::npos);
  EXPECT_NE(parse_error({{"headers", ":empty-name"}}).find("Name:Value"), std::string::npos);
  EXPECT_NE(parse_error({{"batch.json.as.array", "true"}, {"batch.prefix", "<"}}).find("two ways"),
            std::string::npos);
}

TEST(HttpSinkConfig, ValidationNamesTheKey) {
  auto* p = plugin_registry::builtin().find("HttpSink", plugin_type::sink);
  ASSERT_NE(p, nullptr);
  auto inst = p->make();
  auto* c = dynamic_cast<connector*>(inst.get());
  ASSERT_NE(c, nullptr);
  auto values = c->validate(base({{"auth.type", "BASIC"}, {"headers", "bad"}}));
  std::map<std::string, std::vector<std::string>> errors;
  for (auto& v : values) errors[v.name] = v.errors;
  ASSERT_EQ(errors["connection.user"].size(), 1u);
  EXPECT_NE(errors["connection.user"][0].find("BASIC"), std::string::npos);
  ASSERT_EQ(errors["headers"].size(), 1u);
  EXPECT_TRUE(errors["http.api.url"].empty());
  // A good config has no error anywhere.
  for (auto& v : c->validate(base())) EXPECT_TRUE(v.errors.empty()) << v.name;
}

TEST(HttpSinkConfig, ConfluentOnlyKeysAreIgnored) {
  // A Confluent config with keys runnel does not read still validates
  // (docs/connect/http-sink.md, "Differences").
  auto props = base({{"reporter.bootstrap.servers", "localhost:9092"},
                     {"reporter.error.topic.name", "error-responses"},
                     {"retry.on.status.codes", "400-"},
                     {"batch.key.pattern", "someKey"}});
  auto v = validate_connector_config(props, plugin_registry::builtin());
  EXPECT_EQ(v["error_count"].get<int>(), 0) << v.dump();
  EXPECT_TRUE(check_connector_config(props, plugin_registry::builtin()));
  auto bad = check_connector_config(base({{"auth.type", "BASIC"}}), plugin_registry::builtin());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auth.type BASIC needs connection.user"), std::string::npos)
      << bad.error().message;
}

TEST(HttpSinkConfig, FoundByEveryName) {
  const auto& r = plugin_registry::builtin();
  auto* ours = r.find("runnel.connect.http.HttpSinkConnector", plugin_type::sink);
  ASSERT_NE(ours, nullptr);
  EXPECT_EQ(r.find("io.confluent.connect.http.HttpSinkConnector", plugin_type::sink), ours);
  EXPECT_EQ(r.find("HttpSinkConnector", plugin_type::sink), ours);
  EXPECT_EQ(r.find("HttpSink", plugin_type::sink), ours);
  EXPECT_EQ(r.find("HttpSink", plugin_type::source), nullptr);
}

TEST(HttpSinkBatch, RecordText) {
  auto obj = rec("t", 0, 0, data{{"id", 1}, {"name", "a"}});
  EXPECT_EQ(record_text(obj, body_format::string), R"({"id":1,"name":"a"})");
  EXPECT_EQ(record_text(obj, body_format::json), R"({"id":1,"name":"a"})");
  auto str = rec("t", 0, 0, data("{\"raw\": true}"));
  EXPECT_EQ(record_text(str, body_format::string), "{\"raw\": true}");
  EXPECT_EQ(record_text(str, body_format::json), R"("{\"raw\": true}")");
  auto bytes = rec("t", 0, 0, data::binary({'h', 'i', '\n'}));
  EXPECT_EQ(record_text(bytes, body_format::string), "hi\n");
  EXPECT_EQ(record_text(bytes, body_format::json), "\"aGkK\"");
  EXPECT_EQ(record_text(rec("t", 0, 0, data(42)), body_format::string), "42");
}

TEST(HttpSinkBatch, SizesOrderAndArrayBody) {
  auto c = parse_ok({{"batch.max.size", "3"}});
  std::vector<sink_record> rs;
  for (int i = 0; i < 7; ++i) rs.push_back(rec("t", i % 2, i, data{{"n", i}}));
  auto p = ptrs(rs);
  auto bs = make_batches(c, p);
  ASSERT_EQ(bs.size(), 3u);
  EXPECT_EQ(bs[0].records, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(bs[1].records, (std::vector<std::size_t>{3, 4, 5}));
  EXPECT_EQ(bs[2].records, (std::vector<std::size_t>{6}));
  EXPECT_EQ(bs[0].body, R"([{"n":0},{"n":1},{"n":2}])");
  EXPECT_EQ(bs[2].body, R"([{"n":6}])");
  for (auto& b : bs) EXPECT_EQ(b.url, "http://127.0.0.1:8080/api/messages");
}

TEST(HttpSinkBatch, OneRecordAloneAndShapedBodies) {
  std::vector<sink_record> rs{rec("t", 0, 0, data("a")), rec("t", 0, 1, data("b"))};
  auto p = ptrs(rs);
  auto single = make_batches(parse_ok(), p);
  ASSERT_EQ(single.size(), 2u);
  EXPECT_EQ(single[0].body, "a");
  EXPECT_EQ(single[1].body, "b");
  auto nd = make_batches(parse_ok({{"batch.max.size", "10"}, {"batch.separator", "\n"}}), p);
  ASSERT_EQ(nd.size(), 1u);
  EXPECT_EQ(nd[0].body, "a\nb");
  auto quoted =
      make_batches(parse_ok({{"batch.max.size", "10"}, {"request.body.format", "json"}}), p);
  EXPECT_EQ(quoted[0].body, R"(["a","b"])");
}

TEST(HttpSinkBatch, UrlTemplatesSplitBatchesKeepingOrderPerUrl) {
  auto c = parse_ok({{"http.api.url", "http://h:1/${topic}/keys/${key}"}, {"batch.max.size", "2"}});
  std::vector<sink_record> rs{
      rec("orders", 0, 0, data(0), data("a b")), rec("orders", 0, 1, data(1), data("c")),
      rec("orders", 0, 2, data(2), data("a b")), rec("orders", 0, 3, data(3), data("a b")),
      rec("pay/ments", 1, 0, data(4), data(7))};
  auto p = ptrs(rs);
  auto bs = make_batches(c, p);
  ASSERT_EQ(bs.size(), 4u);
  EXPECT_EQ(bs[0].url, "http://h:1/orders/keys/a%20b");
  EXPECT_EQ(bs[0].records, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(bs[1].url, "http://h:1/orders/keys/c");
  EXPECT_EQ(bs[1].records, (std::vector<std::size_t>{1}));
  EXPECT_EQ(bs[2].url, "http://h:1/orders/keys/a%20b");  // the first was full
  EXPECT_EQ(bs[2].records, (std::vector<std::size_t>{3}));
  EXPECT_EQ(bs[3].url, "http://h:1/pay%2Fments/keys/7");
  EXPECT_EQ(bs[0].body, "[0,2]");
}

TEST(HttpSinkRetry, WhichAnswersAreRetried) {
  EXPECT_EQ(classify(200), verdict::delivered);
  EXPECT_EQ(classify(204), verdict::delivered);
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) EXPECT_EQ(classify(s), verdict::retry) << s;
  for (long s : {301L, 400L, 401L, 403L, 404L, 409L, 413L, 422L})
    EXPECT_EQ(classify(s), verdict::refused) << s;
}

TEST(HttpSinkRetry, BackoffDoublesWithJitterUpToTheCap) {
  auto c = parse_ok({{"retry.backoff.ms", "100"}});
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50; ++i) {
    auto d1 = retry_delay(c, 1, std::nullopt, rng);
    EXPECT_GE(d1, milliseconds(50));
    EXPECT_LE(d1, milliseconds(100));
    auto d4 = retry_delay(c, 4, std::nullopt, rng);
    EXPECT_GE(d4, milliseconds(400));
    EXPECT_LE(d4, milliseconds(800));
    auto d30 = retry_delay(c, 30, std::nullopt, rng);
    EXPECT_GE(d30, max_backoff / 2);
    EXPECT_LE(d30, max_backoff);
  }
  auto constant =
      parse_ok({{"retry.backoff.ms", "100"}, {"retry.backoff.policy", "CONSTANT_VALUE"}});
  EXPECT_EQ(retry_delay(constant, 9, std::nullopt, rng), milliseconds(100));
  // Retry-After wins, within reason.
  EXPECT_EQ(retry_delay(c, 1, milliseconds(2000), rng), milliseconds(2000));
  EXPECT_EQ(retry_delay(c, 1, std::chrono::hours(5), rng), max_retry_after);
}

TEST(HttpSinkRetry, RetryAfterSecondsAndDate) {
  objstore::http_response r;
  EXPECT_FALSE(objstore::retry_after(r));
  r.headers["retry-after"] = "3";
  EXPECT_EQ(objstore::retry_after(r), milliseconds(3000));
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777; asked at 10 s before.
  auto now = std::chrono::system_clock::from_time_t(784111767);
  r.headers["retry-after"] = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(objstore::retry_after(r, now), milliseconds(10000));
  EXPECT_EQ(objstore::retry_after(r, now + std::chrono::hours(1)), milliseconds(0));
  r.headers["retry-after"] = "soon";
  EXPECT_FALSE(objstore::retry_after(r));
}

TEST(HttpSinkTask, UrlsAreRedactedInMessages) {
  EXPECT_EQ(redact_url("https://hooks.example.com/services/T000/B000/XXXX"),
            "https://hooks.example.com/…");
  EXPECT_EQ(redact_url("http://user:pw@127.0.0.1:8080/x?token=1"), "http://127.0.0.1:8080/…");
  EXPECT_EQ(redact_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
}

}  // namespace
}  // namespace runnel::connect::http
