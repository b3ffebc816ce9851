// Codecs of the data-path APIs: Fetch, ListOffsets, Metadata,
// OffsetForLeaderEpoch, DeleteRecords.
//
// Three kinds of test:
// - round trips at every advertised version, with every field present at
//   that version set to a non-default value. The builders below encode, on
//   their own, which fields exist at which version (from the spec), so a
//   field the codec forgets comes back as its default and the comparison
//   fails;
// - hand-written byte vectors, which catch mistakes a round trip cannot
//   (a field written in the wrong version on both sides, wrong order, wrong
//   width, classic vs compact encoding);
// - every strict prefix of a request must fail to decode.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_messages_equality.h"
#include "kafka/api.h"
#include "kafka/header.h"
#include "kafka/messages/delete_records.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/list_offsets.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/offset_for_leader_epoch.h"
#include "kafka/wire.h"

namespace runnel::kafka {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(std::byte(uint8_t(x)));
  return out;
}

// Record bytes for the Fetch response; opaque to the codec.
std::vector<std::byte> record_bytes = bytes_of({0xde, 0xad, 0xbe, 0xef, 0x01});

uuid test_uuid(uint8_t seed) {
  uuid u;
  for (size_t i = 0; i < u.size(); ++i) u[i] = uint8_t(seed + i);
  return u;
}

bool is_flexible(api_key key, int16_t version) {
  return find_api(int16_t(key))->flexible(version);
}

template <class M>
std::vector<std::byte> encode(api_key key, int16_t version, M m) {
  writer w;
  encode_body(w, m, version, is_flexible(key, version));
  EXPECT_TRUE(w.pieces().empty());
  return w.buffer();
}

// Decodes all of `in`; fails the test if bytes are left over.
template <class M>
M decode(api_key key, int16_t version, std::span<std::byte> in) {
  reader r(in);
  M m;
  EXPECT_TRUE(decode_body(r, m, version, is_flexible(key, version)));
  EXPECT_EQ(r.remaining(), 0u);
  return m;
}

// Encodes make(v) at every advertised version, decodes it back and compares.
template <class M, class Make>
void check_round_trips(api_key key, int16_t min, int16_t max, Make make) {
  const api_info* api = find_api(int16_t(key));
  ASSERT_NE(api, nullptr);
  // The codecs were written for exactly these ranges; a wider range in
  // api.h needs the codec (and this test) revisited.
  ASSERT_EQ(api->min_version, min);
  ASSERT_EQ(api->max_version, max);
  for (int16_t v = min; v <= max; ++v) {
    SCOPED_TRACE("version " + std::to_string(v));
    const M want = make(v);
    auto buf = encode(key, v, want);
    const M got = decode<M>(key, v, buf);
    EXPECT_TRUE(got == want);
  }
}

// Every strict prefix of the encoding must fail: decoding is driven only by
// the bytes already read, so a prefix follows the same path as the whole
// message and must run out of input. Each prefix is copied to its own buffer
// so that a sanitizer would see any read past its end.
template <class M, class Make>
void check_truncations(api_key key, int16_t min, int16_t max, Make make) {
  for (int16_t v = min; v <= max; ++v) {
    const auto full = encode(key, v, make(v));
    for (size_t n = 0; n < full.size(); ++n) {
      std::vector<std::byte> prefix(full.begin(), full.begin() + ptrdiff_t(n));
      reader r(prefix);
      M m;
      EXPECT_FALSE(decode_body(r, m, v, is_flexible(key, v)))
          << "version " << v << ", " << n << " of " << full.size() << " bytes";
    }
  }
}

// Checks a hand-written encoding both ways.
template <class M>
void check_golden(api_key key, int16_t version, const M& m, std::vector<std::byte> bytes) {
  SCOPED_TRACE("version " + std::to_string(version));
  EXPECT_EQ(encode(key, version, m), bytes);
  EXPECT_TRUE(decode<M>(key, version, bytes) == m);
}

// ---- builders: every field present at `v` set to a non-default value ----

