// Log compaction (cleanup.policy=compact): keep only the latest record per
// key in the closed segments, as Kafka's log cleaner does.
//
// A job is prepared on the log's shard (a snapshot of which closed segments
// to clean), runs on any thread (reads those immutable segment files, writes
// new ".cleaned" files, makes them durable and renames them to ".swap"), and
// is applied back on the shard (partition_log::apply_compaction), which swaps
// the files in. Appends continue meanwhile; the shard only pauses for the
// swap itself (a few renames and two directory fsyncs).
//
// Rules (docs/format/log.md, "Compaction"):
//  - the key map is built from the dirty part [cleaner offset, cleanable end);
//    the cleanable end stops before the active segment and before the first
//    segment younger than min.compaction.lag.ms;
//  - a record is dropped if a later record with the same key exists in the
//    map; offsets are kept, so gaps appear;
//  - a tombstone (null value) that is the latest for its key is dropped once
//    its segment's max timestamp is older than delete.retention.ms;
//  - batches keep base offset, last offset delta, producer fields and codec;
//    a batch left with no records is dropped, except the last one of each
//    output segment, which stays as an empty batch so the segment still ends
//    where the next one begins;
//  - transactions: only segments wholly below the last stable offset are
//    cleaned, so every transaction there has its marker; records of aborted
//    transactions are removed and never enter the key map (an aborted value
//    must not shadow a committed one); a marker is removed once no record
//    of its transaction is left and its segment is older than
//    delete.retention.ms (as a tombstone is), together with its
//    aborted-transaction index entry. Other control batches stay as they are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

#include "model/result.h"
#include "storage/file_system.h"
#include "storage/log_config.h"
#include "storage/segment.h"
#include "storage/txn_index.h"

namespace runnel::storage {

class compaction_job {
 public:
  // Runs the job. Thread-safe with respect to the owning log (touches only
  // the closed segments' files and its own outputs).
  result<void> run();

  struct output {
    std::vector<segment_summary> replaced;  // the input group
    segment_summary summary;                // the cleaned segment
    bool has_txn_index = false;             // a B.txnindex.swap was written too
    std::vector<aborted_txn> txn_entries;   // what it holds
  };

  // Inputs (set by partition_log::prepare_compaction).
  file_system* fs = nullptr;
  std::filesystem::path dir;
  log_config config;
  int64_t now_ms = 0;
  std::vector<segment_summary> segments;  // closed segments from the log start
  int64_t dirty_start = 0;                // cleaner offset
  // Nothing new to map, but tombstones may have expired: rewrite the clean
  // part with an empty key map (it only drops expired tombstones).
  bool tombstone_pass = false;
  size_t max_map_bytes = size_t{128} << 20;
  // Aborted transactions: the entries of every closed segment that has an
  // index file (by segment base, as the log holds them in memory: a segment
  // rolled moments ago may not have its file yet), and the active
  // segment's entries.
  std::map<int64_t, std::vector<aborted_txn>> txn_indexes;
  std::vector<aborted_txn> active_aborted;

  // Outputs.
  std::vector<output> outputs;
  int64_t new_cleaner_offset = 0;
  uint64_t records_removed = 0;
  uint64_t markers_removed = 0;
};

}  // namespace runnel::storage
