// Codecs of the admin APIs (CreateTopics, DeleteTopics, CreatePartitions,
// DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, InitProducerId).
//
// Round trips cover every version in api.h. Each one encodes a message with
// every field set, including fields the version does not have, and expects
// the decoded copy to equal a message built with only the fields that
// version has. So a field gated at the wrong version fails the test even
// though encoder and decoder share one serde(). The version conditions in
// the make_* functions are transcribed from the spec separately from the
// codecs on purpose. Golden bytes were written by hand from the spec.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api.h"
#include "kafka/header.h"
#include "kafka/messages/alter_configs.h"
#include "kafka/messages/create_partitions.h"
#include "kafka/messages/create_topics.h"
#include "kafka/messages/delete_topics.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/messages/incremental_alter_configs.h"
#include "kafka/messages/init_producer_id.h"
#include "kafka/wire.h"

namespace runnel::kafka {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(std::byte(uint8_t(x)));
  return out;
}

uuid uuid_of(uint8_t seed) {
  uuid u;
  for (size_t i = 0; i < u.size(); ++i) u[i] = uint8_t(seed + i);
  return u;
}

bool flexible(api_key key, int16_t v) {
  return find_api(int16_t(key))->flexible(v);
}

template <class M>
std::vector<std::byte> encode(M& m, api_key key, int16_t v) {
  writer w;
  encode_body(w, m, v, flexible(key, v));
  return w.buffer();
}

// Hand-written bytes against the codec: encoding `m` gives exactly `want`,
// and decoding `want` consumes it all and re-encodes to the same bytes.
// Flexible versions are here mostly for the tag sections, which a round
// trip cannot check (a missing a.tags() is skipped on both sides).
template <class M>
void expect_golden(M m, api_key key, int16_t v, const std::vector<std::byte>& want) {
  EXPECT_EQ(encode(m, key, v), want);
  auto buf = want;
  reader r(buf);
  M got;
  ASSERT_TRUE(decode_body(r, got, v, flexible(key, v)));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(encode(got, key, v), want);
}

// Vectors and optional vectors of structs, compared element by element. Callers
// pass a generic lambda calling same(): written inside a same() overload, it
// sees every overload declared above it (ADL would not reach this unnamed
// namespace).
template <class T, class F>
void expect_each(const std::vector<T>& got, const std::vector<T>& want, F same) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("element " + std::to_string(i));
    same(got[i], want[i]);
  }
}

template <class T, class F>
void expect_each(const std::optional<std::vector<T>>& got,
                 const std::optional<std::vector<T>>& want, F same) {
  ASSERT_EQ(got.has_value(), want.has_value());
  if (got) expect_each(*got, *want, same);
}

// Encodes `in` at every version api.h advertises, decodes it, and compares
// with make(v, false). Also feeds every strict prefix of the encoding to the
// decoder: the decode of a prefix performs the same reads as that of the
// whole until it runs out of bytes, so every prefix must fail (and must not
// read out of bounds: each prefix is its own exactly-sized allocation).
template <class M, class Make, class Same>
int check_all_versions(api_key key, Make make, Same same) {
  const api_info* api = find_api(int16_t(key));
  int versions = 0;
  for (int16_t v = api->min_version; v <= api->max_version; ++v) {
    SCOPED_TRACE(std::string(api->name) + " v" + std::to_string(v));
    ++versions;
    M in = make(v, true);
    const M want = make(v, false);
    std::vector<std::byte> buf = encode(in, key, v);
    reader r(buf);
    M got;
    EXPECT_TRUE(decode_body(r, got, v, flexible(key, v)));
    EXPECT_EQ(r.remaining(), 0u);
    same(got, want);

    int prefixes_failed = 0;
    for (size_t len = 0; len < buf.size(); ++len) {
      std::vector<std::byte> prefix(buf.begin(), buf.begin() + ptrdiff_t(len));
      reader pr(prefix);
      M partial;
      if (!decode_body(pr, partial, v, flexible(key, v))) ++prefixes_failed;
    }
    EXPECT_EQ(prefixes_failed, int(buf.size()));
  }
  return versions;
}

// ---- CreateTopics ----

void same(const create_topics_request::assignment& g, const create_topics_request::assignment& w) {
  EXPECT_EQ(g.partition_index, w.partition_index);
  EXPECT_EQ(g.broker_ids, w.broker_ids);
}
void same(const create_topics_request::config& g, const create_topics_request::config& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.value, w.value);
}
void same(const create_topics_request::topic& g, const create_topics_request::topic& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.num_partitions, w.num_partitions);
  EXPECT_EQ(g.replication_factor, w.replication_factor);
  expect_each(g.assignments, w.assignments, [](const auto& x, const auto& y) { same(x, y); });
  expect_each(g.configs, w.configs, [](const auto& x, const auto& y) { same(x, y); });
}
void same(const create_topics_request& g, const create_topics_request& w) {
  expect_each(g.topics, w.topics, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.timeout_ms, w.timeout_ms);
  EXPECT_EQ(g.validate_only, w.validate_only);
}