fetch_request make_fetch_request(int16_t v) {
  fetch_request m;
  m.replica_id = 3;
  m.max_wait_ms = 500;
  m.min_bytes = 1;
  m.max_bytes = 1 << 20;
  m.isolation_level = 1;
  if (v >= 7) {
    m.session_id = 77;
    m.session_epoch = 4;
  }
  for (int t = 0; t < 2; ++t) {
    fetch_request::fetch_topic topic;
    topic.topic = "topic-" + std::to_string(t);
    for (int p = 0; p < 2; ++p) {
      fetch_request::fetch_partition part;
      part.partition = p;
      if (v >= 9) part.current_leader_epoch = 5 + p;
      part.fetch_offset = 1000 + p;
      if (v >= 12) part.last_fetched_epoch = 4;
      if (v >= 5) part.log_start_offset = 10;
      part.partition_max_bytes = 65536;
      topic.partitions.push_back(part);
    }
    m.topics.push_back(topic);
  }
  if (v >= 7) m.forgotten_topics_data.push_back({"gone", {1, 2, 3}});
  if (v >= 11) m.rack_id = "rack-a";
  return m;
}

fetch_response make_fetch_response(int16_t v) {
  fetch_response m;
  m.throttle_time_ms = 12;
  if (v >= 7) {
    m.error_code = 70;  // FETCH_SESSION_ID_NOT_FOUND
    m.session_id = 77;
  }
  fetch_response::fetchable_topic_response topic;
  topic.topic = "t";
  fetch_response::partition_data with_data;
  with_data.partition_index = 1;
  with_data.error_code = 0;
  with_data.high_watermark = 500;
  with_data.last_stable_offset = 480;
  if (v >= 5) with_data.log_start_offset = 7;
  with_data.aborted_transactions = {{1234, 400}, {1235, 450}};
  if (v >= 11) with_data.preferred_read_replica = 2;
  with_data.records.null = false;
  with_data.records.bytes = record_bytes;
  topic.partitions.push_back(with_data);
  fetch_response::partition_data failed;
  failed.partition_index = 2;
  failed.error_code = 6;  // NOT_LEADER_OR_FOLLOWER
  failed.high_watermark = -1;
  failed.last_stable_offset = -2;
  if (v >= 5) failed.log_start_offset = -2;
  failed.aborted_transactions = std::nullopt;
  if (v >= 11) failed.preferred_read_replica = 3;
  topic.partitions.push_back(failed);  // records stay null
  m.responses.push_back(topic);
  return m;
}

list_offsets_request make_list_offsets_request(int16_t v) {
  list_offsets_request m;
  m.replica_id = -1;
  if (v >= 2) m.isolation_level = 1;
  list_offsets_request::list_offsets_partition p;
  p.partition_index = 3;
  if (v >= 4) p.current_leader_epoch = 9;
  p.timestamp = v >= 7 ? -3 : -2;
  m.topics.push_back({"t", {p, {4, p.current_leader_epoch, 1700000000000}}});
  return m;
}

list_offsets_response make_list_offsets_response(int16_t v) {
  list_offsets_response m;
  if (v >= 2) m.throttle_time_ms = 5;
  list_offsets_response::list_offsets_partition_response p;
  p.partition_index = 3;
  p.error_code = 0;
  p.timestamp = 1700000000000;
  p.offset = 42;
  if (v >= 4) p.leader_epoch = 9;
  m.topics.push_back({"t", {p}});
  return m;
}

metadata_request make_metadata_request(int16_t v) {
  metadata_request m;
  m.topics.emplace();
  metadata_request::metadata_request_topic a;
  a.name = "alpha";
  if (v >= 10) a.topic_id = test_uuid(1);
  m.topics->push_back(a);
  metadata_request::metadata_request_topic b;
  b.name = "beta";
  if (v >= 10) b.topic_id = test_uuid(2);
  if (v >= 12) b.name = std::nullopt;  // named by id only
  m.topics->push_back(b);
  if (v >= 4) m.allow_auto_topic_creation = false;
  if (v >= 8 && v <= 10) m.include_cluster_authorized_operations = true;
  if (v >= 8) m.include_topic_authorized_operations = true;
  return m;
}

