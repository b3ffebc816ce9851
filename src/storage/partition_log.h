// partition_log: one durable, ordered, append-only Kafka partition log.
//
// A directory of segments (segment.h) plus a checkpoint (log_checkpoint.h).
// Appends take one Kafka v2 record batch, validate it, assign its base
// offset and write it verbatim to the active segment (re-compressed first if
// the topic's compression.type names another codec); reads return file
// ranges for zero-copy sends. Retention, compaction, background flush and
// group commit are driven from here.
//
// Threading (DESIGN.md decision 4): a log is owned by one shard and every
// member function is called on that shard's thread. Nothing the owner calls
// waits for the disk when executors are given: fsync, checkpoint writes,
// file removal, compaction and the file work of a segment roll (writing the
// sealed segment's index files, naming the new segment's file, creating the
// next one ahead of time) run on the `io` executor and complete back on the
// `owner` executor; reads it cannot answer from memory come back as a
// segment_reader for the caller to run on an I/O thread (plan_read,
// plan_offset_for_timestamp). With no executors everything runs inline,
// which is what tests and the storage benchmark use.
//
// Durability (DESIGN.md decisions 3 and 6): append() returns once the bytes
// are written; flushed_offset() tells what is fsynced; flush_async() is group
// commit (one fsync covers every waiter). After an fsync fails the log
// refuses appends and flushes with that error until it is reopened.
//
// Transactions (DESIGN.md decision 11): the log keeps its producers' state
// (producer_state.h: sequences for idempotence, open transactions), from
// which the last stable offset follows; an abort marker adds an entry to the
// active segment's aborted-transaction index (txn_index.h), which the log
// keeps in memory for every segment and the background job writes. Producer state
// is snapshotted at each roll and clean close (producer_snapshot.h) and
// rebuilt at open from the newest snapshot plus the batches after it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "model/result.h"
#include "model/strong_types.h"
#include "storage/file_system.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/read_result.h"
#include "storage/segment.h"
#include "storage/segment_reader.h"
#include "storage/txn_index.h"

namespace runnel::storage {

using task = std::function<void()>;
using executor_fn = std::function<void(task)>;

struct log_executors {
  executor_fn io;     // blocking work; empty = run inline
  executor_fn owner;  // back to the owning shard; empty = run inline
};

struct log_options {
  std::filesystem::path dir;
  log_config config;
  file_system* fs = nullptr;  // default: posix_file_system()
  log_executors executors;
  // Kafka's producer.id.expiration.ms (a broker setting): how long a
  // producer with no open transaction keeps its sequence state after its
  // last write. -1: forever.
  int64_t producer_id_expiration_ms = int64_t{24} * 3600 * 1000;
};

struct append_result {
  model::offset base;
  model::offset last;
  model::timestamp log_append_time = model::timestamp::missing();  // if stamped
  model::timestamp max_timestamp;
};

// A read as the owner can answer it: the data, if the recent batches of the
// active (or a sealing) segment hold it, or else a reader to run on an I/O
// thread (segment_reader.h): read(start, limit, max_bytes).
struct read_plan {
  std::optional<read_result> ready;
  struct deferred {
    segment_reader reader;
    int64_t start = 0;
    int64_t limit = 0;
    uint64_t max_bytes = 0;
    result<read_result> run() { return reader.read(start, limit, max_bytes); }
  };
  std::optional<deferred> later;
};

struct timestamp_lookup {
  model::offset offset;
  model::timestamp timestamp;
};

class compaction_job;

// compression.type names a codec and this batch is in another one: append()
// will re-compress it (DESIGN.md decision 2's one exception to "stored as
// sent"). Thread-safe.
bool needs_recompression(const log_config& c, std::span<const std::byte> batch);
// The batch with its records re-compressed as `c` says, after checking every
// record as append() would: for a caller that wants that CPU work off the
// log's thread (append() then stores the result as is). Thread-safe.
result<model::bytes> recompress_for(const log_config& c, std::span<const std::byte> batch);

// What open() found and did, for logs and tests.
struct recovery_stats {
  bool had_checkpoint = false;
  bool clean_shutdown = false;    // the checkpoint said the last stop was clean
  size_t segments_scanned = 0;    // data files checked batch by batch
  size_t segments_truncated = 0;  // torn or corrupt tails cut away
  size_t segments_dropped = 0;    // removed because they followed a hole
  size_t indexes_rebuilt = 0;
  int64_t snapshot_offset = -1;    // the producer snapshot loaded (-1: none)
  size_t batches_replayed = 0;     // read back to rebuild producer state
  size_t txn_indexes_rebuilt = 0;  // aborted-transaction indexes written anew
};

class partition_log {
 public:
  ~partition_log();
  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Opens (or creates) the log in opts.dir, recovering after a crash: scans
  // whatever the checkpoint does not vouch for, truncates a torn tail,
  // rebuilds indexes, finishes an interrupted compaction swap, and makes the
  // result durable. Blocking: call it off the shard's event loop.
  static result<std::unique_ptr<partition_log>> open(log_options opts);

