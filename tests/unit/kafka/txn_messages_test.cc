// Transaction API codecs (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
// TxnOffsetCommit, DescribeTransactions, ListTransactions, and
// FindCoordinator for a transaction coordinator): every version round-trips
// and rejects every truncation, fields appear exactly at the versions the
// spec gives them, and golden bytes written by hand from the JSON schemas
// pin field order and classic vs compact widths.
#include <gtest/gtest.h>

#include "kafka/messages/add_offsets_to_txn.h"
#include "kafka/messages/add_partitions_to_txn.h"
#include "kafka/messages/describe_transactions.h"
#include "kafka/messages/end_txn.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/init_producer_id.h"
#include "kafka/messages/list_transactions.h"
#include "kafka/messages/txn_offset_commit.h"
#include "message_checks.h"

namespace runnel::kafka {
namespace {

using namespace checks;

// ---- makers: a non-default value in every field present at v ----

add_partitions_to_txn_request make_add_partitions_request(int16_t) {
  add_partitions_to_txn_request m;
  m.transactional_id = "txn-a";
  m.producer_id = 4000;
  m.producer_epoch = 3;
  m.topics = {{"orders", {0, 2, 5}}, {"payments", {1}}};
  return m;
}

add_partitions_to_txn_response make_add_partitions_response(int16_t) {
  add_partitions_to_txn_response m;
  m.throttle_time_ms = 5;
  m.results = {{"orders", {{0, 0}, {2, 3}}}, {"payments", {{1, 55}}}};
  return m;
}

add_offsets_to_txn_request make_add_offsets_request(int16_t) {
  add_offsets_to_txn_request m;
  m.transactional_id = "txn-a";
  m.producer_id = 4000;
  m.producer_epoch = 3;
  m.group_id = "group-a";
  return m;
}

add_offsets_to_txn_response make_add_offsets_response(int16_t) {
  add_offsets_to_txn_response m;
  m.throttle_time_ms = 6;
  m.error_code = 51;
  return m;
}

end_txn_request make_end_txn_request(int16_t) {
  end_txn_request m;
  m.transactional_id = "txn-a";
  m.producer_id = 4000;
  m.producer_epoch = 3;
  m.committed = true;
  return m;
}

end_txn_response make_end_txn_response(int16_t) {
  end_txn_response m;
  m.throttle_time_ms = 7;
  m.error_code = 90;
  return m;
}

txn_offset_commit_request make_txn_offset_commit_request(int16_t v) {
  txn_offset_commit_request m;
  m.transactional_id = "txn-a";
  m.group_id = "group-a";
  m.producer_id = 4000;
  m.producer_epoch = 3;
  if (has(v, 3)) {
    m.generation_id = 12;
    m.member_id = "member-1";
    m.group_instance_id = "instance-1";
  }
  txn_offset_commit_request::partition p0;
  p0.partition_index = 0;
  p0.committed_offset = 1234567890123;
  if (has(v, 2)) p0.committed_leader_epoch = 4;
  p0.committed_metadata = "meta";
  auto p1 = p0;
  p1.partition_index = 9;
  p1.committed_metadata = std::nullopt;
  m.topics = {{"orders", {p0, p1}}, {"payments", {p0}}};
  return m;
}

txn_offset_commit_response make_txn_offset_commit_response(int16_t) {
  txn_offset_commit_response m;
  m.throttle_time_ms = 8;
  m.topics = {{"orders", {{0, 0}, {9, 22}}}, {"payments", {{0, 47}}}};
  return m;
}

describe_transactions_request make_describe_request(int16_t) {
  describe_transactions_request m;
  m.transactional_ids = {"txn-a", "txn-b"};
  return m;
}

describe_transactions_response make_describe_response(int16_t) {
  describe_transactions_response m;
  m.throttle_time_ms = 9;
  describe_transactions_response::transaction_state s;
  s.error_code = 0;
  s.transactional_id = "txn-a";
  s.state = "Ongoing";
  s.transaction_timeout_ms = 60000;
  s.transaction_start_time_ms = 1700000000000;
  s.producer_id = 4000;
  s.producer_epoch = 3;
  s.topics = {{"orders", {0, 2}}, {"payments", {1}}};
  describe_transactions_response::transaction_state missing;
  missing.error_code = 105;
  missing.transactional_id = "txn-b";
  m.transaction_states = {s, missing};
  return m;
}

list_transactions_request make_list_request(int16_t) {
  list_transactions_request m;
  m.state_filters = {"Ongoing", "PrepareCommit"};
  m.producer_id_filters = {4000, -7, 1LL << 40};
  return m;
}

list_transactions_response make_list_response(int16_t) {
  list_transactions_response m;
  m.throttle_time_ms = 10;
  m.error_code = 15;
  m.unknown_state_filters = {"Bogus"};
  m.transaction_states = {{"txn-a", 4000, "Ongoing"}, {"txn-b", 4001, "CompleteCommit"}};
  return m;
}

// ---- every version ----

TEST(txn_messages, add_partitions_to_txn_every_version) {
  expect_all_versions<add_partitions_to_txn_request>(api_key::add_partitions_to_txn,
                                                     make_add_partitions_request);
  expect_all_versions<add_partitions_to_txn_response>(api_key::add_partitions_to_txn,
                                                      make_add_partitions_response);
}

TEST(txn_messages, add_offsets_to_txn_every_version) {
  expect_all_versions<add_offsets_to_txn_request>(api_key::add_offsets_to_txn,
                                                  make_add_offsets_request);
  expect_all_versions<add_offsets_to_txn_response>(api_key::add_offsets_to_txn,
                                                   make_add_offsets_response);
}

TEST(txn_messages, end_txn_every_version) {
  expect_all_versions<end_txn_request>(api_key::end_txn, make_end_txn_request);
  expect_all_versions<end_txn_response>(api_key::end_txn, make_end_txn_response);
}

TEST(txn_messages, txn_offset_commit_every_version) {
  expect_all_versions<txn_offset_commit_request>(api_key::txn_offset_commit,
                                                 make_txn_offset_commit_request);
  expect_all_versions<txn_offset_commit_response>(api_key::txn_offset_commit,
                                                  make_txn_offset_commit_response);
}

TEST(txn_messages, describe_transactions_every_version) {
  expect_all_versions<describe_transactions_request>(api_key::describe_transactions,
                                                     make_describe_request);
  expect_all_versions<describe_transactions_response>(api_key::describe_transactions,
                                                      make_describe_response);
}

TEST(txn_messages, list_transactions_every_version) {
  expect_all_versions<list_transactions_request>(api_key::list_transactions, make_list_request);
  expect_all_versions<list_transactions_response>(api_key::list_transactions, make_list_response);
}

TEST(txn_messages, versions_are_one_release_line) {
  // The transaction APIs as Kafka 3.1 advertises them: the flexible
  // versions begin at v3, and the KIP-664 admin APIs are flexible from v0.
  for (auto k : {api_key::add_partitions_to_txn, api_key::add_offsets_to_txn, api_key::end_txn,
                 api_key::txn_offset_commit}) {
    EXPECT_EQ(api(k).min_version, 0);
    EXPECT_EQ(api(k).max_version, 3);
    EXPECT_FALSE(api(k).flexible(2));
    EXPECT_TRUE(api(k).flexible(3));
  }
  for (auto k : {api_key::describe_transactions, api_key::list_transactions}) {
    EXPECT_EQ(api(k).max_version, 0);
    EXPECT_TRUE(api(k).flexible(0));
  }
}

// ---- golden bytes, derived by hand from the JSON schemas ----

TEST(txn_messages, add_partitions_to_txn_request_v0_golden) {
  add_partitions_to_txn_request m;
  m.transactional_id = "t";
  m.producer_id = 7;
  m.producer_epoch = 2;
  m.topics = {{"a", {0, 3}}};
  expect_golden(m, api_key::add_partitions_to_txn, 0,
                cat({bytes_of({0, 1, 't'}),                  // transactional_id
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 7}),     // producer_id
                     bytes_of({0, 2}),                       // producer_epoch
                     bytes_of({0, 0, 0, 1}),                 // topics: int32 count
                     bytes_of({0, 1, 'a'}),                  // name
                     bytes_of({0, 0, 0, 2}),                 // partitions: int32 count
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 3})}));  // 0, 3
}

