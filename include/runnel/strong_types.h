// Strong types for the numbers that must never be mixed up: offsets,
// timestamps, partition ids, producer ids and epochs (DESIGN.md decision 7).
//
// Each is a distinct type wrapping one integer; arithmetic is limited to what
// makes sense (an offset plus a count is an offset; two offsets give a count).
//
// Public, because the client API (runnel/client/message.h) exposes them;
// runnel's own modules use the same types as runnel::model::offset etc.
// (src/model/strong_types.h).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace runnel {

template <class Tag, class Rep>
struct strong {
  using rep = Rep;
  Rep value{};

  constexpr strong() = default;
  constexpr explicit strong(Rep v) : value(v) {}
  constexpr Rep operator()() const { return value; }
  friend constexpr auto operator<=>(strong, strong) = default;
};

// A position in a partition log. Offsets are dense for appends; compaction
// leaves gaps.
struct offset : strong<struct offset_tag, int64_t> {
  using strong::strong;
  constexpr offset operator+(int64_t n) const { return offset{value + n}; }
  constexpr offset operator-(int64_t n) const { return offset{value - n}; }
  constexpr int64_t operator-(offset o) const { return value - o.value; }
  offset& operator++() {
    ++value;
    return *this;
  }
};

// Milliseconds since the Unix epoch, as Kafka timestamps are.
struct timestamp : strong<struct timestamp_tag, int64_t> {
  using strong::strong;
  static constexpr timestamp missing() { return timestamp{-1}; }
};

struct partition_id : strong<struct partition_tag, int32_t> {
  using strong::strong;
};
struct producer_id : strong<struct producer_id_tag, int64_t> {
  using strong::strong;
  static constexpr producer_id none() { return producer_id{-1}; }
};
struct producer_epoch : strong<struct producer_epoch_tag, int16_t> {
  using strong::strong;
};
struct leader_epoch : strong<struct leader_epoch_tag, int32_t> {
  using strong::strong;
};

}  // namespace runnel

template <>
struct std::hash<runnel::offset> {
  size_t operator()(runnel::offset o) const noexcept { return std::hash<int64_t>{}(o.value); }
};
template <>
struct std::hash<runnel::producer_id> {
  size_t operator()(runnel::producer_id p) const noexcept { return std::hash<int64_t>{}(p.value); }
};
