// segment_reader: the lookups and reads of one segment that may wait for the
// disk, packaged to run on any thread (the I/O pool) without the log.
//
// DESIGN.md decision 4: the owner shard never waits for the disk. The log
// answers from memory what it can (a read at the tail, from the recent batch
// positions of the active segment); for anything else it prepares a
// segment_view - an immutable description of the segment plus what the
// owner already knows from its in-memory index - and the caller runs a
// segment_reader on it elsewhere: opening a closed segment, reading its
// index files, scanning batch headers, reading batches that may be cold.
//
// The log may roll, seal, delete or compact the segment while a reader runs:
//  - a view of the active or a sealing segment holds its open data file and
//    the size it had when the view was taken; segments are append-only and
//    never rewritten in place, so those bytes stay what they were;
//  - a view of a closed segment names its files and the file id of its data
//    file; the reader opens the index files, then the data file, and checks
//    that id. A file gone (retention, delete-records) or replaced
//    (compaction) fails with storage_errc::stale_view: ask the log again.
//
// Thread-safety: one reader per thread; any number may read one segment.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "model/result.h"
#include "storage/file_system.h"
#include "storage/read_result.h"

namespace runnel::storage {

// A record found by timestamp: its offset and its timestamp.
struct record_time {
  int64_t offset = 0;
  int64_t timestamp = 0;
};

struct segment_view {
  std::filesystem::path data_path;
  std::filesystem::path offset_index_path;
  std::filesystem::path time_index_path;
  uint32_t file_id = 0;
  int64_t base = 0;
  int64_t next = 0;   // offset after the last batch in the view
  uint64_t size = 0;  // bytes of the data file the view covers
  // The open data file of the active or a sealing segment; null for a
  // closed segment, which is opened by name (and then has index files).
  std::shared_ptr<file> data;
  // With `data`: batch boundaries at or before the wanted batch, from the
  // in-memory offset and time indexes.
  uint64_t offset_hint = 0;
  uint64_t time_hint = 0;
};

class segment_reader {
 public:
  segment_reader(segment_view v, file_system& fs) : v_(std::move(v)), fs_(&fs) {}

  // Whole batches from the one that contains `start` (or the first after
  // it), none whose last offset is at or past `limit`, at most max_bytes but
  // always the first one. The bytes are read into memory (memory_file), so
  // sending them never touches the disk.
  result<read_result> read(int64_t start, int64_t limit, uint64_t max_bytes);

  // The first record whose timestamp >= ts and whose offset >= min_offset
  // (ListOffsets), looking inside the batch (decompressing it if need be),
  // as Kafka does. nullopt if the segment has none.
  result<std::optional<record_time>> find_time(int64_t ts, int64_t min_offset);

  const segment_view& view() const { return v_; }

 private:
  result<void> open();
  result<uint64_t> offset_floor(int64_t o);
  result<uint64_t> time_floor(int64_t ts);

  segment_view v_;
  file_system* fs_;
  std::shared_ptr<file> offset_index_;
  std::shared_ptr<file> time_index_;
};

}  // namespace runnel::storage