metadata_response make_metadata_response(int16_t v) {
  metadata_response m;
  if (v >= 3) m.throttle_time_ms = 9;
  metadata_response::metadata_response_broker broker{1, "host-1", 9092, std::nullopt};
  if (v >= 1) broker.rack = "rack-a";
  m.brokers.push_back(broker);
  m.brokers.push_back({2, "host-2", 9093, std::nullopt});
  if (v >= 2) m.cluster_id = "cluster";
  if (v >= 1) m.controller_id = 1;
  metadata_response::metadata_response_topic topic;
  topic.error_code = 0;
  topic.name = "t";
  if (v >= 10) topic.topic_id = test_uuid(7);
  if (v >= 1) topic.is_internal = true;
  metadata_response::metadata_response_partition p;
  p.error_code = 9;  // REPLICA_NOT_AVAILABLE
  p.partition_index = 4;
  p.leader_id = 1;
  if (v >= 7) p.leader_epoch = 3;
  p.replica_nodes = {1, 2};
  p.isr_nodes = {1};
  if (v >= 5) p.offline_replicas = {2};
  topic.partitions.push_back(p);
  if (v >= 8) topic.topic_authorized_operations = 0x0ff8;
  m.topics.push_back(topic);
  metadata_response::metadata_response_topic unknown;
  unknown.error_code = 3;  // UNKNOWN_TOPIC_OR_PARTITION
  unknown.name = "missing";
  if (v >= 12) unknown.name = std::nullopt;
  m.topics.push_back(unknown);
  if (v >= 8 && v <= 10) m.cluster_authorized_operations = 0x0100;
  return m;
}

offset_for_leader_epoch_request make_offset_for_leader_epoch_request(int16_t v) {
  offset_for_leader_epoch_request m;
  if (v >= 3) m.replica_id = -1;
  offset_for_leader_epoch_request::offset_for_leader_partition p;
  p.partition = 2;
  if (v >= 2) p.current_leader_epoch = 8;
  p.leader_epoch = 6;
  m.topics.push_back({"t", {p}});
  return m;
}

offset_for_leader_epoch_response make_offset_for_leader_epoch_response(int16_t v) {
  offset_for_leader_epoch_response m;
  if (v >= 2) m.throttle_time_ms = 4;
  offset_for_leader_epoch_response::epoch_end_offset p;
  p.error_code = 74;  // FENCED_LEADER_EPOCH
  p.partition = 2;
  if (v >= 1) p.leader_epoch = 6;
  p.end_offset = 1234;
  m.topics.push_back({"t", {p}});
  return m;
}

delete_records_request make_delete_records_request(int16_t) {
  delete_records_request m;
  m.topics.push_back({"t", {{0, 100}, {1, -1}}});
  m.timeout_ms = 30000;
  return m;
}

delete_records_response make_delete_records_response(int16_t) {
  delete_records_response m;
  m.throttle_time_ms = 3;
  m.topics.push_back({"t", {{0, 100, 0}, {1, 0, 1}}});
  return m;
}

// ---- round trips ----

TEST(data_messages, fetch_round_trips) {
  check_round_trips<fetch_request>(api_key::fetch, 4, 12, make_fetch_request);
  check_round_trips<fetch_response>(api_key::fetch, 4, 12, make_fetch_response);
}

TEST(data_messages, list_offsets_round_trips) {
  check_round_trips<list_offsets_request>(api_key::list_offsets, 1, 7, make_list_offsets_request);
  check_round_trips<list_offsets_response>(api_key::list_offsets, 1, 7, make_list_offsets_response);
}

TEST(data_messages, metadata_round_trips) {
  check_round_trips<metadata_request>(api_key::metadata, 0, 12, make_metadata_request);
  check_round_trips<metadata_response>(api_key::metadata, 0, 12, make_metadata_response);
}

TEST(data_messages, offset_for_leader_epoch_round_trips) {
  check_round_trips<offset_for_leader_epoch_request>(api_key::offset_for_leader_epoch, 0, 4,
                                                     make_offset_for_leader_epoch_request);
  check_round_trips<offset_for_leader_epoch_response>(api_key::offset_for_leader_epoch, 0, 4,
                                                      make_offset_for_leader_epoch_response);
}

TEST(data_messages, delete_records_round_trips) {
  check_round_trips<delete_records_request>(api_key::delete_records, 0, 2,
                                            make_delete_records_request);
  check_round_trips<delete_records_response>(api_key::delete_records, 0, 2,
                                             make_delete_records_response);
}

// ---- truncation ----

