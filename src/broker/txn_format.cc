#include "broker/txn_format.h"

#include <array>

#include "kafka/wire.h"

namespace runnel::broker::txn_format {

namespace {

constexpr bool classic = false;  // int16/int32 length prefixes, no tagged fields

constexpr std::array<std::string_view, 8> names = {
    "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence",
};

}  // namespace

std::string_view state_name(txn_state s) {
  const auto i = size_t(s);
  return i < names.size() ? names[i] : "Unknown";
}

std::optional<txn_state> state_from_name(std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return txn_state(i);
  return std::nullopt;
}

std::vector<std::byte> encode_key(std::string_view transactional_id) {
  kafka::writer w;
  w.i16(key_version);
  w.string(transactional_id, classic);
  return std::move(w.buffer());
}

std::vector<std::byte> encode_value(const txn_value& v) {
  kafka::writer w;
  w.i16(value_version);
  w.i64(v.producer_id);
  w.i16(v.producer_epoch);
  w.i32(v.timeout_ms);
  w.i8(int8_t(v.state));
  w.array_length(int32_t(v.partitions.size()), classic);
  for (const auto& [topic, parts] : v.partitions) {
    w.string(topic, classic);
    w.array_length(int32_t(parts.size()), classic);
    for (int32_t p : parts) w.i32(p);
  }
  w.i64(v.last_update_ms);
  w.i64(v.start_ms);
  w.i64(v.last_producer_id);
  w.i16(v.last_producer_epoch);
  return std::move(w.buffer());
}

std::optional<std::string> decode_key(std::span<const std::byte> b) {
  std::vector<std::byte> copy(b.begin(), b.end());
  kafka::reader r(copy);
  if (r.i16() != key_version) return std::nullopt;
  std::string id = r.string(classic);
  if (!r.ok() || r.remaining() != 0) return std::nullopt;
  return id;
}

std::optional<txn_value> decode_value(std::span<const std::byte> b) {
  std::vector<std::byte> copy(b.begin(), b.end());
  kafka::reader r(copy);
  if (r.i16() != value_version) return std::nullopt;
  txn_value v;
  v.producer_id = r.i64();
  v.producer_epoch = r.i16();
  v.timeout_ms = r.i32();
  const int8_t state = r.i8();
  if (state < 0 || state > int8_t(txn_state::prepare_epoch_fence)) return std::nullopt;
  v.state = txn_state(state);
  const int32_t topics = r.array_length(classic, 6);  // name length + partition count
  if (!r.ok() || topics < 0) return std::nullopt;
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    std::string topic = r.string(classic);
    const int32_t n = r.array_length(classic, 4);
    if (!r.ok() || n < 0) return std::nullopt;
    auto& parts = v.partitions[topic];
    for (int32_t k = 0; k < n && r.ok(); ++k) parts.push_back(r.i32());
  }
  v.last_update_ms = r.i64();
  v.start_ms = r.i64();
  v.last_producer_id = r.i64();
  v.last_producer_epoch = r.i16();
  if (!r.ok() || r.remaining() != 0) return std::nullopt;
  return v;
}

}  // namespace runnel::broker::txn_format
