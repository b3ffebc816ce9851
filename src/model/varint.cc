#include "model/varint.h"

namespace runnel::model {
namespace {

// Reads up to `max_bytes` 7-bit groups. Like the Java client (ByteUtils), the
// surplus high bits of the last permitted byte are dropped rather than
// rejected, so every encoding Kafka accepts is accepted here too.
template <size_t max_bytes>
std::optional<uint64_t> read_raw(std::span<const std::byte>& in) {
  uint64_t value = 0;
  for (size_t i = 0; i < max_bytes; ++i) {
    if (i >= in.size()) return std::nullopt;
    auto b = static_cast<uint8_t>(in[i]);
    value |= uint64_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80) == 0) {
      in = in.subspan(i + 1);
      return value;
    }
  }
  return std::nullopt;  // continuation bit still set on the last allowed byte
}

void write_raw(std::vector<std::byte>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::byte>(v));
}

size_t raw_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Zig-zag maps small magnitudes of either sign to small unsigned values:
// 0, -1, 1, -2 ... -> 0, 1, 2, 3 ...
uint32_t zigzag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
uint64_t zigzag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int32_t unzigzag32(uint32_t u) {
  return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}
int64_t unzigzag64(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

}  // namespace

std::optional<int32_t> read_varint(std::span<const std::byte>& in) {
  auto raw = read_raw<5>(in);
  if (!raw) return std::nullopt;
  return unzigzag32(static_cast<uint32_t>(*raw));
}

std::optional<int64_t> read_varlong(std::span<const std::byte>& in) {
  auto raw = read_raw<10>(in);
  if (!raw) return std::nullopt;
  return unzigzag64(*raw);
}

std::optional<uint32_t> read_unsigned_varint(std::span<const std::byte>& in) {
  auto raw = read_raw<5>(in);
  if (!raw) return std::nullopt;
  return static_cast<uint32_t>(*raw);
}

void write_varint(std::vector<std::byte>& out, int32_t v) {
  write_raw(out, zigzag32(v));
}
void write_varlong(std::vector<std::byte>& out, int64_t v) {
  write_raw(out, zigzag64(v));
}
void write_unsigned_varint(std::vector<std::byte>& out, uint32_t v) {
  write_raw(out, v);
}

size_t varint_size(int32_t v) {
  return raw_size(zigzag32(v));
}
size_t varlong_size(int64_t v) {
  return raw_size(zigzag64(v));
}

}  // namespace runnel::model