TEST(data_messages, truncated_requests_fail) {
  check_truncations<fetch_request>(api_key::fetch, 4, 12, make_fetch_request);
  check_truncations<list_offsets_request>(api_key::list_offsets, 1, 7, make_list_offsets_request);
  check_truncations<metadata_request>(api_key::metadata, 0, 12, make_metadata_request);
  check_truncations<offset_for_leader_epoch_request>(api_key::offset_for_leader_epoch, 0, 4,
                                                     make_offset_for_leader_epoch_request);
  check_truncations<delete_records_request>(api_key::delete_records, 0, 2,
                                            make_delete_records_request);
}

TEST(data_messages, truncated_responses_fail) {
  check_truncations<fetch_response>(api_key::fetch, 4, 12, make_fetch_response);
  check_truncations<metadata_response>(api_key::metadata, 0, 12, make_metadata_response);
}

// ---- hand-written bytes (derived from the spec, one field per line) ----

TEST(data_messages, fetch_v4_request_bytes) {
  fetch_request m;
  m.replica_id = -1;
  m.max_wait_ms = 500;
  m.min_bytes = 1;
  m.max_bytes = 1 << 20;
  m.isolation_level = 1;
  fetch_request::fetch_partition p;
  p.partition = 0;
  p.fetch_offset = 5;
  p.partition_max_bytes = 65536;
  m.topics.push_back({"t", {p}});
  // clang-format off
  const auto bytes = bytes_of({
      0xff, 0xff, 0xff, 0xff,  // replica_id
      0, 0, 0x01, 0xf4,        // max_wait_ms
      0, 0, 0, 1,              // min_bytes
      0, 0x10, 0, 0,           // max_bytes
      1,                       // isolation_level
      0, 0, 0, 1,              // topics[1]
      0, 1, 't',               // topic
      0, 0, 0, 1,              // partitions[1]
      0, 0, 0, 0,              // partition
      0, 0, 0, 0, 0, 0, 0, 5,  // fetch_offset; no log_start_offset before v5
      0, 1, 0, 0,              // partition_max_bytes
  });
  // clang-format on
  check_golden(api_key::fetch, 4, m, bytes);
}

// v12 is flexible; the request's ClusterId is a tagged field, so it must not
// appear in the body, and a client that sends it must still be understood.
TEST(data_messages, fetch_v12_request_bytes_and_tagged_cluster_id) {
  fetch_request m;
  m.replica_id = -1;
  m.max_wait_ms = 500;
  m.min_bytes = 1;
  m.session_id = 7;
  m.session_epoch = 2;
  m.topics.push_back({"t", {{0, 3, 5, 2, -1, 65536}}});
  m.forgotten_topics_data.push_back({"u", {1, 2}});
  m.rack_id = "r";
  // clang-format off
  const auto body = bytes_of({
      0xff, 0xff, 0xff, 0xff,  // replica_id
      0, 0, 0x01, 0xf4,        // max_wait_ms
      0, 0, 0, 1,              // min_bytes
      0x7f, 0xff, 0xff, 0xff,  // max_bytes (default)
      0,                       // isolation_level
      0, 0, 0, 7,              // session_id
      0, 0, 0, 2,              // session_epoch
      2,                       // topics[1] (compact: n + 1)
      2, 't',                  // topic (compact: length + 1)
      2,                       // partitions[1]
      0, 0, 0, 0,              // partition
      0, 0, 0, 3,              // current_leader_epoch
      0, 0, 0, 0, 0, 0, 0, 5,  // fetch_offset
      0, 0, 0, 2,              // last_fetched_epoch
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // log_start_offset
      0, 1, 0, 0,              // partition_max_bytes
      0,                       // partition tags
      0,                       // topic tags
      2,                       // forgotten_topics_data[1]
      2, 'u',                  // topic
      3, 0, 0, 0, 1, 0, 0, 0, 2,  // partitions [1, 2]
      0,                       // forgotten topic tags
      2, 'r',                  // rack_id
  });
  // clang-format on
  auto plain = body;
  plain.push_back(std::byte{0});  // no tags
  check_golden(api_key::fetch, 12, m, plain);
  // One tag: ClusterId (tag 0), 3 bytes long: the compact string "c1".
  auto tagged = body;
  for (auto b : bytes_of({1, 0, 3, 3, 'c', '1'})) tagged.push_back(b);
  EXPECT_TRUE(decode<fetch_request>(api_key::fetch, 12, tagged) == m);
}

