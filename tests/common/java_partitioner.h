// Kafka's Java client's key partitioning, written from its documented
// algorithm (Utils.murmur2 and the default partitioner's
// toPositive(murmur2(key)) % partitions) as the reference the tests compare
// runnel's producer, CLI and stream library against. Header-only, for the
// test executables of tests/unit and tests/integration.
#pragma once

#include <cstdint>
#include <string_view>

namespace runnel::test {

// Kafka's Utils.murmur2 (seed 0x9747b28c), bytes read little-endian, the
// hash returned as Java's signed int.
inline int32_t java_murmur2(std::string_view data) {
  const uint32_t m = 0x5bd1e995;
  const auto len = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28cU ^ len;
  const auto* b = reinterpret_cast<const uint8_t*>(data.data());
  for (uint32_t i = 0; i + 4 <= len; i += 4) {
    uint32_t k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (uint32_t(b[i + 3]) << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint32_t tail = len & ~3U;
  switch (len % 4) {
    case 3:
      h ^= uint32_t(b[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t(b[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= b[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

// The partition the Java client's default partitioner picks for a non-null key.
inline int32_t java_partition(std::string_view key, int32_t partitions) {
  return (java_murmur2(key) & 0x7fffffff) % partitions;
}

}  // namespace runnel::test