  // Appends one batch (a producer's, or a control batch: a transaction
  // marker the broker wrote). Idempotence and transaction checks are the
  // caller's (producers().check()); append records the batch in them. The
  // batch is edited in place (base offset, and the timestamp for
  // LogAppendTime topics) and then written verbatim, unless the topic's
  // compression.type names another codec than the batch's: then its records
  // are validated one by one and re-compressed into a new batch
  // (needs_recompression), which is what gets stored. Control batches are
  // never re-compressed.
  result<append_result> append(std::span<std::byte> batch, model::timestamp now);

  // Whole batches of one segment starting at the one that contains
  // `start`, at most max_bytes (but always at least one batch), none
  // reaching `upto` (default: the end offset). offset_out_of_range if start
  // is outside [start_offset, end_offset]. Never waits for the disk: a read
  // at the tail is answered from memory, any other comes back as a reader.
  result<read_plan> plan_read(model::offset start, uint64_t max_bytes,
                              std::optional<model::offset> upto = std::nullopt);
  // The same, running the reader inline (blocking): tests, benchmarks,
  // start-up. A reader that finds its segment gone (stale_view) is planned
  // again.
  result<read_result> read(model::offset start, uint64_t max_bytes,
                           std::optional<model::offset> upto = std::nullopt);

  // ListOffsets: the first record at or after the start offset whose
  // timestamp >= ts (its offset and timestamp), as Kafka answers; nullopt if
  // none. Reads (and decompresses) the one batch that holds it.
  // plan_offset_for_timestamp returns the readers of the segments that may
  // hold it, in order: run find_time(ts, min_offset) on each until one
  // answers (on an I/O thread). offset_for_timestamp runs them inline.
  struct time_plan {
    std::vector<segment_reader> readers;
    int64_t min_offset = 0;
  };
  time_plan plan_offset_for_timestamp(model::timestamp ts) const;
  result<std::optional<timestamp_lookup>> offset_for_timestamp(model::timestamp ts);
  // ListOffsets MAX_TIMESTAMP: the batch with the largest timestamp.
  std::optional<timestamp_lookup> max_timestamp() const;

  // Calls fn with the header of every batch from the one containing `from`
  // to the end, until fn returns false. Reads headers only. Blocking reads:
  // for start-up (rebuilding producer state), not the data path.
  result<void> for_each_batch(model::offset from,
                              const std::function<bool(const model::batch_header&)>& fn);
  // The base offset of the n-th last segment (n = 1: the active one).
  model::offset segment_base_from_end(size_t n) const;

  // Transactions: the producers of this partition, the last stable offset
  // (the first offset of the oldest open transaction, or the end offset),
  // and the aborted transactions that overlap [from, upto) for a
  // read_committed Fetch (entries whose marker is at or after `from` and
  // whose first batch is before `upto`, in marker order). From memory:
  // never waits for the disk.
  const producer_state& producers() const { return producers_; }
  model::offset last_stable_offset() const;
  result<std::vector<aborted_txn>> aborted_transactions(model::offset from, model::offset upto);

  model::offset start_offset() const { return model::offset{start_}; }
  model::offset end_offset() const;
  model::offset flushed_offset() const { return model::offset{flushed_}; }
  file_system& fs() const { return fs_; }
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  const log_config& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::error_code failed() const { return failed_; }
  const recovery_stats& recovery() const { return stats_; }

  // Group commit: calls done({}) once everything up to `upto` (exclusive) is
  // fsynced, or done(error). One fsync covers all waiters.
  void flush_async(model::offset upto, std::function<void(std::error_code)> done);
  // Blocking flush of everything appended so far (benchmarks, tests, close).
  result<void> flush();

  // Periodic upkeep, called by the owner (e.g. every 100 ms): background
  // flush on flush.ms / flush.bytes, retention, pending deletes and the
  // checkpoint. Starts at most one background job; never blocks.
  void maintain(model::timestamp now);

  // Retention by time and size on closed segments, and removal of segments
  // below the start offset. Returns how many segments it dropped. Files are
  // removed by the next background job.
  size_t apply_retention(model::timestamp now);
  // DeleteRecords: moves the start offset to `before` (<= end offset) and
  // persists it before calling done.
  void delete_records(model::offset before, std::function<void(std::error_code)> done);

  // Compaction (cleanup.policy=compact): prepare on the owner thread, run the
  // job anywhere (it only reads closed segments and writes new files),
  // apply on the owner thread. Returns nullptr if there is nothing to do.
  std::unique_ptr<compaction_job> prepare_compaction(model::timestamp now);
  result<void> apply_compaction(std::unique_ptr<compaction_job> job);
  model::offset cleaner_offset() const { return model::offset{cleaner_offset_}; }

  // Rolls the active segment now if it holds any batch (Kafka's Log.roll),
  // for tests and tools that want segment boundaries where they say. With
  // no spare file ready it creates the next segment inline (blocking).
  result<void> roll_now(model::timestamp now);