TEST(data_messages, fetch_v4_response_bytes) {
  fetch_response m;
  fetch_response::partition_data p;
  p.high_watermark = 10;
  p.last_stable_offset = 10;
  p.aborted_transactions = std::nullopt;
  auto recs = bytes_of({1, 2, 3});
  p.records.null = false;
  p.records.bytes = recs;
  m.responses.push_back({"t", {p}});
  // clang-format off
  const auto bytes = bytes_of({
      0, 0, 0, 0,               // throttle_time_ms
      0, 0, 0, 1,               // responses[1]
      0, 1, 't',                // topic
      0, 0, 0, 1,               // partitions[1]
      0, 0, 0, 0,               // partition_index
      0, 0,                     // error_code
      0, 0, 0, 0, 0, 0, 0, 10,  // high_watermark
      0, 0, 0, 0, 0, 0, 0, 10,  // last_stable_offset
      0xff, 0xff, 0xff, 0xff,   // aborted_transactions: null
      0, 0, 0, 3, 1, 2, 3,      // records
  });
  // clang-format on
  check_golden(api_key::fetch, 4, m, bytes);
}

TEST(data_messages, fetch_v12_response_bytes) {
  fetch_response m;
  m.session_id = 9;
  fetch_response::partition_data p;
  p.partition_index = 1;
  p.high_watermark = 10;
  p.last_stable_offset = 8;
  p.log_start_offset = 0;
  p.aborted_transactions = {{4, 6}};
  m.responses.push_back({"t", {p}});  // records null
  // clang-format off
  const auto bytes = bytes_of({
      0, 0, 0, 0,               // throttle_time_ms
      0, 0,                     // error_code
      0, 0, 0, 9,               // session_id
      2,                        // responses[1]
      2, 't',                   // topic
      2,                        // partitions[1]
      0, 0, 0, 1,               // partition_index
      0, 0,                     // error_code
      0, 0, 0, 0, 0, 0, 0, 10,  // high_watermark
      0, 0, 0, 0, 0, 0, 0, 8,   // last_stable_offset
      0, 0, 0, 0, 0, 0, 0, 0,   // log_start_offset
      2,                        // aborted_transactions[1]
      0, 0, 0, 0, 0, 0, 0, 4,   //   producer_id
      0, 0, 0, 0, 0, 0, 0, 6,   //   first_offset
      0,                        //   tags
      0xff, 0xff, 0xff, 0xff,   // preferred_read_replica
      0,                        // records: null
      0,                        // partition tags (no DivergingEpoch etc.)
      0,                        // topic tags
      0,                        // tags
  });
  // clang-format on
  check_golden(api_key::fetch, 12, m, bytes);
}

// The broker answers Fetch with file ranges; they must be spliced in exactly
// where the records' bytes belong, after their length.
TEST(data_messages, fetch_response_records_may_be_file_chunks) {
  fetch_response m;
  fetch_response::partition_data p;
  p.records.null = false;
  p.records.chunks.push_back({nullptr, 4096, 100});
  p.records.chunks.push_back({nullptr, 0, 20});
  m.responses.push_back({"t", {p}});
  writer w;
  encode_body(w, m, 12, true);
  // 4 + 2 + 4 + (1 + 2 + 1) + 4 + 2 + 8 + 8 + 8 + 1 (empty aborted) + 4 = 49,
  // then the records' length as a one-byte uvarint: 120 + 1.
  const size_t records_at = 50;
  ASSERT_EQ(w.pieces().size(), 2u);
  EXPECT_EQ(w.pieces()[0].mem_end, records_at);
  EXPECT_EQ(w.pieces()[1].mem_end, records_at);
  EXPECT_EQ(w.buffer()[records_at - 1], std::byte{121});
  EXPECT_EQ(w.total_size(), w.mem_size() + 120);
  EXPECT_EQ(w.mem_size(), records_at + 3);  // partition, topic and top-level tags
}

TEST(data_messages, list_offsets_v1_request_bytes) {
  list_offsets_request m;
  m.replica_id = -1;
  m.topics.push_back({"t", {{0, -1, -2}}});
  // clang-format off
  const auto bytes = bytes_of({
      0xff, 0xff, 0xff, 0xff,  // replica_id; no isolation_level before v2
      0, 0, 0, 1,              // topics[1]
      0, 1, 't',               // name
      0, 0, 0, 1,              // partitions[1]
      0, 0, 0, 0,              // partition_index
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,  // timestamp: earliest
  });
  // clang-format on
  check_golden(api_key::list_offsets, 1, m, bytes);
}