create_topics_request make_create_topics_request(int16_t v, bool all) {
  auto has = [&](int from) { return all || v >= from; };
  create_topics_request m;
  m.topics.push_back(
      {"orders", -1, -1, {{0, {1, 2}}, {1, {2, 3}}}, {{"cleanup.policy", "compact"}}});
  m.topics.push_back({"events", 12, 3, {}, {{"retention.ms", std::nullopt}}});
  m.timeout_ms = 1234;
  if (has(1)) m.validate_only = true;
  return m;
}

void same(const create_topics_response::config& g, const create_topics_response::config& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.value, w.value);
  EXPECT_EQ(g.read_only, w.read_only);
  EXPECT_EQ(g.config_source, w.config_source);
  EXPECT_EQ(g.is_sensitive, w.is_sensitive);
}
void same(const create_topics_response::topic& g, const create_topics_response::topic& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.topic_id, w.topic_id);
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.error_message, w.error_message);
  EXPECT_EQ(g.num_partitions, w.num_partitions);
  EXPECT_EQ(g.replication_factor, w.replication_factor);
  expect_each(g.configs, w.configs, [](const auto& x, const auto& y) { same(x, y); });
}
void same(const create_topics_response& g, const create_topics_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  expect_each(g.topics, w.topics, [](const auto& x, const auto& y) { same(x, y); });
}

create_topics_response make_create_topics_response(int16_t v, bool all) {
  auto has = [&](int from) { return all || v >= from; };
  create_topics_response m;
  if (has(2)) m.throttle_time_ms = 77;
  create_topics_response::topic ok{.name = "orders", .error_code = 0};
  create_topics_response::topic bad{.name = "bad name", .error_code = 17};
  if (has(7)) ok.topic_id = uuid_of(0x10);
  if (has(1)) bad.error_message = "invalid topic";
  if (has(5)) {
    ok.num_partitions = 6;
    ok.replication_factor = 3;
    ok.configs.emplace();
    ok.configs->push_back({"cleanup.policy", "compact", true, 5, false});
    ok.configs->push_back({"sasl.secret", std::nullopt, false, 4, true});
    bad.num_partitions = 0;
    bad.replication_factor = 0;
    // bad.configs stays null: nullable in v5+.
  }
  m.topics = {ok, bad};
  return m;
}

