// Records of the internal topic __consumer_offsets: committed offsets and
// group metadata, as keys and values of ordinary Kafka records. The byte
// layout is specified in docs/format/consumer-offsets.md; this header holds
// its constants and change both together.
//
// Keys and values use Kafka's classic (non-flexible) protocol encoding:
// big-endian integers, int16-length strings, int32-length bytes. A value
// that is null (a tombstone) deletes its key: compaction keeps only the
// latest record per key.
//
// Pure computation on bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace runnel::broker::offsets_format {

inline constexpr std::string_view topic_name = "__consumer_offsets";
inline constexpr int32_t default_partitions = 8;
// Kafka's offsets.topic.segment.bytes default.
inline constexpr int64_t segment_bytes = 100 * 1024 * 1024;

// Key versions name the record kind.
inline constexpr int16_t offset_key_version = 1;  // (group, topic, partition)
inline constexpr int16_t group_key_version = 2;   // (group)
// Value versions.
inline constexpr int16_t offset_value_version = 3;
inline constexpr int16_t group_value_version = 3;

struct offset_key {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const offset_key&) const = default;
};

struct group_key {
  std::string group;
  bool operator==(const group_key&) const = default;
};

using record_key = std::variant<offset_key, group_key>;

struct offset_value {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = -1;
  bool operator==(const offset_value&) const = default;
};

struct group_member_value {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::vector<std::byte> subscription;  // protocol metadata for the chosen protocol
  std::vector<std::byte> assignment;
  bool operator==(const group_member_value&) const = default;
};

struct group_value {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t state_timestamp = -1;
  std::vector<group_member_value> members;
  bool operator==(const group_value&) const = default;
};

std::vector<std::byte> encode_key(const offset_key& k);
std::vector<std::byte> encode_key(const group_key& k);
std::vector<std::byte> encode_value(const offset_value& v);
std::vector<std::byte> encode_value(const group_value& v);

// nullopt if the bytes do not parse or the version is unknown.
std::optional<record_key> decode_key(std::span<const std::byte> b);
std::optional<offset_value> decode_offset_value(std::span<const std::byte> b);
std::optional<group_value> decode_group_value(std::span<const std::byte> b);

// The __consumer_offsets partition of a group: Kafka's rule, the absolute
// value of Java's String.hashCode of the group id modulo the partition
// count, so a group lands where it would on Kafka.
int32_t partition_for(std::string_view group, int32_t partitions);

}  // namespace runnel::broker::offsets_format