TEST(txn_messages, add_partitions_to_txn_request_v3_golden) {
  add_partitions_to_txn_request m;
  m.transactional_id = "t";
  m.producer_id = 7;
  m.producer_epoch = 2;
  m.topics = {{"a", {3}}};
  expect_golden(m, api_key::add_partitions_to_txn, 3,
                cat({bytes_of({2, 't'}),                  // transactional_id: compact
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 7}),  // producer_id
                     bytes_of({0, 2}),                    // producer_epoch
                     bytes_of({2}),                       // topics: 1 element
                     bytes_of({2, 'a'}),                  // name
                     bytes_of({2, 0, 0, 0, 3}),           // partitions: [3]
                     bytes_of({0}), bytes_of({0})}));     // topic tags, request tags
}

TEST(txn_messages, add_partitions_to_txn_response_v0_golden) {
  add_partitions_to_txn_response m;
  m.throttle_time_ms = 0;
  m.results = {{"a", {{1, 51}}}};
  expect_golden(m, api_key::add_partitions_to_txn, 0,
                cat({bytes_of({0, 0, 0, 0}),  // throttle_time_ms
                     bytes_of({0, 0, 0, 1}),  // results
                     bytes_of({0, 1, 'a'}),   // name
                     bytes_of({0, 0, 0, 1}),  // results_by_partition
                     bytes_of({0, 0, 0, 1}),  // partition_index
                     bytes_of({0, 51})}));    // CONCURRENT_TRANSACTIONS
}