TEST(data_messages, list_offsets_v6_response_bytes) {
  list_offsets_response m;
  m.topics.push_back({"t", {{0, 0, -1, 42, 3}}});
  // clang-format off
  const auto bytes = bytes_of({
      0, 0, 0, 0,               // throttle_time_ms
      2,                        // topics[1]
      2, 't',                   // name
      2,                        // partitions[1]
      0, 0, 0, 0,               // partition_index
      0, 0,                     // error_code
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // timestamp
      0, 0, 0, 0, 0, 0, 0, 42,  // offset
      0, 0, 0, 3,               // leader_epoch
      0, 0, 0,                  // partition, topic, top-level tags
  });
  // clang-format on
  check_golden(api_key::list_offsets, 6, m, bytes);
}

// v0: an empty array means "all topics", and there is no null to send.
TEST(data_messages, metadata_v0_and_v1_request_bytes) {
  metadata_request all;
  all.topics = std::nullopt;
  EXPECT_EQ(encode(api_key::metadata, 0, all), bytes_of({0, 0, 0, 0}));
  check_golden(api_key::metadata, 1, all, bytes_of({0xff, 0xff, 0xff, 0xff}));
  metadata_request one;
  one.topics.emplace();
  one.topics->push_back({{}, "ab"});
  check_golden(api_key::metadata, 1, one, bytes_of({0, 0, 0, 1, 0, 2, 'a', 'b'}));
}

TEST(data_messages, metadata_v9_request_bytes) {
  metadata_request m;
  m.topics.emplace();
  m.topics->push_back({{}, "ab"});
  m.allow_auto_topic_creation = false;
  m.include_cluster_authorized_operations = true;
  // clang-format off
  const auto bytes = bytes_of({
      2,              // topics[1]
      3, 'a', 'b',    // name
      0,              // topic tags
      0,              // allow_auto_topic_creation
      1,              // include_cluster_authorized_operations
      0,              // include_topic_authorized_operations
      0,              // tags
  });
  // clang-format on
  check_golden(api_key::metadata, 9, m, bytes);
}

// v12: a topic named by id with a null name; include_cluster_authorized_
// operations is gone (v8-10 only).
TEST(data_messages, metadata_v12_request_bytes) {
  metadata_request m;
  m.topics.emplace();
  m.topics->push_back({test_uuid(1), std::nullopt});
  m.include_topic_authorized_operations = true;
  // clang-format off
  const auto bytes = bytes_of({
      2,                                                 // topics[1]
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,  // topic_id
      0,                                                 // name: null
      0,                                                 // topic tags
      1,                                                 // allow_auto_topic_creation
      1,                                                 // include_topic_authorized_operations
      0,                                                 // tags
  });
  // clang-format on
  check_golden(api_key::metadata, 12, m, bytes);
}

TEST(data_messages, metadata_v0_response_bytes) {
  metadata_response m;
  m.brokers.push_back({1, "h", 9092, std::nullopt});
  m.topics.push_back({0, "t", {}, false, {{0, 0, 1, -1, {1}, {1}, {}}}, INT32_MIN});
  // clang-format off
  const auto bytes = bytes_of({
      0, 0, 0, 1,              // brokers[1]
      0, 0, 0, 1,              // node_id
      0, 1, 'h',               // host
      0, 0, 0x23, 0x84,        // port 9092
      0, 0, 0, 1,              // topics[1]
      0, 0,                    // error_code
      0, 1, 't',               // name
      0, 0, 0, 1,              // partitions[1]
      0, 0,                    // error_code
      0, 0, 0, 0,              // partition_index
      0, 0, 0, 1,              // leader_id
      0, 0, 0, 1, 0, 0, 0, 1,  // replica_nodes [1]
      0, 0, 0, 1, 0, 0, 0, 1,  // isr_nodes [1]
  });
  // clang-format on
  check_golden(api_key::metadata, 0, m, bytes);
}

