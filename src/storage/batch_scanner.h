// Walks the record batches of a segment data file in order, reading in large
// chunks. Used by recovery (which checks every batch), by lookups that hop
// from an index entry to the exact batch, and by compaction.
//
// Not thread-safe; one scanner per walk. The file must not shrink meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "model/record_batch.h"
#include "model/result.h"
#include "storage/file_system.h"

namespace runnel::storage {

struct scanned_batch {
  uint64_t position = 0;  // byte position of the batch in the file
  model::batch_header header;
};

class batch_scanner {
 public:
  // Scans [begin, end) of `f`. `chunk` is the read size.
  batch_scanner(file& f, uint64_t begin, uint64_t end, size_t chunk = size_t{1} << 20);

  // The next batch's header, or nullopt at `end`. A header that does not fit
  // before `end`, or whose length is impossible, is an error
  // (storage_errc::corrupt_file / batch_errc::*); the scanner stops there and
  // position() tells where.
  result<std::optional<scanned_batch>> next();

  // The whole bytes of the batch last returned by next(). Valid until the
  // next call.
  result<std::span<const std::byte>> body();

  // Position of the batch next() would return (or where it stopped).
  uint64_t position() const { return pos_; }

 private:
  result<void> fill(uint64_t pos, size_t need);

  file& f_;
  uint64_t pos_;
  uint64_t end_;
  size_t chunk_;
  std::vector<std::byte> buf_;
  uint64_t buf_pos_ = 0;  // file position of buf_[0]
  size_t buf_len_ = 0;
  std::optional<scanned_batch> current_;
};

}  // namespace runnel::storage