TEST(admin_messages, create_topics_round_trips_every_version) {
  EXPECT_EQ(
      (check_all_versions<create_topics_request>(api_key::create_topics, make_create_topics_request,
                                                 [](const auto& g, const auto& w) { same(g, w); })),
      8);
  EXPECT_EQ((check_all_versions<create_topics_response>(
                api_key::create_topics, make_create_topics_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            8);
}

TEST(admin_messages, create_topics_v0_request_golden_bytes) {
  create_topics_request m;
  m.topics.push_back({"a", -1, -1, {{0, {1, 2}}}, {{"k", "v"}}});
  m.timeout_ms = 5000;
  m.validate_only = true;  // not in v0: must not be written
  const auto want = bytes_of({
      0,    0,    0,    1,                               // topics: 1
      0,    1,    'a',                                   // name
      0xff, 0xff, 0xff, 0xff,                            // num_partitions -1
      0xff, 0xff,                                        // replication_factor -1
      0,    0,    0,    1,                               // assignments: 1
      0,    0,    0,    0,                               //   partition_index 0
      0,    0,    0,    2,    0, 0,   0, 1, 0, 0, 0, 2,  // broker_ids [1, 2]
      0,    0,    0,    1,                               // configs: 1
      0,    1,    'k',  0,    1, 'v',                    //   name, value
      0,    0,    0x13, 0x88,                            // timeout_ms 5000
  });
  EXPECT_EQ(encode(m, api_key::create_topics, 0), want);
  auto buf = want;
  reader r(buf);
  create_topics_request got;
  ASSERT_TRUE(decode_body(r, got, 0, false));
  EXPECT_EQ(r.remaining(), 0u);
  m.validate_only = false;
  same(got, m);
}

TEST(admin_messages, create_topics_v5_request_golden_bytes) {
  create_topics_request m;
  // Two topics: one sized by count, one by explicit assignment (then count
  // and replication factor are -1).
  m.topics.push_back({"ab", 3, 2, {}, {{"k", std::nullopt}}});
  m.topics.push_back({"c", -1, -1, {{0, {1}}}, {}});
  m.timeout_ms = 60000;
  m.validate_only = true;
  const auto want = bytes_of({
      3,                          // topics: compact length 2+1
      3,    'a',  'b',            // name: compact string
      0,    0,    0,    3,        // num_partitions 3
      0,    2,                    // replication_factor 2
      1,                          // assignments: empty (0+1)
      2,                          // configs: 1
      2,    'k',                  //   name
      0,                          //   value: null
      0,                          //   config tags
      0,                          // topic tags
      2,    'c',                  // name
      0xff, 0xff, 0xff, 0xff,     // num_partitions -1
      0xff, 0xff,                 // replication_factor -1
      2,                          // assignments: 1
      0,    0,    0,    0,        //   partition_index 0
      2,    0,    0,    0,    1,  //   broker_ids [1]
      0,                          //   assignment tags
      1,                          // configs: empty
      0,                          // topic tags
      0,    0,    0xea, 0x60,     // timeout_ms 60000
      1,                          // validate_only
      0,                          // tags
  });
  EXPECT_EQ(encode(m, api_key::create_topics, 5), want);
  auto buf = want;
  reader r(buf);
  create_topics_request got;
  ASSERT_TRUE(decode_body(r, got, 5, true));
  EXPECT_EQ(r.remaining(), 0u);
  same(got, m);
}

TEST(admin_messages, create_topics_v5_response_skips_tagged_topic_config_error_code) {
  // One topic whose tag section carries TopicConfigErrorCode (tag 0, int16).
  auto buf = bytes_of({
      0, 0,   0, 0,        // throttle_time_ms
      2,                   // topics: 1
      2, 't',              // name
      0, 0,                // error_code
      0,                   // error_message null
      0, 0,   0, 1,        // num_partitions
      0, 1,                // replication_factor
      0,                   // configs null
      1, 0,   2, 0, 0x2a,  // tags: 1 field, tag 0, size 2, value 42
      0,                   // tags
  });
  reader r(buf);
  create_topics_response got;
  ASSERT_TRUE(decode_body(r, got, 5, true));
  EXPECT_EQ(r.remaining(), 0u);
  ASSERT_EQ(got.topics.size(), 1u);
  EXPECT_EQ(got.topics[0].name, "t");
  EXPECT_EQ(got.topics[0].num_partitions, 1);
  EXPECT_FALSE(got.topics[0].configs.has_value());
  // Re-encoding drops the tag: an empty tag section instead.
  auto out = encode(got, api_key::create_topics, 5);
  EXPECT_EQ(out.size(), buf.size() - 4);
}

TEST(admin_messages, create_topics_v7_response_golden_bytes) {
  create_topics_response m;
  m.throttle_time_ms = 0;
  m.topics.push_back(
      {.name = "t",
       .topic_id = uuid_of(1),
       .error_code = 0,
       .num_partitions = 1,
       .replication_factor = 1,
       .configs = std::vector<create_topics_response::config>{{"k", "v", false, 5, false}}});
  expect_golden(m, api_key::create_topics, 7,
                bytes_of({
                    0, 0,   0, 0,                                             // throttle_time_ms
                    2,                                                        // topics: 1
                    2, 't',                                                   // name
                    1, 2,   3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,  // topic_id
                    0, 0,                                                     // error_code
                    0,                                                        // error_message: null
                    0, 0,   0, 1,                                             // num_partitions
                    0, 1,                                                     // replication_factor
                    2,                                                        // configs: 1
                    2, 'k',                                                   //   name
                    2, 'v',                                                   //   value
                    0,                                                        //   read_only
                    5,                                                        //   config_source
                    0,                                                        //   is_sensitive
                    0,                                                        //   config tags
                    0,  // topic tags (TopicConfigErrorCode never written)
                    0,  // tags
                }));
}

// ---- DeleteTopics ----

void same(const delete_topics_request::topic& g, const delete_topics_request::topic& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.topic_id, w.topic_id);
}
void same(const delete_topics_request& g, const delete_topics_request& w) {
  expect_each(g.topics, w.topics, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.topic_names, w.topic_names);
  EXPECT_EQ(g.timeout_ms, w.timeout_ms);
}

delete_topics_request make_delete_topics_request(int16_t v, bool all) {
  delete_topics_request m;
  if (all || v >= 6) m.topics = {{"orders", uuid_of(1)}, {std::nullopt, uuid_of(0x40)}};
  if (all || v <= 5) m.topic_names = {"orders", "events"};
  m.timeout_ms = 30000;
  return m;
}

void same(const delete_topics_response::result& g, const delete_topics_response::result& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.topic_id, w.topic_id);
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.error_message, w.error_message);
}
void same(const delete_topics_response& g, const delete_topics_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  expect_each(g.responses, w.responses, [](const auto& x, const auto& y) { same(x, y); });
}

