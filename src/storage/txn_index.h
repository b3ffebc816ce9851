// The aborted-transaction index of a segment (`B.txnindex`,
// docs/format/log.md): one entry per abort marker in the segment, naming the
// producer and the offset range its aborted transaction covered. A
// read_committed Fetch returns the entries that overlap the range it sends,
// so the client drops those producers' batches up to each marker.
//
// The file exists only for segments that hold an abort marker. The
// partition_log keeps every segment's entries in memory (read from these
// files at open) and answers read_committed fetches from there; the files
// are written by its background job (txn_index_file), created at the
// segment's first abort marker. Pure file I/O through file_system; not
// thread-safe per file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "model/result.h"
#include "storage/file_system.h"

namespace runnel::storage {

struct aborted_txn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;        // the transaction's first batch in this partition
  int64_t last_offset = -1;         // its abort marker
  int64_t last_stable_offset = -1;  // the partition's LSO just after the marker
  bool operator==(const aborted_txn&) const = default;
};

// Creates (or empties) B.txnindex with its header. Not synced.
result<std::shared_ptr<file>> create_txn_index(file_system& fs, const std::filesystem::path& p,
                                               int64_t base);
// Appends one entry at the end of a file holding `count` entries. Not synced.
result<void> append_txn_index(file& f, size_t count, const aborted_txn& e);
// Writes a whole index (compaction output, recovery). Not synced.
result<std::shared_ptr<file>> write_txn_index(file_system& fs, const std::filesystem::path& p,
                                              int64_t base, std::span<const aborted_txn> entries);
// One segment's B.txnindex as its writer sees it: created at the first
// append, then appended to. Used by one thread at a time (the log's
// background job, which the log runs one at a time).
struct txn_index_file {
  std::filesystem::path path;
  int64_t base = 0;
  std::shared_ptr<file> f;  // null until created
  size_t count = 0;         // entries in the file

  // Creates the file if it does not exist yet, then appends `entries`.
  // Not synced: returns the file, for the caller to sync.
  result<std::shared_ptr<file>> append(file_system& fs, std::span<const aborted_txn> entries);
};

// Every entry of B.txnindex. corrupt_file if the header is wrong, the size is
// not a whole number of entries, or an entry is impossible (offsets out of
// order); the caller then rebuilds the index from the segment.
result<std::vector<aborted_txn>> read_txn_index(file& f, int64_t base);

}  // namespace runnel::storage
