// One segment of a partition log: a data file of record batches named by its
// base offset, a sparse offset index and a time index
// (docs/format/log.md).
//
// A segment is in one of three states:
//  - active: the last segment of a log; appended to, holds its data file
//    open and keeps its index entries in memory (bounded by
//    segment.bytes / index.interval.bytes) and the positions of its recent
//    batches;
//  - sealing: rolled, immutable, still with its open data file and its
//    in-memory indexes and recent batches, while an I/O thread writes its
//    index files (seal_work);
//  - closed: immutable, nothing open, nothing in memory; read through a
//    segment_reader that opens its files by name.
//
// Owned by a partition_log and used only from its shard's thread; a
// seal_work and the views it hands out (segment_reader.h) may be used on
// any thread.
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
#include "storage/file_system.h"
#include "storage/log_format.h"
#include "storage/read_result.h"
#include "storage/segment_reader.h"

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

std::filesystem::path segment_path(const std::filesystem::path& dir, int64_t base,
                                   const char* suffix);

// Writing the index files of a segment that was rolled: taken on the owner
// (seal_begin), run on an I/O thread. The entries are shared with the
// sealing segment, which no longer changes them.
struct seal_work {
  int64_t base = 0;
  uint32_t file_id = 0;
  std::filesystem::path offset_index_path;
  std::filesystem::path time_index_path;
  std::shared_ptr<const std::vector<offset_index_entry>> offset_index;
  std::shared_ptr<const std::vector<time_index_entry>> time_index;

  // Writes both index files (not synced); returns them, to be synced.
  result<std::vector<std::shared_ptr<file>>> run(file_system& fs) const;
};

class segment {
 public:
  // Creates an empty active segment: writes the data file's header.
  // `suffix` is appended to every file name; compaction writes ".cleaned"
  // files of kind compacted_segment.
  static result<std::unique_ptr<segment>> create(
      file_system& fs, const std::filesystem::path& dir, int64_t base, const char* suffix = "",
      format::file_kind kind = format::file_kind::segment);
  // Makes an empty active segment of `spare`, a file created ahead of time
  // under another name: writes the data file's header into it (a write to
  // the page cache, like an append). The caller renames it to data_path().
  static result<std::unique_ptr<segment>> adopt(std::shared_ptr<file> spare,
                                                const std::filesystem::path& dir, int64_t base);

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
  bool is_active() const { return active_ && !sealing_; }
  bool is_sealing() const { return active_ && sealing_; }
  bool is_closed() const { return !active_; }
  static uint64_t data_start();

  // --- active segment only ---
  result<void> append(std::span<const std::byte> batch, const model::batch_header& h,
                      int64_t index_interval);
  // Seals the segment at once: writes the in-memory indexes to their files
  // (not synced) and closes it. Returns the files that must be synced to
  // make it durable. Blocking (recovery, and logs without executors).
  result<std::vector<std::shared_ptr<file>>> seal(file_system& fs);
  // Seals it in two steps: seal_begin() makes it sealing and returns the
  // index writes for an I/O thread; seal_end(), once they are done, closes
  // it.
  seal_work seal_begin();
  void seal_end();
  const std::shared_ptr<file>& active_file() const { return active_; }
  // Writes the index files without closing (clean shutdown).
  result<void> write_indexes(file_system& fs);

  // --- reads ---
  // Answers a read from the positions of the recent batches (active or
  // sealing segment) when `start` is among them, without touching the file:
  // the read at the tail. nullopt otherwise.
  std::optional<read_result> read_recent(int64_t start, int64_t limit, uint64_t max_bytes) const;
  // The view a segment_reader needs, with hints from the in-memory indexes
  // for a read at `offset` or a lookup of `ts` (active or sealing segment).
  segment_view view(std::optional<int64_t> offset, std::optional<int64_t> ts) const;

  std::filesystem::path data_path() const;
  std::filesystem::path offset_index_path() const;
  std::filesystem::path time_index_path() const;

 private:
  void add_index_entries(uint64_t pos, const model::batch_header& h, int64_t index_interval);
  // The recent batches of an active or sealing segment, oldest first,
  // contiguous up to its end. A consumer reading at the tail asks for
  // exactly these; answering from memory spares every fetch a scan of the
  // file from the last index entry and a trip to the I/O pool.
  struct recent_batch {
    int64_t base;
    int64_t last;
    uint64_t pos;
    uint64_t size;
  };
  static constexpr size_t max_recent = 256;  // 8 KiB per active segment
  using recent_iterator = std::deque<recent_batch>::const_iterator;
  // The recent batch holding `o`; recent_.end() if none.
  recent_iterator recent_containing(int64_t o) const;

  result<bool> indexes_valid(file_system& fs);
  result<void> load_indexes(file_system& fs);
  result<void> rebuild_index(int64_t index_interval);

  std::filesystem::path dir_;
  const char* suffix_ = "";
  segment_summary s_;
  std::shared_ptr<file> active_;
  bool sealing_ = false;
  // Shared with a seal_work while sealing; never changed then.
  std::shared_ptr<std::vector<offset_index_entry>> offset_index_ =
      std::make_shared<std::vector<offset_index_entry>>();
  std::shared_ptr<std::vector<time_index_entry>> time_index_ =
      std::make_shared<std::vector<time_index_entry>>();
  uint64_t bytes_since_index_ = 0;
  int64_t last_time_entry_ts_ = -1;
  std::deque<recent_batch> recent_;
};

}  // namespace runnel::storage