TEST(data_messages, metadata_v12_response_bytes) {
  metadata_response m;
  m.brokers.push_back({1, "h", 9092, std::nullopt});
  m.cluster_id = "c";
  m.controller_id = 1;
  m.topics.push_back({0, std::nullopt, test_uuid(0xa0), false, {}, 0x0800});
  // clang-format off
  const auto bytes = bytes_of({
      0, 0, 0, 0,                                      // throttle_time_ms
      2,                                               // brokers[1]
      0, 0, 0, 1,                                      // node_id
      2, 'h',                                          // host
      0, 0, 0x23, 0x84,                                // port
      0,                                               // rack: null
      0,                                               // broker tags
      2, 'c',                                          // cluster_id
      0, 0, 0, 1,                                      // controller_id
      2,                                               // topics[1]
      0, 0,                                            // error_code
      0,                                               // name: null
      0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,  // topic_id
      0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,  //
      0,                                               // is_internal
      1,                                               // partitions[0]
      0, 0, 0x08, 0,                                   // topic_authorized_operations
      0,                                               // topic tags
      0,  // tags; no cluster_authorized_operations after v10
  });
  // clang-format on
  check_golden(api_key::metadata, 12, m, bytes);
}

TEST(data_messages, offset_for_leader_epoch_v0_request_bytes) {
  offset_for_leader_epoch_request m;
  m.topics.push_back({"t", {{0, -1, 5}}});
  // clang-format off
  const auto bytes = bytes_of({
      0, 0, 0, 1,  // topics[1]; no replica_id before v3
      0, 1, 't',   // topic
      0, 0, 0, 1,  // partitions[1]
      0, 0, 0, 0,  // partition; no current_leader_epoch before v2
      0, 0, 0, 5,  // leader_epoch
  });
  // clang-format on
  check_golden(api_key::offset_for_leader_epoch, 0, m, bytes);
}

TEST(data_messages, offset_for_leader_epoch_v4_bytes) {
  offset_for_leader_epoch_request req;
  req.topics.push_back({"t", {{1, 4, 3}}});
  // clang-format off
  const auto req_bytes = bytes_of({
      0xff, 0xff, 0xff, 0xfe,  // replica_id (default -2)
      2,                       // topics[1]
      2, 't',                  // topic
      2,                       // partitions[1]
      0, 0, 0, 1,              // partition
      0, 0, 0, 4,              // current_leader_epoch
      0, 0, 0, 3,              // leader_epoch
      0, 0, 0,                 // partition, topic, top-level tags
  });
  // clang-format on
  check_golden(api_key::offset_for_leader_epoch, 4, req, req_bytes);
  offset_for_leader_epoch_response resp;
  resp.topics.push_back({"t", {{0, 0, 5, 100}}});
  // clang-format off
  const auto resp_bytes = bytes_of({
      0, 0, 0, 0,                // throttle_time_ms
      2,                         // topics[1]
      2, 't',                    // topic
      2,                         // partitions[1]
      0, 0,                      // error_code: before the partition, unusually
      0, 0, 0, 0,                // partition
      0, 0, 0, 5,                // leader_epoch
      0, 0, 0, 0, 0, 0, 0, 100,  // end_offset
      0, 0, 0,                   // partition, topic, top-level tags
  });
  // clang-format on
  check_golden(api_key::offset_for_leader_epoch, 4, resp, resp_bytes);
}

TEST(data_messages, delete_records_bytes) {
  delete_records_request req;
  req.topics.push_back({"t", {{0, 100}}});
  req.timeout_ms = 1000;
  // clang-format off
  const auto req_bytes = bytes_of({
      0, 0, 0, 1,                // topics[1]
      0, 1, 't',                 // name
      0, 0, 0, 1,                // partitions[1]
      0, 0, 0, 0,                // partition_index
      0, 0, 0, 0, 0, 0, 0, 100,  // offset
      0, 0, 0x03, 0xe8,          // timeout_ms, after the topics
  });
  // clang-format on
  check_golden(api_key::delete_records, 0, req, req_bytes);
  delete_records_response resp;
  resp.topics.push_back({"t", {{0, 100, 0}}});
  // clang-format off
  const auto resp_bytes = bytes_of({
      0, 0, 0, 0,                // throttle_time_ms (present from v0)
      2,                         // topics[1]
      2, 't',                    // name
      2,                         // partitions[1]
      0, 0, 0, 0,                // partition_index
      0, 0, 0, 0, 0, 0, 0, 100,  // low_watermark
      0, 0,                      // error_code
      0, 0, 0,                   // partition, topic, top-level tags
  });
  // clang-format on
  check_golden(api_key::delete_records, 2, resp, resp_bytes);
}

}  // namespace
}  // namespace runnel::kafka
