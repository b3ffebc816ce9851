#include "broker/offsets_format.h"

#include "kafka/wire.h"

namespace runnel::broker::offsets_format {

namespace {

constexpr bool classic = false;  // int16/int32 length prefixes, no tagged fields

std::vector<std::byte> take(kafka::writer& w) {
  return std::move(w.buffer());
}

// kafka::reader wants a mutable span; decoding never writes, but a copy keeps
// the contract honest for the few bytes a key or value holds.
struct owned_reader {
  explicit owned_reader(std::span<const std::byte> b) : copy(b.begin(), b.end()), r(copy) {}
  std::vector<std::byte> copy;
  kafka::reader r;
};

std::vector<std::byte> to_vec(std::span<std::byte> s) {
  return {s.begin(), s.end()};
}

}  // namespace

std::vector<std::byte> encode_key(const offset_key& k) {
  kafka::writer w;
  w.i16(offset_key_version);
  w.string(k.group, classic);
  w.string(k.topic, classic);
  w.i32(k.partition);
  return take(w);
}

std::vector<std::byte> encode_key(const group_key& k) {
  kafka::writer w;
  w.i16(group_key_version);
  w.string(k.group, classic);
  return take(w);
}

std::vector<std::byte> encode_value(const offset_value& v) {
  kafka::writer w;
  w.i16(offset_value_version);
  w.i64(v.offset);
  w.i32(v.leader_epoch);
  w.string(v.metadata, classic);
  w.i64(v.commit_timestamp);
  return take(w);
}

std::vector<std::byte> encode_value(const group_value& v) {
  kafka::writer w;
  w.i16(group_value_version);
  w.string(v.protocol_type, classic);
  w.i32(v.generation);
  w.nullable_string(v.protocol, classic);
  w.nullable_string(v.leader, classic);
  w.i64(v.state_timestamp);
  w.array_length(int32_t(v.members.size()), classic);
  for (const auto& m : v.members) {
    w.string(m.member_id, classic);
    w.nullable_string(m.group_instance_id, classic);
    w.string(m.client_id, classic);
    w.string(m.client_host, classic);
    w.i32(m.rebalance_timeout_ms);
    w.i32(m.session_timeout_ms);
    w.bytes(m.subscription, classic);
    w.bytes(m.assignment, classic);
  }
  return take(w);
}

std::optional<record_key> decode_key(std::span<const std::byte> b) {
  owned_reader o(b);
  auto& r = o.r;
  const int16_t version = r.i16();
  if (!r.ok()) return std::nullopt;
  if (version == offset_key_version || version == 0) {
    offset_key k;
    k.group = r.string(classic);
    k.topic = r.string(classic);
    k.partition = r.i32();
    if (!r.ok()) return std::nullopt;
    return k;
  }
  if (version == group_key_version) {
    group_key k;
    k.group = r.string(classic);
    if (!r.ok()) return std::nullopt;
    return k;
  }
  return std::nullopt;
}

std::optional<offset_value> decode_offset_value(std::span<const std::byte> b) {
  owned_reader o(b);
  auto& r = o.r;
  const int16_t version = r.i16();
  if (version != offset_value_version) return std::nullopt;
  offset_value v;
  v.offset = r.i64();
  v.leader_epoch = r.i32();
  v.metadata = r.string(classic);
  v.commit_timestamp = r.i64();
  if (!r.ok()) return std::nullopt;
  return v;
}

std::optional<group_value> decode_group_value(std::span<const std::byte> b) {
  owned_reader o(b);
  auto& r = o.r;
  const int16_t version = r.i16();
  if (version != group_value_version) return std::nullopt;
  group_value v;
  v.protocol_type = r.string(classic);
  v.generation = r.i32();
  v.protocol = r.nullable_string(classic);
  v.leader = r.nullable_string(classic);
  v.state_timestamp = r.i64();
  // Each member takes at least 2+2+2+2+4+4+4+4 bytes.
  const int32_t n = r.array_length(classic, 24);
  if (!r.ok() || n < 0) return std::nullopt;
  v.members.reserve(size_t(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    auto& m = v.members.emplace_back();
    m.member_id = r.string(classic);
    m.group_instance_id = r.nullable_string(classic);
    m.client_id = r.string(classic);
    m.client_host = r.string(classic);
    m.rebalance_timeout_ms = r.i32();
    m.session_timeout_ms = r.i32();
    m.subscription = to_vec(r.bytes(classic));
    m.assignment = to_vec(r.bytes(classic));
  }
  if (!r.ok()) return std::nullopt;
  return v;
}

int32_t partition_for(std::string_view group, int32_t partitions) {
  // Java's String.hashCode runs over UTF-16 code units: decode UTF-8 (bytes
  // that are not valid UTF-8 count as one unit each) and re-encode.
  uint32_t h = 0;
  auto mix = [&h](uint32_t unit) { h = 31 * h + unit; };
  const auto* s = reinterpret_cast<const unsigned char*>(group.data());
  const size_t n = group.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0)
      len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c < 0xF0)
      len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c < 0xF8)
      len = 4, cp = c & 0x07;
    bool valid = len == 1 ? c < 0x80 : i + len <= n;
    for (size_t j = 1; valid && j < len; ++j) {
      if ((s[i + j] & 0xC0) != 0x80)
        valid = false;
      else
        cp = (cp << 6) | (s[i + j] & 0x3F);
    }
    if (!valid) {
      mix(c);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      mix(0xD800 + (cp >> 10));
      mix(0xDC00 + (cp & 0x3FF));
    } else {
      mix(cp);
    }
    i += len;
  }
  const auto signed_h = static_cast<int32_t>(h);
  const int32_t abs_h = signed_h == INT32_MIN ? 0 : (signed_h < 0 ? -signed_h : signed_h);
  return partitions > 0 ? abs_h % partitions : 0;
}

}  // namespace runnel::broker::offsets_format
