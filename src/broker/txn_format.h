// Records of the internal topic __transaction_state: the transaction
// coordinator's durable state, one record per transactional id, the newest
// winning (the topic is compacted). The byte layout is specified in
// docs/format/transaction-state.md; this header holds its constants; change
// both together.
//
// Keys and values use Kafka's classic protocol encoding (big-endian
// integers, int16-length strings), as __consumer_offsets does. A null value
// (a tombstone) forgets the transactional id (transactional.id.expiration.ms).
//
// Pure computation on bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::broker::txn_format {

inline constexpr std::string_view topic_name = "__transaction_state";
// Kafka's transaction.state.log.segment.bytes default.
inline constexpr int64_t segment_bytes = 100 * 1024 * 1024;

inline constexpr int16_t key_version = 0;
inline constexpr int16_t value_version = 0;

// Kafka's transaction states, with Kafka's numbers (the value's status
// byte) and names (DescribeTransactions, ListTransactions filters).
// PrepareEpochFence is held only in memory while a producer is being fenced;
// it is never written.
enum class txn_state : int8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
  prepare_epoch_fence = 7,
};
std::string_view state_name(txn_state s);
std::optional<txn_state> state_from_name(std::string_view name);

// The partitions of a transaction, by topic.
using partition_set = std::map<std::string, std::vector<int32_t>>;

struct txn_value {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 0;
  txn_state state = txn_state::empty;
  partition_set partitions;
  int64_t last_update_ms = -1;
  int64_t start_ms = -1;  // when the ongoing transaction began; -1 if none
  // What a retry of InitProducerId may still name (KIP-360): the producer id
  // before the last rotation and the epoch before the last bump.
  int64_t last_producer_id = -1;
  int16_t last_producer_epoch = -1;
  bool operator==(const txn_value&) const = default;
};

std::vector<std::byte> encode_key(std::string_view transactional_id);
std::vector<std::byte> encode_value(const txn_value& v);
// nullopt if the bytes do not parse or the version is unknown.
std::optional<std::string> decode_key(std::span<const std::byte> b);
std::optional<txn_value> decode_value(std::span<const std::byte> b);

}  // namespace runnel::broker::txn_format