delete_topics_response make_delete_topics_response(int16_t v, bool all) {
  auto has = [&](int from) { return all || v >= from; };
  delete_topics_response m;
  if (has(1)) m.throttle_time_ms = 5;
  delete_topics_response::result a{.name = "orders", .error_code = 0};
  // A null name is a value only v6 can carry; before that it is "gone".
  delete_topics_response::result b{
      .name = v >= 6 ? std::nullopt : std::optional<std::string>("gone"), .error_code = 3};
  if (has(6)) {
    a.topic_id = uuid_of(2);
    b.topic_id = uuid_of(0x80);
  }
  if (has(5)) b.error_message = "unknown topic id";
  m.responses = {a, b};
  return m;
}

TEST(admin_messages, delete_topics_round_trips_every_version) {
  EXPECT_EQ(
      (check_all_versions<delete_topics_request>(api_key::delete_topics, make_delete_topics_request,
                                                 [](const auto& g, const auto& w) { same(g, w); })),
      7);
  EXPECT_EQ((check_all_versions<delete_topics_response>(
                api_key::delete_topics, make_delete_topics_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            7);
}

TEST(admin_messages, delete_topics_response_name_is_nullable_only_from_v6) {
  delete_topics_response m;
  m.responses.push_back({.name = std::nullopt, .error_code = 3});
  // v5 (flexible, compact strings): a null name goes out as "".
  auto v5 = encode(m, api_key::delete_topics, 5);
  EXPECT_EQ(v5, bytes_of({0, 0, 0, 0, 2, 1, 0, 3, 0, 0, 0}));
  // And a null name on the wire at v5 is rejected.
  auto bad = bytes_of({0, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0});
  reader r(bad);
  delete_topics_response got;
  EXPECT_FALSE(decode_body(r, got, 5, true));
  // v6 carries it: compact null (0) plus the topic id.
  m.responses[0].name = std::nullopt;
  auto v6 = encode(m, api_key::delete_topics, 6);
  reader r6(v6);
  ASSERT_TRUE(decode_body(r6, got, 6, true));
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_FALSE(got.responses[0].name.has_value());
}

TEST(admin_messages, delete_topics_flexible_golden_bytes) {
  // v4: first flexible version, still topic names.
  delete_topics_request v4;
  v4.topic_names = {"a"};
  v4.timeout_ms = 1000;
  expect_golden(v4, api_key::delete_topics, 4,
                bytes_of({
                    2, 2, 'a',         // topic_names: ["a"] (strings carry no tags)
                    0, 0, 0x03, 0xe8,  // timeout_ms 1000
                    0,                 // tags
                }));
  // v6: topics by id, name null.
  delete_topics_request v6;
  v6.topics = {{std::nullopt, uuid_of(1)}};
  v6.timeout_ms = 1000;
  expect_golden(v6, api_key::delete_topics, 6,
                bytes_of({
                    2,                                                            // topics: 1
                    0,                                                            //   name: null
                    1, 2, 3,    4,    5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,  // topic_id
                    0,                                                            //   topic tags
                    0, 0, 0x03, 0xe8,                                             // timeout_ms
                    0,                                                            // tags
                }));
  delete_topics_response resp;
  resp.responses = {{.name = "a", .topic_id = uuid_of(1), .error_code = 3}};
  expect_golden(resp, api_key::delete_topics, 6,
                bytes_of({
                    0, 0,   0, 0,                                             // throttle_time_ms
                    2,                                                        // responses: 1
                    2, 'a',                                                   //   name
                    1, 2,   3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,  // topic_id
                    0, 3,                                                     //   error_code
                    0,  //   error_message: null
                    0,  //   result tags
                    0,  // tags
                }));
}

// ---- CreatePartitions ----

void same(const create_partitions_request::assignment& g,
          const create_partitions_request::assignment& w) {
  EXPECT_EQ(g.broker_ids, w.broker_ids);
}
void same(const create_partitions_request::topic& g, const create_partitions_request::topic& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.count, w.count);
  expect_each(g.assignments, w.assignments, [](const auto& x, const auto& y) { same(x, y); });
}
void same(const create_partitions_request& g, const create_partitions_request& w) {
  expect_each(g.topics, w.topics, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.timeout_ms, w.timeout_ms);
  EXPECT_EQ(g.validate_only, w.validate_only);
}

create_partitions_request make_create_partitions_request(int16_t, bool) {
  create_partitions_request m;
  m.topics.push_back(
      {"orders", 8, std::vector<create_partitions_request::assignment>{{{1, 2}}, {{2, 3}}}});
  m.topics.push_back({"events", 4, std::nullopt});
  m.timeout_ms = 2500;
  m.validate_only = true;
  return m;
}

void same(const create_partitions_response::result& g,
          const create_partitions_response::result& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.error_message, w.error_message);
}
void same(const create_partitions_response& g, const create_partitions_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  expect_each(g.results, w.results, [](const auto& x, const auto& y) { same(x, y); });
}

create_partitions_response make_create_partitions_response(int16_t, bool) {
  create_partitions_response m;
  m.throttle_time_ms = 9;
  m.results = {{"orders", 0, std::nullopt}, {"events", 37, "count must grow"}};
  return m;
}