TEST(txn_messages, end_txn_v0_and_v3_golden) {
  end_txn_request m;
  m.transactional_id = "t";
  m.producer_id = 1;
  m.producer_epoch = 0;
  m.committed = true;
  expect_golden(m, api_key::end_txn, 0,
                cat({bytes_of({0, 1, 't'}), bytes_of({0, 0, 0, 0, 0, 0, 0, 1}), bytes_of({0, 0}),
                     bytes_of({1})}));
  m.committed = false;
  expect_golden(m, api_key::end_txn, 3,
                cat({bytes_of({2, 't'}), bytes_of({0, 0, 0, 0, 0, 0, 0, 1}), bytes_of({0, 0}),
                     bytes_of({0}), bytes_of({0})}));
  end_txn_response r;
  r.error_code = 90;
  expect_golden(r, api_key::end_txn, 1, bytes_of({0, 0, 0, 0, 0, 90}));
}

TEST(txn_messages, txn_offset_commit_request_v3_golden) {
  // v3: generation, member id and instance id (KIP-447) before the topics.
  txn_offset_commit_request m;
  m.transactional_id = "t";
  m.group_id = "g";
  m.producer_id = 1;
  m.producer_epoch = 2;
  m.generation_id = 3;
  m.member_id = "m";
  m.group_instance_id = std::nullopt;
  txn_offset_commit_request::partition p;
  p.partition_index = 0;
  p.committed_offset = 100;
  p.committed_leader_epoch = -1;
  p.committed_metadata = "";
  m.topics = {{"a", {p}}};
  expect_golden(m, api_key::txn_offset_commit, 3,
                cat({bytes_of({2, 't'}),                    // transactional_id
                     bytes_of({2, 'g'}),                    // group_id
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 1}),    // producer_id
                     bytes_of({0, 2}),                      // producer_epoch
                     bytes_of({0, 0, 0, 3}),                // generation_id
                     bytes_of({2, 'm'}),                    // member_id
                     bytes_of({0}),                         // group_instance_id null
                     bytes_of({2}),                         // topics
                     bytes_of({2, 'a'}),                    // name
                     bytes_of({2}),                         // partitions
                     bytes_of({0, 0, 0, 0}),                // partition_index
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 100}),  // committed_offset
                     bytes_of({0xff, 0xff, 0xff, 0xff}),    // committed_leader_epoch
                     bytes_of({1}),                         // committed_metadata ""
                     bytes_of({0, 0, 0})}));                // partition, topic, request tags
}

TEST(txn_messages, txn_offset_commit_request_v0_golden) {
  // v0: no leader epoch, no group membership fields; classic widths.
  txn_offset_commit_request m;
  m.transactional_id = "t";
  m.group_id = "g";
  m.producer_id = 1;
  m.producer_epoch = 2;
  txn_offset_commit_request::partition p;
  p.partition_index = 4;
  p.committed_offset = 5;
  p.committed_metadata = std::nullopt;
  m.topics = {{"a", {p}}};
  expect_golden(
      m, api_key::txn_offset_commit, 0,
      cat({bytes_of({0, 1, 't'}), bytes_of({0, 1, 'g'}), bytes_of({0, 0, 0, 0, 0, 0, 0, 1}),
           bytes_of({0, 2}), bytes_of({0, 0, 0, 1}), bytes_of({0, 1, 'a'}), bytes_of({0, 0, 0, 1}),
           bytes_of({0, 0, 0, 4}), bytes_of({0, 0, 0, 0, 0, 0, 0, 5}),
           bytes_of({0xff, 0xff})}));  // metadata null
}

