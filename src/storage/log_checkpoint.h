// The per-partition `checkpoint` file: what a log knows about itself that the
// segment files alone cannot say (docs/format/log.md, "Checkpoint").
//
// It lists the closed segments that are fully durable (so recovery does not
// rescan them), the log start offset (retention and delete-records move it),
// and the compaction cleaner's position. A clean shutdown also lists the
// active segment and sets clean_shutdown, so a clean restart scans nothing.
//
// Written atomically: checkpoint.tmp, fsync, rename, fsync directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "model/result.h"
#include "storage/file_system.h"
#include "storage/segment.h"

namespace runnel::storage {

struct log_checkpoint {
  int64_t log_start_offset = 0;
  int64_t cleaner_offset = 0;  // first offset not yet compacted
  bool clean_shutdown = false;
  std::vector<segment_summary> segments;

  std::vector<std::byte> encode() const;
  static result<log_checkpoint> decode(std::span<const std::byte> bytes);

  // Reads `dir`/checkpoint. nullopt if missing; corrupt_file if damaged.
  static result<std::optional<log_checkpoint>> load(file_system& fs,
                                                    const std::filesystem::path& dir);
  // Writes encoded bytes durably and atomically (blocking: fsyncs).
  static result<void> store(file_system& fs, const std::filesystem::path& dir,
                            std::span<const std::byte> encoded);
};

}  // namespace runnel::storage