TEST(admin_messages, create_partitions_round_trips_every_version) {
  EXPECT_EQ((check_all_versions<create_partitions_request>(
                api_key::create_partitions, make_create_partitions_request,
                [](const auto& g, const auto& w) { same(g, w); })),
            4);
  EXPECT_EQ((check_all_versions<create_partitions_response>(
                api_key::create_partitions, make_create_partitions_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            4);
}

TEST(admin_messages, create_partitions_v2_golden_bytes) {
  create_partitions_request req;
  req.topics.push_back({"a", 3, std::vector<create_partitions_request::assignment>{{{1}}}});
  req.timeout_ms = 100;
  expect_golden(req, api_key::create_partitions, 2,
                bytes_of({
                    2,                  // topics: 1
                    2, 'a',             //   name
                    0, 0,   0, 3,       //   count
                    2,                  //   assignments: 1
                    2, 0,   0, 0,   1,  //     broker_ids [1]
                    0,                  //     assignment tags
                    0,                  //   topic tags
                    0, 0,   0, 100,     // timeout_ms
                    0,                  // validate_only
                    0,                  // tags
                }));
  create_partitions_response resp;
  resp.results = {{"a", 37, "x"}};
  expect_golden(resp, api_key::create_partitions, 2,
                bytes_of({
                    0, 0, 0, 0,  // throttle_time_ms
                    2,           // results: 1
                    2, 'a',      //   name
                    0, 37,       //   error_code
                    2, 'x',      //   error_message
                    0,           //   result tags
                    0,           // tags
                }));
}

// ---- DescribeConfigs ----

void same(const describe_configs_request::resource& g,
          const describe_configs_request::resource& w) {
  EXPECT_EQ(g.resource_type, w.resource_type);
  EXPECT_EQ(g.resource_name, w.resource_name);
  EXPECT_EQ(g.configuration_keys, w.configuration_keys);
}
void same(const describe_configs_request& g, const describe_configs_request& w) {
  expect_each(g.resources, w.resources, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.include_synonyms, w.include_synonyms);
  EXPECT_EQ(g.include_documentation, w.include_documentation);
}

describe_configs_request make_describe_configs_request(int16_t v, bool all) {
  auto has = [&](int from) { return all || v >= from; };
  describe_configs_request m;
  // Null keys (all configs) and an empty list must stay distinct.
  m.resources.push_back({2, "orders", std::vector<std::string>{"retention.ms", "segment.bytes"}});
  m.resources.push_back({4, "1", std::nullopt});
  m.resources.push_back({2, "events", std::vector<std::string>{}});
  if (has(1)) m.include_synonyms = true;
  if (has(3)) m.include_documentation = true;
  return m;
}

void same(const describe_configs_response::synonym& g,
          const describe_configs_response::synonym& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.value, w.value);
  EXPECT_EQ(g.source, w.source);
}
void same(const describe_configs_response::config& g, const describe_configs_response::config& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.value, w.value);
  EXPECT_EQ(g.read_only, w.read_only);
  EXPECT_EQ(g.is_default, w.is_default);
  EXPECT_EQ(g.config_source, w.config_source);
  EXPECT_EQ(g.is_sensitive, w.is_sensitive);
  expect_each(g.synonyms, w.synonyms, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.config_type, w.config_type);
  EXPECT_EQ(g.documentation, w.documentation);
}
void same(const describe_configs_response::result& g, const describe_configs_response::result& w) {
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.error_message, w.error_message);
  EXPECT_EQ(g.resource_type, w.resource_type);
  EXPECT_EQ(g.resource_name, w.resource_name);
  expect_each(g.configs, w.configs, [](const auto& x, const auto& y) { same(x, y); });
}
void same(const describe_configs_response& g, const describe_configs_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  expect_each(g.results, w.results, [](const auto& x, const auto& y) { same(x, y); });
}

describe_configs_response make_describe_configs_response(int16_t v, bool all) {
  auto has = [&](int from) { return all || v >= from; };
  describe_configs_response m;
  m.throttle_time_ms = 11;
  describe_configs_response::config c{
      .name = "retention.ms", .value = "1000", .read_only = true, .is_sensitive = false};
  describe_configs_response::config secret{
      .name = "sasl.secret", .value = std::nullopt, .read_only = false, .is_sensitive = true};
  if (all || v == 0) c.is_default = true;  // v0 only
  if (has(1)) {
    c.config_source = 1;
    secret.config_source = 4;
    c.synonyms = {{"retention.ms", "1000", 1}, {"log.retention.ms", std::nullopt, 5}};
  }
  if (has(3)) {
    c.config_type = 5;
    c.documentation = "How long to keep data.";
    secret.config_type = 9;
  }
  m.results.push_back({0, std::nullopt, 2, "orders", {c, secret}});
  m.results.push_back({3, "no such topic", 2, "gone", {}});
  return m;
}