TEST(txn_messages, list_transactions_golden) {
  list_transactions_request req;
  req.state_filters = {"Ongoing"};
  req.producer_id_filters = {9};
  expect_golden(req, api_key::list_transactions, 0,
                cat({bytes_of({2, 8}), ascii("Ongoing"),     // state_filters
                     bytes_of({2, 0, 0, 0, 0, 0, 0, 0, 9}),  // producer_id_filters
                     bytes_of({0})}));                       // tags
  list_transactions_response resp;
  resp.transaction_states = {{"t", 9, "Empty"}};
  expect_golden(resp, api_key::list_transactions, 0,
                cat({bytes_of({0, 0, 0, 0}),              // throttle_time_ms
                     bytes_of({0, 0}),                    // error_code
                     bytes_of({1}),                       // unknown_state_filters []
                     bytes_of({2}),                       // transaction_states
                     bytes_of({2, 't'}),                  // transactional_id
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 9}),  // producer_id
                     bytes_of({6}), ascii("Empty"),       // transaction_state
                     bytes_of({0}), bytes_of({0})}));     // tags
}

TEST(txn_messages, describe_transactions_response_golden) {
  describe_transactions_response m;
  describe_transactions_response::transaction_state s;
  s.transactional_id = "t";
  s.state = "Ongoing";
  s.transaction_timeout_ms = 1000;
  s.transaction_start_time_ms = 2;
  s.producer_id = 3;
  s.producer_epoch = 4;
  s.topics = {{"a", {5}}};
  m.transaction_states = {s};
  expect_golden(m, api_key::describe_transactions, 0,
                cat({bytes_of({0, 0, 0, 0}),              // throttle_time_ms
                     bytes_of({2}),                       // transaction_states
                     bytes_of({0, 0}),                    // error_code
                     bytes_of({2, 't'}),                  // transactional_id
                     bytes_of({8}), ascii("Ongoing"),     // transaction_state
                     bytes_of({0, 0, 0x03, 0xe8}),        // transaction_timeout_ms
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 2}),  // transaction_start_time_ms
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 3}),  // producer_id
                     bytes_of({0, 4}),                    // producer_epoch
                     bytes_of({2}),                       // topics
                     bytes_of({2, 'a'}),                  // topic
                     bytes_of({2, 0, 0, 0, 5}),           // partitions
                     bytes_of({0, 0, 0})}));              // topic, state, response tags
}

TEST(txn_messages, find_coordinator_for_a_transaction_golden) {
  // v1: key, then key_type 1 (transaction).
  find_coordinator_request m;
  m.key = "t";
  m.key_type = 1;
  expect_golden(m, api_key::find_coordinator, 1, cat({bytes_of({0, 1, 't'}), bytes_of({1})}));
  // v4: key_type, then the batched keys.
  find_coordinator_request b;
  b.key_type = 1;
  b.coordinator_keys = {"t"};
  expect_golden(b, api_key::find_coordinator, 4,
                cat({bytes_of({1}), bytes_of({2}), bytes_of({2, 't'}), bytes_of({0})}));
}

TEST(txn_messages, init_producer_id_with_a_transactional_id_golden) {
  // v4: compact nullable transactional_id, timeout, then the KIP-360 id/epoch.
  init_producer_id_request m;
  m.transactional_id = "t";
  m.transaction_timeout_ms = 60000;
  m.producer_id = 5;
  m.producer_epoch = 1;
  writer w;
  encode_body(w, m, 4, true);
  EXPECT_EQ(w.buffer(), cat({bytes_of({2, 't'}), bytes_of({0, 0, 0xea, 0x60}),
                             bytes_of({0, 0, 0, 0, 0, 0, 0, 5}), bytes_of({0, 1}), bytes_of({0})}));
}

}  // namespace
}  // namespace runnel::kafka
