// One segment of a partition log: a data file of record batches named by its
// base offset, a sparse offset index and a time index
// (docs/format/log.md).
//
// The last segment of a log is *active*: it is appended to, holds its data
// file open and keeps its index entries in memory (bounded by
// segment.bytes / index.interval.bytes). seal() writes them out and makes the
// segment *closed*: immutable, its files opened on demand through the shard's
// file_cache, no index kept in memory.
//
// Owned by a partition_log and used only from its shard's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "model/record_batch.h"
#include "model/result.h"
#include "storage/batch_scanner.h"
#include "storage/file_cache.h"
#include "storage/file_system.h"
#include "storage/log_format.h"

namespace runnel::storage {

// What the checkpoint records of a closed segment, and what a log keeps in
// memory of every segment.
struct segment_summary {
  int64_t base = 0;
  int64_t next = 0;            // offset after the last batch (the next segment's base)
  uint64_t size = 0;           // file bytes, header included
  int64_t max_ts = -1;         // largest batch max_timestamp, -1 if empty
  int64_t max_ts_offset = -1;  // last offset of the batch holding max_ts
  uint32_t file_id = 0;
  int64_t first_batch_ts = -1;  // max_timestamp of the first batch (segment.ms)
};

struct offset_index_entry {
  uint32_t rel;
  uint32_t pos;
};
struct time_index_entry {
  int64_t ts;
  uint32_t rel;
  uint32_t pos;
};

// A record found by timestamp: its offset and its timestamp.
struct record_time {
  int64_t offset = 0;
  int64_t timestamp = 0;
};

std::filesystem::path segment_path(const std::filesystem::path& dir, int64_t base,
                                   const char* suffix);

class segment {
 public:
  // Creates an empty active segment: writes the data file's header.
  // `suffix` is appended to every file name; compaction writes ".cleaned"
  // files of kind compacted_segment.
  static result<std::unique_ptr<segment>> create(
      file_system& fs, const std::filesystem::path& dir, int64_t base, const char* suffix = "",
      format::file_kind kind = format::file_kind::segment);

  // A closed segment described by a trusted summary.
  segment(const std::filesystem::path& dir, const segment_summary& s);

  // For a closed segment: checks that both index files exist, have the right
  // header and size, and that their last entries point at real batches;
  // rebuilds them from the data file otherwise. Returns true if it rebuilt.
  result<bool> check_indexes(file_system& fs, int64_t index_interval);

  struct recovered {
    std::unique_ptr<segment> seg;
    bool truncated = false;  // a torn or corrupt tail was cut away
  };
  // Scans every batch of the data file (length, magic, CRC, offsets
  // consecutive from `base`, or only increasing in a compacted segment) and
  // truncates the file after the last good one.
  // The result is active (file open read-write, index in memory).
  static result<recovered> recover(file_system& fs, const std::filesystem::path& dir, int64_t base,
                                   int64_t index_interval);

  // Re-opens a trusted closed segment as the active one: loads its index
  // files into memory, or rebuilds the index by a header walk if they look
  // wrong.
  result<void> activate(file_system& fs, int64_t index_interval);

  const segment_summary& summary() const { return s_; }
  int64_t base() const { return s_.base; }
  int64_t next() const { return s_.next; }
  uint64_t size() const { return s_.size; }
  bool empty() const { return s_.next == s_.base && s_.size <= data_start(); }
  bool is_active() const { return active_ != nullptr; }
  static uint64_t data_start();

  // --- active segment only ---
  result<void> append(std::span<const std::byte> batch, const model::batch_header& h,
                      int64_t index_interval);
  // Writes the in-memory indexes to their files (not synced) and closes the
  // segment. Returns the files that must be synced to make it durable.
  result<std::vector<std::shared_ptr<file>>> seal(file_system& fs);
  const std::shared_ptr<file>& active_file() const { return active_; }
  // Writes the index files without closing (clean shutdown).
  result<void> write_indexes(file_system& fs);

  // --- lookups (either state) ---
  // Position of the batch that contains `o`, or of the first batch whose base
  // is >= o; size() if there is none.
  result<uint64_t> position_of(int64_t o, file_cache& cache);
  // The end of the longest run of whole batches in [start, limit) starting at
  // `start` (a batch boundary). Returns start if the first batch alone does
  // not fit.
  result<uint64_t> boundary_before(uint64_t start, uint64_t limit, file_cache& cache);
  // The base offset of the batch at `pos` (a batch boundary before size()).
  result<int64_t> base_offset_at(uint64_t pos, file_cache& cache);
  // The first record whose timestamp >= ts and whose offset >= min_offset,
  // if any (ListOffsets). Looks inside the batches, as Kafka does: the index
  // and the batch max timestamps find the first candidate batch, its records
  // (decompressed if need be) give the answer.
  result<std::optional<record_time>> find_time(int64_t ts, int64_t min_offset, file_cache& cache);
  // The data file: the open one if active, else through the cache.
  result<std::shared_ptr<file>> data(file_cache& cache);

  std::filesystem::path data_path() const;
  std::filesystem::path offset_index_path() const;
  std::filesystem::path time_index_path() const;

 private:
  // Index access for either state: from memory when active, from the files
  // (binary search by pread) when closed.
  result<std::optional<offset_index_entry>> floor_by_offset(int64_t rel, file_cache& cache);
  result<std::optional<offset_index_entry>> floor_by_position(uint64_t pos, file_cache& cache);
  result<std::optional<time_index_entry>> last_time_before(int64_t ts, file_cache& cache);
  void add_index_entries(uint64_t pos, const model::batch_header& h, int64_t index_interval);
  // The recent batches of the active segment, oldest first, contiguous up to
  // its end. A consumer reading at the tail asks for exactly these; answering
  // from memory spares every fetch a scan of the file from the last index
  // entry (two preads of up to 64 KiB per partition per fetch).
  struct recent_batch {
    int64_t base;
    int64_t last;
    uint64_t pos;
    uint64_t size;
  };
  static constexpr size_t max_recent = 256;  // 8 KiB per active segment
  using recent_iterator = std::deque<recent_batch>::const_iterator;
  // The recent batch holding `o` / starting at `pos`; recent_.end() if none.
  recent_iterator recent_containing(int64_t o) const;
  recent_iterator recent_at(uint64_t pos) const;

  result<bool> indexes_valid(file_system& fs);
  result<void> load_indexes(file_system& fs);
  result<void> rebuild_index(int64_t index_interval);

  std::filesystem::path dir_;
  const char* suffix_ = "";
  segment_summary s_;
  std::shared_ptr<file> active_;
  std::vector<offset_index_entry> offset_index_;
  std::vector<time_index_entry> time_index_;
  uint64_t bytes_since_index_ = 0;
  int64_t last_time_entry_ts_ = -1;
  std::deque<recent_batch> recent_;
};

}  // namespace runnel::storage