TEST(admin_messages, describe_configs_round_trips_every_version) {
  EXPECT_EQ((check_all_versions<describe_configs_request>(
                api_key::describe_configs, make_describe_configs_request,
                [](const auto& g, const auto& w) { same(g, w); })),
            5);
  EXPECT_EQ((check_all_versions<describe_configs_response>(
                api_key::describe_configs, make_describe_configs_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            5);
}

TEST(admin_messages, describe_configs_v0_response_has_is_default_not_source) {
  describe_configs_response resp;
  describe_configs_response::config c{.name = "k", .value = "v", .is_default = true};
  c.config_source = 5;  // v1+: must not be written
  c.synonyms = {{"k", "v", 5}};
  resp.results.push_back({0, std::nullopt, 2, "a", {c}});
  const auto want = bytes_of({
      0,    0,    0,   0,  // throttle_time_ms
      0,    0,    0,   1,  // results: 1
      0,    0,             //   error_code
      0xff, 0xff,          //   error_message: null
      2,                   //   resource_type
      0,    1,    'a',     //   resource_name
      0,    0,    0,   1,  //   configs: 1
      0,    1,    'k',     //     name
      0,    1,    'v',     //     value
      0,                   //     read_only
      1,                   //     is_default
      0,                   //     is_sensitive
  });
  EXPECT_EQ(encode(resp, api_key::describe_configs, 0), want);
}

TEST(admin_messages, describe_configs_v4_golden_bytes) {
  describe_configs_request req;
  req.resources.push_back({2, "a", std::vector<std::string>{"k"}});
  req.include_synonyms = true;
  req.include_documentation = true;
  expect_golden(req, api_key::describe_configs, 4,
                bytes_of({
                    2,          // resources: 1
                    2,          //   resource_type
                    2, 'a',     //   resource_name
                    2, 2, 'k',  //   configuration_keys ["k"]
                    0,          //   resource tags
                    1,          // include_synonyms
                    1,          // include_documentation
                    0,          // tags
                }));
  describe_configs_response resp;
  describe_configs_response::config c{
      .name = "k", .value = "v", .config_source = 1, .synonyms = {{"k", "v", 1}}, .config_type = 2};
  resp.results.push_back({0, std::nullopt, 2, "a", {c}});
  expect_golden(resp, api_key::describe_configs, 4,
                bytes_of({
                    0, 0,   0, 0,  // throttle_time_ms
                    2,             // results: 1
                    0, 0,          //   error_code
                    0,             //   error_message: null
                    2,             //   resource_type
                    2, 'a',        //   resource_name
                    2,             //   configs: 1
                    2, 'k',        //     name
                    2, 'v',        //     value
                    0,             //     read_only
                    1,             //     config_source
                    0,             //     is_sensitive
                    2,             //     synonyms: 1
                    2, 'k',        //       name
                    2, 'v',        //       value
                    1,             //       source
                    0,             //       synonym tags
                    2,             //     config_type
                    0,             //     documentation: null
                    0,             //     config tags
                    0,             //   result tags
                    0,             // tags
                }));
}

// ---- AlterConfigs / IncrementalAlterConfigs ----

void same(const alter_configs_request::config& g, const alter_configs_request::config& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.value, w.value);
}
void same(const alter_configs_request::resource& g, const alter_configs_request::resource& w) {
  EXPECT_EQ(g.resource_type, w.resource_type);
  EXPECT_EQ(g.resource_name, w.resource_name);
  expect_each(g.configs, w.configs, [](const auto& x, const auto& y) { same(x, y); });
}
void same(const alter_configs_request& g, const alter_configs_request& w) {
  expect_each(g.resources, w.resources, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.validate_only, w.validate_only);
}

alter_configs_request make_alter_configs_request(int16_t, bool) {
  alter_configs_request m;
  m.resources.push_back(
      {2, "orders", {{"retention.ms", "1000"}, {"cleanup.policy", std::nullopt}}});
  m.resources.push_back({4, "1", {}});
  m.validate_only = true;
  return m;
}

void same(const alter_configs_response::result& g, const alter_configs_response::result& w) {
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.error_message, w.error_message);
  EXPECT_EQ(g.resource_type, w.resource_type);
  EXPECT_EQ(g.resource_name, w.resource_name);
}
void same(const alter_configs_response& g, const alter_configs_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  expect_each(g.responses, w.responses, [](const auto& x, const auto& y) { same(x, y); });
}

alter_configs_response make_alter_configs_response(int16_t, bool) {
  alter_configs_response m;
  m.throttle_time_ms = 3;
  m.responses = {{0, std::nullopt, 2, "orders"}, {40, "bad value", 4, "1"}};
  return m;
}

