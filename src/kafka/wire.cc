#include "kafka/wire.h"

#include <bit>
#include <cstring>

#include "model/endian.h"

namespace runnel::kafka {

using model::load_be;
using model::store_be;

std::span<std::byte> reader::take(size_t n) {
  if (!ok_ || n > remaining()) {
    ok_ = false;
    return {};
  }
  auto s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

#define RUNNEL_READ_BE(T)    \
  auto s = take(sizeof(T));  \
  if (s.empty()) return T{}; \
  return load_be<T>(s.data());

int8_t reader::i8(){RUNNEL_READ_BE(int8_t)} int16_t reader::i16(){
    RUNNEL_READ_BE(int16_t)} int32_t reader::i32(){RUNNEL_READ_BE(int32_t)} int64_t reader::i64(){
    RUNNEL_READ_BE(int64_t)} uint16_t reader::u16(){
    RUNNEL_READ_BE(uint16_t)} uint32_t reader::u32() {
  RUNNEL_READ_BE(uint32_t)
}
#undef RUNNEL_READ_BE

double reader::f64() {
  return std::bit_cast<double>(uint64_t(i64()));
}

uint32_t reader::uvarint() {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    auto s = take(1);
    if (s.empty()) return 0;
    const auto b = uint8_t(s[0]);
    v |= uint32_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  ok_ = false;
  return 0;
}

int32_t reader::varint() {
  const uint32_t u = uvarint();
  return int32_t((u >> 1) ^ (~(u & 1) + 1));
}

int64_t reader::varlong() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    auto s = take(1);
    if (s.empty()) return 0;
    const auto b = uint8_t(s[0]);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return int64_t((v >> 1) ^ (~(v & 1) + 1));
  }
  ok_ = false;
  return 0;
}

uuid reader::read_uuid() {
  uuid u{};
  auto s = take(16);
  if (!s.empty()) std::memcpy(u.data(), s.data(), 16);
  return u;
}

std::optional<std::span<std::byte>> reader::nullable_bytes(bool compact) {
  int64_t len;
  if (compact) {
    len = int64_t(uvarint()) - 1;
  } else {
    len = i32();
  }
  if (!ok_) return std::nullopt;
  if (len < 0) {
    if (len != -1) ok_ = false;
    return std::nullopt;
  }
  auto s = take(size_t(len));
  if (!ok_) return std::nullopt;
  return s;
}

std::span<std::byte> reader::bytes(bool compact) {
  auto b = nullable_bytes(compact);
  if (!b) {
    ok_ = false;
    return {};
  }
  return *b;
}

std::optional<std::string> reader::nullable_string(bool compact) {
  int64_t len;
  if (compact) {
    len = int64_t(uvarint()) - 1;
  } else {
    len = i16();
  }
  if (!ok_) return std::nullopt;
  if (len < 0) {
    if (len != -1) ok_ = false;
    return std::nullopt;
  }
  auto s = take(size_t(len));
  if (!ok_) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string reader::string(bool compact) {
  auto s = nullable_string(compact);
  if (!s) {
    ok_ = false;
    return {};
  }
  return std::move(*s);
}

int32_t reader::array_length(bool compact, size_t min_element_bytes) {
  int64_t n = compact ? int64_t(uvarint()) - 1 : i32();
  if (!ok_) return 0;
  if (n < -1 || (n > 0 && size_t(n) > remaining() / std::max<size_t>(min_element_bytes, 1))) {
    ok_ = false;
    return 0;
  }
  return int32_t(n);
}

void reader::skip_tags() {
  const uint32_t n = uvarint();
  for (uint32_t i = 0; i < n && ok_; ++i) {
    (void)uvarint();  // tag
    const uint32_t size = uvarint();
    take(size);
  }
}

void writer::f64(double v) {
  i64(int64_t(std::bit_cast<uint64_t>(v)));
}

void writer::uvarint(uint32_t v) {
  while (v >= 0x80) {
    buf_.push_back(std::byte(uint8_t(v) | 0x80));
    v >>= 7;
  }
  buf_.push_back(std::byte(uint8_t(v)));
}

void writer::varint(int32_t v) {
  uvarint(uint32_t((uint32_t(v) << 1) ^ uint32_t(v >> 31)));
}

void writer::varlong(int64_t v) {
  uint64_t u = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
  while (u >= 0x80) {
    buf_.push_back(std::byte(uint8_t(u) | 0x80));
    u >>= 7;
  }
  buf_.push_back(std::byte(uint8_t(u)));
}

void writer::string(std::string_view s, bool compact) {
  if (compact)
    uvarint(uint32_t(s.size() + 1));
  else
    i16(int16_t(s.size()));
  raw({reinterpret_cast<const std::byte*>(s.data()), s.size()});
}

void writer::nullable_string(const std::optional<std::string>& s, bool compact) {
  if (s) return string(*s, compact);
  if (compact)
    uvarint(0);
  else
    i16(-1);
}

void writer::bytes(std::span<const std::byte> b, bool compact) {
  if (compact)
    uvarint(uint32_t(b.size() + 1));
  else
    i32(int32_t(b.size()));
  raw(b);
}

void writer::nullable_bytes(const std::optional<std::span<const std::byte>>& b, bool compact) {
  if (b) return bytes(*b, compact);
  if (compact)
    uvarint(0);
  else
    i32(-1);
}

void writer::records(const records_field& r, bool compact) {
  if (r.null) {
    if (compact)
      uvarint(0);
    else
      i32(-1);
    return;
  }
  const uint64_t n = r.size();
  if (compact)
    uvarint(uint32_t(n + 1));
  else
    i32(int32_t(n));
  raw(r.bytes);
  for (const auto& c : r.chunks) {
    if (c.len == 0) continue;
    pieces_.push_back({buf_.size(), c});
    chunk_bytes_ += c.len;
  }
}

void writer::array_length(int32_t n, bool compact) {
  if (compact)
    uvarint(uint32_t(n + 1));
  else
    i32(n);
}

size_t writer::reserve_i32() {
  const size_t at = buf_.size();
  i32(0);
  return at;
}

void writer::patch_i32(size_t at, int32_t v) {
  store_be<int32_t>(buf_.data() + at, v);
}

uint64_t writer::total_size() const {
  return buf_.size() + chunk_bytes_;
}

}  // namespace runnel::kafka
