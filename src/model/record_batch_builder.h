// Building Kafka v2 record batches: for the CLI, tests, benchmarks, and for
// compaction, which re-writes a batch with fewer records. Pure computation;
// a builder is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "model/compression.h"
#include "model/record_batch.h"
#include "model/result.h"

namespace runnel::model {

using bytes = std::vector<std::byte>;

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Appends one encoded record (length prefix included) to `out`.
void encode_record(bytes& out, int64_t timestamp_delta, int32_t offset_delta,
                   std::optional<std::span<const std::byte>> key,
                   std::optional<std::span<const std::byte>> value,
                   std::span<const record_header_view> headers = {});

// Assembles a batch from an uncompressed records section: compresses it with
// h.codec(), fills batch_length, record_count and the CRC. The other header
// fields are taken from `h` as given.
result<bytes> assemble_batch(batch_header h, std::span<const std::byte> records, int32_t count,
                             snappy_framing framing = snappy_framing::xerial);

// The same batch with its records compressed with `codec` instead (a topic
// whose compression.type names a codec: DESIGN.md decision 2's exception).
// The records are kept byte for byte; every header field but the codec bits,
// batch_length and the CRC stays as it was.
result<bytes> recompress_batch(std::span<const std::byte> batch, compression codec);

// Accumulates records and produces one batch, as a producer would.
class batch_builder {
 public:
  explicit batch_builder(compression codec = compression::none, timestamp base = timestamp{0});

  void add(std::optional<std::span<const std::byte>> key,
           std::optional<std::span<const std::byte>> value, timestamp ts,
           std::span<const record_header_view> headers = {});
  void add(std::string_view key, std::string_view value, timestamp ts) {
    add(as_bytes(key), as_bytes(value), ts);
  }

  void set_producer(int64_t producer_id, int16_t epoch, int32_t base_sequence);

  int32_t count() const { return count_; }
  size_t records_bytes() const { return records_.size(); }

  // The batch with base_offset 0 (the broker assigns the real one).
  result<bytes> build() const;

 private:
  batch_header header_;
  bytes records_;
  int32_t count_ = 0;
  int64_t max_ts_ = -1;
  bool have_base_ = false;
};

}  // namespace runnel::model