void same(const incremental_alter_configs_request::config& g,
          const incremental_alter_configs_request::config& w) {
  EXPECT_EQ(g.name, w.name);
  EXPECT_EQ(g.config_operation, w.config_operation);
  EXPECT_EQ(g.value, w.value);
}
void same(const incremental_alter_configs_request::resource& g,
          const incremental_alter_configs_request::resource& w) {
  EXPECT_EQ(g.resource_type, w.resource_type);
  EXPECT_EQ(g.resource_name, w.resource_name);
  expect_each(g.configs, w.configs, [](const auto& x, const auto& y) { same(x, y); });
}
void same(const incremental_alter_configs_request& g, const incremental_alter_configs_request& w) {
  expect_each(g.resources, w.resources, [](const auto& x, const auto& y) { same(x, y); });
  EXPECT_EQ(g.validate_only, w.validate_only);
}

incremental_alter_configs_request make_incremental_alter_configs_request(int16_t, bool) {
  incremental_alter_configs_request m;
  m.resources.push_back(
      {2, "orders", {{"retention.ms", 0, "1000"}, {"cleanup.policy", 1, std::nullopt}}});
  m.resources.push_back({4, "1", {{"log.dirs", 2, "/a"}}});
  m.validate_only = true;
  return m;
}

void same(const incremental_alter_configs_response::result& g,
          const incremental_alter_configs_response::result& w) {
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.error_message, w.error_message);
  EXPECT_EQ(g.resource_type, w.resource_type);
  EXPECT_EQ(g.resource_name, w.resource_name);
}
void same(const incremental_alter_configs_response& g,
          const incremental_alter_configs_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  expect_each(g.responses, w.responses, [](const auto& x, const auto& y) { same(x, y); });
}

incremental_alter_configs_response make_incremental_alter_configs_response(int16_t, bool) {
  incremental_alter_configs_response m;
  m.throttle_time_ms = 4;
  m.responses = {{0, std::nullopt, 2, "orders"}, {42, "bad operation", 4, "1"}};
  return m;
}

