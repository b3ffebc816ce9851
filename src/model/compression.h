// The record-batch compression codecs Kafka clients use. Only compaction
// opens compressed batches (DESIGN.md decision 2); the broker stores them as
// sent.
//
// Formats, as the Kafka clients produce them:
//   gzip   - RFC 1952 gzip stream (zlib).
//   snappy - either raw snappy or the "xerial" framing the Java client writes
//            (magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, version, compat, then
//            [u32 big-endian length, snappy block]...). Decompression accepts
//            both; compression writes the framing named by snappy_framing.
//   lz4    - the LZ4 frame format (not the legacy KafkaLZ4 framing of magic 0/1).
//   zstd   - a zstd frame.
// Thread-safe, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "model/result.h"

namespace runnel::model {

// Values of the low 3 bits of the batch attributes.
enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

enum class snappy_framing : uint8_t { raw, xerial };

enum class codec_errc {
  unknown_codec = 1,
  corrupt_input,
  output_too_large,
};
const std::error_category& codec_category();
std::error_code make_error_code(codec_errc e);

// Decompresses `in`. Fails with codec_errc::output_too_large if the output
// would exceed `max_output` bytes (a guard against decompression bombs).
result<std::vector<std::byte>> decompress(compression codec, std::span<const std::byte> in,
                                          size_t max_output = size_t{256} << 20);

// Compresses `in`. `framing` matters only for snappy.
result<std::vector<std::byte>> compress(compression codec, std::span<const std::byte> in,
                                        snappy_framing framing = snappy_framing::xerial);

// True if `in` starts with the xerial snappy header.
bool is_xerial_snappy(std::span<const std::byte> in);

}  // namespace runnel::model

template <>
struct std::is_error_code_enum<runnel::model::codec_errc> : std::true_type {};