  // Changes the configuration (AlterConfigs). Takes effect for later appends
  // and the next maintain().
  void reconfigure(const log_config& c) { config_ = c; }

  // Clean shutdown: waits for a background job still running, flushes,
  // finishes every pending roll, writes the active segment's indexes and a
  // checkpoint marked clean. Blocking. The log is unusable afterwards.
  result<void> close();

  // Blocking removal of the log's directory (DeleteTopics).
  static result<void> destroy(file_system& fs, const std::filesystem::path& dir);

 private:
  struct flush_job;

  explicit partition_log(log_options opts);
  result<void> recover();
  result<void> complete_swaps(const std::vector<std::string>& names);
  void remove_segment_files(int64_t base);
  // partition_log_txn.cc: the producer/transaction side.
  result<void> recover_producers(const std::set<int64_t>& rescanned,
                                 std::vector<std::shared_ptr<file>>& to_sync);
  result<void> record_batch(std::span<const std::byte> batch, const model::batch_header& h,
                            int64_t now_ms);
  void on_roll(int64_t sealed_base, int64_t now_ms);
  result<void> close_producers();
  std::filesystem::path txn_index_path(int64_t base) const;
  result<void> roll(model::timestamp now);
  bool needs_roll(size_t batch_bytes, int64_t batch_ts) const;
  bool can_roll_now(size_t batch_bytes) const;
  bool wants_spare() const;
  result<void> recover_spare(const std::vector<std::string>& names);
  std::vector<std::byte> checkpoint_bytes(bool clean) const;
  bool background_work() const;
  std::shared_ptr<flush_job> make_job();
  void start_job();
  void finish_job(const std::shared_ptr<flush_job>& job);
  void fail(std::error_code ec);
  void run_io(task t);
  void run_owner(task t);
  segment* segment_for(int64_t o);

  std::filesystem::path dir_;
  log_config config_;
  file_system& fs_;
  log_executors ex_;

  std::vector<std::unique_ptr<segment>> segments_;  // by base offset; back() is active
  int64_t start_ = 0;
  int64_t flushed_ = 0;
  int64_t cleaner_offset_ = 0;
  std::error_code failed_;
  bool closed_ = false;
  recovery_stats stats_;

  // Work for the next background job.
  std::vector<std::shared_ptr<file>> unsynced_files_;  // sealed segments' files
  std::vector<std::filesystem::path> pending_deletes_;
  std::vector<seal_work> pending_seals_;  // rolled segments' index files
  // The spare file a roll turned into the active segment, to be given its
  // name (docs/format/log.md, "Spare segment file").
  std::optional<std::filesystem::path> pending_rename_;
  // The next segment's file, created ahead of time on the I/O pool, so that
  // a roll on the owner opens nothing.
  std::shared_ptr<file> spare_;
  bool spare_wanted_ = false;
  bool dir_dirty_ = false;
  bool checkpoint_dirty_ = false;
  uint64_t unflushed_bytes_ = 0;
  int64_t last_flush_ms_ = 0;

  bool job_running_ = false;
  std::shared_ptr<flush_job> current_job_;
  bool closing_ = false;
  std::multimap<int64_t, std::function<void(std::error_code)>> waiters_;  // by upto
  std::vector<std::function<void(std::error_code)>> checkpoint_waiters_;
  // Transactions: producer state, the aborted-transaction entries of the
  // active segment and of every other segment that has an index file (kept
  // in memory, 32 bytes per aborted transaction in the log, so that a
  // read_committed fetch never reads an index file on the owner's thread:
  // DESIGN.md decision 4), and the producer snapshots on disk. Index files
  // are created and appended to by the background job (txn_writes_); only
  // without executors does the owner write them itself.
  struct txn_write {
    std::shared_ptr<txn_index_file> index;
    std::vector<aborted_txn> entries;  // to append
  };
  result<void> write_txn_index_inline();
  void take_txn_writes(std::vector<txn_write>& out);
  producer_state producers_;
  std::vector<aborted_txn> active_aborted_;
  std::shared_ptr<txn_index_file> active_txn_;  // once the active segment has an abort
  size_t active_txn_taken_ = 0;        // entries of active_aborted_ given to a job (or written)
  std::vector<txn_write> txn_writes_;  // of segments rolled since the last job
  bool txn_file_dirty_ = false;        // without executors: written, not yet synced
  std::map<int64_t, std::vector<aborted_txn>> closed_aborted_;  // by segment base
  std::vector<int64_t> snapshots_;
  // Taken at rolls, for the next background job to write (with executors).
  std::vector<std::pair<int64_t, producer_state>> pending_snapshots_;
  int64_t producer_expiration_ms_ = 0;

  bool compaction_running_ = false;
  int64_t last_tombstone_pass_ms_ = 0;
  std::shared_ptr<bool> alive_;  // completions check it after the log is gone
};

}  // namespace runnel::storage
