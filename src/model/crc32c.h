// CRC-32C (Castagnoli), the checksum of Kafka v2 record batches.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
// start-up) and a slicing-by-8 table otherwise. Thread-safe, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace runnel::model {

// CRC-32C of `data`, continuing from `crc` (0 to start). The value is the
// finished checksum (already inverted), so crc32c(b, crc32c(a)) == crc32c(a+b).
uint32_t crc32c(std::span<const std::byte> data, uint32_t crc = 0);

// Both implementations, exposed for tests and benchmarks.
uint32_t crc32c_portable(std::span<const std::byte> data, uint32_t crc = 0);
uint32_t crc32c_hardware(std::span<const std::byte> data, uint32_t crc = 0);
bool crc32c_hardware_available();

}  // namespace runnel::model
