// Zig-zag variable-length integers as used inside Kafka v2 records
// (protobuf encoding: 7 bits per byte, low group first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace runnel::model {

// Reads a signed zig-zag varint (at most 5 bytes for 32-bit, 10 for 64-bit)
// from the front of `in` and advances it. Returns nullopt if the input ends
// early or the encoding is too long; `in` is then unspecified.
std::optional<int32_t> read_varint(std::span<const std::byte>& in);
std::optional<int64_t> read_varlong(std::span<const std::byte>& in);
// Unsigned varints (no zig-zag), used by the flexible protocol versions.
std::optional<uint32_t> read_unsigned_varint(std::span<const std::byte>& in);

void write_varint(std::vector<std::byte>& out, int32_t v);
void write_varlong(std::vector<std::byte>& out, int64_t v);
void write_unsigned_varint(std::vector<std::byte>& out, uint32_t v);

// Number of bytes write_varint / write_varlong would append.
size_t varint_size(int32_t v);
size_t varlong_size(int64_t v);

}  // namespace runnel::model