TEST(admin_messages, alter_configs_round_trips_every_version) {
  EXPECT_EQ(
      (check_all_versions<alter_configs_request>(api_key::alter_configs, make_alter_configs_request,
                                                 [](const auto& g, const auto& w) { same(g, w); })),
      3);
  EXPECT_EQ((check_all_versions<alter_configs_response>(
                api_key::alter_configs, make_alter_configs_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            3);
}

TEST(admin_messages, incremental_alter_configs_round_trips_every_version) {
  EXPECT_EQ((check_all_versions<incremental_alter_configs_request>(
                api_key::incremental_alter_configs, make_incremental_alter_configs_request,
                [](const auto& g, const auto& w) { same(g, w); })),
            2);
  EXPECT_EQ((check_all_versions<incremental_alter_configs_response>(
                api_key::incremental_alter_configs, make_incremental_alter_configs_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            2);
}

TEST(admin_messages, alter_configs_flexible_golden_bytes) {
  alter_configs_request alter;
  alter.resources.push_back({2, "a", {{"k", "v"}}});
  alter.validate_only = true;
  expect_golden(alter, api_key::alter_configs, 2,
                bytes_of({
                    2,       // resources: 1
                    2,       //   resource_type
                    2, 'a',  //   resource_name
                    2,       //   configs: 1
                    2, 'k',  //     name
                    2, 'v',  //     value
                    0,       //     config tags
                    0,       //   resource tags
                    1,       // validate_only
                    0,       // tags
                }));
  incremental_alter_configs_request inc;
  inc.resources.push_back({2, "a", {{"k", 1, std::nullopt}}});
  expect_golden(inc, api_key::incremental_alter_configs, 1,
                bytes_of({
                    2,       // resources: 1
                    2,       //   resource_type
                    2, 'a',  //   resource_name
                    2,       //   configs: 1
                    2, 'k',  //     name
                    1,       //     config_operation: delete
                    0,       //     value: null
                    0,       //     config tags
                    0,       //   resource tags
                    0,       // validate_only
                    0,       // tags
                }));
  const auto result_bytes = bytes_of({
      0, 0, 0, 0,  // throttle_time_ms
      2,           // responses: 1
      0, 0,        //   error_code
      0,           //   error_message: null
      2,           //   resource_type
      2, 'a',      //   resource_name
      0,           //   result tags
      0,           // tags
  });
  alter_configs_response alter_resp;
  alter_resp.responses = {{0, std::nullopt, 2, "a"}};
  expect_golden(alter_resp, api_key::alter_configs, 2, result_bytes);
  incremental_alter_configs_response inc_resp;
  inc_resp.responses = {{0, std::nullopt, 2, "a"}};
  expect_golden(inc_resp, api_key::incremental_alter_configs, 1, result_bytes);
}

// ---- InitProducerId ----

void same(const init_producer_id_request& g, const init_producer_id_request& w) {
  EXPECT_EQ(g.transactional_id, w.transactional_id);
  EXPECT_EQ(g.transaction_timeout_ms, w.transaction_timeout_ms);
  EXPECT_EQ(g.producer_id, w.producer_id);
  EXPECT_EQ(g.producer_epoch, w.producer_epoch);
}

init_producer_id_request make_init_producer_id_request(int16_t v, bool all) {
  init_producer_id_request m;
  m.transactional_id = "tx-1";
  m.transaction_timeout_ms = 60000;
  if (all || v >= 3) {
    m.producer_id = 4242;
    m.producer_epoch = 7;
  }
  return m;
}

void same(const init_producer_id_response& g, const init_producer_id_response& w) {
  EXPECT_EQ(g.throttle_time_ms, w.throttle_time_ms);
  EXPECT_EQ(g.error_code, w.error_code);
  EXPECT_EQ(g.producer_id, w.producer_id);
  EXPECT_EQ(g.producer_epoch, w.producer_epoch);
}

init_producer_id_response make_init_producer_id_response(int16_t, bool) {
  return {.throttle_time_ms = 1, .error_code = 47, .producer_id = 4243, .producer_epoch = 8};
}

TEST(admin_messages, init_producer_id_round_trips_every_version) {
  EXPECT_EQ((check_all_versions<init_producer_id_request>(
                api_key::init_producer_id, make_init_producer_id_request,
                [](const auto& g, const auto& w) { same(g, w); })),
            5);
  EXPECT_EQ((check_all_versions<init_producer_id_response>(
                api_key::init_producer_id, make_init_producer_id_response,
                [](const auto& g, const auto& w) { same(g, w); })),
            5);
}

TEST(admin_messages, init_producer_id_v0_golden_bytes) {
  init_producer_id_request req{.transactional_id = "tx", .transaction_timeout_ms = 60000};
  req.producer_id = 99;  // v3+ only: must not be written
  const auto want_req = bytes_of({
      0, 2, 't', 'x',    // transactional_id
      0, 0, 0xea, 0x60,  // transaction_timeout_ms 60000
  });
  EXPECT_EQ(encode(req, api_key::init_producer_id, 0), want_req);
  auto buf = want_req;
  reader r(buf);
  init_producer_id_request got_req;
  ASSERT_TRUE(decode_body(r, got_req, 0, false));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(got_req.transactional_id, "tx");
  EXPECT_EQ(got_req.transaction_timeout_ms, 60000);
  EXPECT_EQ(got_req.producer_id, -1);  // spec default when absent
  EXPECT_EQ(got_req.producer_epoch, -1);

  // An idempotent producer: null transactional id.
  init_producer_id_request idem{.transactional_id = std::nullopt, .transaction_timeout_ms = 0};
  EXPECT_EQ(encode(idem, api_key::init_producer_id, 0), bytes_of({0xff, 0xff, 0, 0, 0, 0}));

  init_producer_id_response resp{
      .throttle_time_ms = 10, .error_code = 0, .producer_id = 1000, .producer_epoch = 0};
  const auto want_resp = bytes_of({
      0, 0, 0, 10,                   // throttle_time_ms
      0, 0,                          // error_code
      0, 0, 0, 0, 0, 0, 0x03, 0xe8,  // producer_id 1000
      0, 0,                          // producer_epoch
  });
  EXPECT_EQ(encode(resp, api_key::init_producer_id, 0), want_resp);
  auto rbuf = want_resp;
  reader rr(rbuf);
  init_producer_id_response got_resp;
  ASSERT_TRUE(decode_body(rr, got_resp, 0, false));
  EXPECT_EQ(rr.remaining(), 0u);
  same(got_resp, resp);
}

TEST(admin_messages, init_producer_id_v3_request_golden_bytes) {
  init_producer_id_request req{.transactional_id = std::nullopt,
                               .transaction_timeout_ms = 1,
                               .producer_id = -1,
                               .producer_epoch = -1};
  EXPECT_EQ(encode(req, api_key::init_producer_id, 3),
            bytes_of({
                0,                                               // transactional_id: compact null
                0, 0, 0, 1,                                      // transaction_timeout_ms
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producer_id -1
                0xff, 0xff,                                      // producer_epoch -1
                0,                                               // tags
            }));
}

TEST(admin_messages, init_producer_id_v2_response_golden_bytes) {
  init_producer_id_response resp{.producer_id = 1000, .producer_epoch = 1};
  expect_golden(resp, api_key::init_producer_id, 2,
                bytes_of({
                    0, 0, 0, 0,                    // throttle_time_ms
                    0, 0,                          // error_code
                    0, 0, 0, 0, 0, 0, 0x03, 0xe8,  // producer_id 1000
                    0, 1,                          // producer_epoch
                    0,                             // tags
                }));
}

}  // namespace
}  // namespace runnel::kafka
