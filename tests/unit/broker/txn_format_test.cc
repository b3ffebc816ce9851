// __transaction_state records (docs/format/transaction-state.md): golden
// bytes, round trips, and refusal of damaged input.
#include "broker/txn_format.h"

#include <gtest/gtest.h>

namespace runnel::broker::txn_format {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(std::byte(uint8_t(x)));
  return out;
}

TEST(txn_format, key_golden_and_round_trip) {
  EXPECT_EQ(encode_key("ab"), bytes_of({0, 0, 0, 2, 'a', 'b'}));
  EXPECT_EQ(decode_key(encode_key("tid-1")), std::optional<std::string>("tid-1"));
  EXPECT_FALSE(decode_key(bytes_of({0, 1, 0, 1, 'a'})));     // unknown version
  EXPECT_FALSE(decode_key(bytes_of({0, 0, 0, 3, 'a'})));     // truncated
  EXPECT_FALSE(decode_key(bytes_of({0, 0, 0, 1, 'a', 0})));  // trailing bytes
}

TEST(txn_format, value_golden) {
  txn_value v;
  v.producer_id = 1;
  v.producer_epoch = 2;
  v.timeout_ms = 3;
  v.state = txn_state::ongoing;
  v.partitions["t"] = {5};
  v.last_update_ms = 6;
  v.start_ms = 7;
  v.last_producer_id = -1;
  v.last_producer_epoch = 4;
  const auto want = bytes_of({
      0,    0,                                         // version
      0,    0,    0,    0,    0,    0,    0,    1,     // producer_id
      0,    2,                                         // producer_epoch
      0,    0,    0,    3,                             // timeout
      1,                                               // state Ongoing
      0,    0,    0,    1,                             // topics
      0,    1,    't',                                 // topic
      0,    0,    0,    1,    0,    0,    0,    5,     // partitions [5]
      0,    0,    0,    0,    0,    0,    0,    6,     // last_update_ms
      0,    0,    0,    0,    0,    0,    0,    7,     // start_ms
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // last_producer_id -1
      0,    4,                                         // last_producer_epoch
  });
  EXPECT_EQ(encode_value(v), want);
  EXPECT_EQ(decode_value(want), std::optional<txn_value>(v));
}

TEST(txn_format, every_state_round_trips_and_damage_is_refused) {
  for (int s = 0; s <= 7; ++s) {
    txn_value v;
    v.producer_id = 99;
    v.state = txn_state(s);
    v.partitions["a"] = {0, 1, 2};
    v.partitions["b"] = {};
    const auto b = encode_value(v);
    EXPECT_EQ(decode_value(b), std::optional<txn_value>(v));
    for (size_t n = 0; n < b.size(); ++n)
      EXPECT_FALSE(decode_value(std::span(b).first(n))) << s << " " << n;
  }
  txn_value v;
  auto bad = encode_value(v);
  bad[16] = std::byte{9};  // no such state
  EXPECT_FALSE(decode_value(bad));
  EXPECT_EQ(state_name(txn_state::prepare_epoch_fence), "PrepareEpochFence");
  EXPECT_EQ(state_from_name("CompleteAbort"), std::optional(txn_state::complete_abort));
  EXPECT_FALSE(state_from_name("complete_abort"));
}

}  // namespace
}  // namespace runnel::broker::txn_format
