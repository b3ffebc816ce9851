#include "storage/partition_log.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>

#include <spdlog/spdlog.h>

#include "model/control_record.h"
#include "storage/compaction.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_checkpoint.h"
#include "storage/log_format.h"
#include "storage/producer_snapshot.h"

namespace runnel::storage {

namespace {

// "00000000000000001234.log" -> 1234; nullopt for other names.
std::optional<int64_t> base_from_name(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + 20, v);
  if (ec != std::errc{} || p != name.data() + 20 || v < 0) return std::nullopt;
  return v;
}

}  // namespace

// The blocking part of a flush, and of the rolls since the last one: runs on
// the io executor and touches only what it holds (files by shared_ptr,
// paths, bytes, index entries no segment changes any more).
struct partition_log::flush_job {
  file_system* fs = nullptr;
  std::filesystem::path dir;
  int64_t target = 0;
  std::vector<std::shared_ptr<file>> files;
  bool sync_dir = false;
  std::optional<std::vector<std::byte>> checkpoint;
  // Called once `checkpoint` is durable (delete_records).
  std::vector<std::function<void(std::error_code)>> checkpoint_waiters;
  std::vector<std::filesystem::path> deletes;
  // Rolls: index files of sealed segments, the spare file that became the
  // active segment (renamed to its name), and a new spare to create.
  std::vector<seal_work> seals;
  std::optional<std::pair<std::filesystem::path, std::filesystem::path>> rename;
  bool make_spare = false;
  // Producer snapshots taken at rolls (O.snapshot), written here.
  std::vector<std::pair<int64_t, producer_state>> snapshots;
  // Aborted-transaction index entries to append (creating the file at a
  // segment's first), before the checkpoint that vouches for the segment.
  std::vector<txn_write> txn_writes;

  // Results, valid once done.
  std::shared_ptr<file> spare;
  std::error_code ec;

  std::error_code run() {
    // Index files before the checkpoint that vouches for their segments;
    // the rename before the directory fsync that makes it durable.
    for (auto& w : txn_writes) {
      const bool created = !w.index->f;
      auto f = w.index->append(*fs, w.entries);
      if (!f) return f.error();
      files.push_back(std::move(f).value());
      sync_dir = sync_dir || created;
    }
    for (const auto& w : seals) {
      auto written = w.run(*fs);
      if (!written) return written.error();
      files.insert(files.end(), written.value().begin(), written.value().end());
    }
    if (rename)
      if (auto r = fs->rename(rename->first, rename->second); !r) return r.error();
    for (const auto& [at, state] : snapshots) {
      auto f = write_producer_snapshot(*fs, dir, at, state);
      if (f) {
        files.push_back(std::move(f).value());
      } else {
        // Only a cost: start-up then reads back from an older snapshot.
        spdlog::warn("storage: {}: could not write the producer snapshot at {}: {}", dir.string(),
                     at, f.error().message());
      }
    }
    for (auto& f : files)
      if (auto r = f->sync(); !r) return r.error();
    if (sync_dir)
      if (auto r = fs->sync_directory(dir); !r) return r.error();
    if (checkpoint)
      if (auto r = log_checkpoint::store(*fs, dir, *checkpoint); !r) return r.error();
    if (!deletes.empty()) {
      for (auto& p : deletes)
        if (auto r = fs->remove(p); !r && r.error() != std::errc::no_such_file_or_directory)
          spdlog::warn("storage: could not remove {}: {}", p.string(), r.error().message());
      // Not fatal if this fails: the checkpoint already no longer names them.
      (void)fs->sync_directory(dir);
    }
    if (make_spare) {
      // Not fatal either: without a spare the next roll waits for one.
      auto f = fs->open(dir / format::spare_segment_name, open_mode::create);
      if (f && f.value()->truncate(0))
        spare = std::move(f).value();
      else
        spdlog::warn("storage: {}: could not create the next segment's file", dir.string());
    }
    return {};
  }

  // close() waits for a job the io executor is running.
  void finish(std::error_code e) {
    std::lock_guard lock(mu_);
    ec = e;
    done_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

partition_log::partition_log(log_options opts)
    : dir_(std::move(opts.dir)),
      config_(opts.config),
      fs_(opts.fs ? *opts.fs : posix_file_system()),
      ex_(std::move(opts.executors)),
      producer_expiration_ms_(opts.producer_id_expiration_ms),
      alive_(std::make_shared<bool>(true)) {}

partition_log::~partition_log() {
  *alive_ = false;
}

void partition_log::run_io(task t) {
  if (ex_.io)
    ex_.io(std::move(t));
  else
    t();
}

void partition_log::run_owner(task t) {
  if (ex_.owner)
    ex_.owner(std::move(t));
  else
    t();
}

result<std::unique_ptr<partition_log>> partition_log::open(log_options opts) {
  std::unique_ptr<partition_log> log(new partition_log(std::move(opts)));
  RUNNEL_TRY(bool existed, log->fs_.exists(log->dir_));
  if (!existed) {
    RUNNEL_TRY(log->fs_.create_directories(log->dir_));
    RUNNEL_TRY(log->fs_.sync_directory(log->dir_.parent_path()));
  }
  RUNNEL_TRY(log->recover());
  return log;
}

void partition_log::remove_segment_files(int64_t base) {
  closed_aborted_.erase(base);
  for (const char* suffix : format::segment_file_suffixes) {
    (void)fs_.remove(segment_path(dir_, base, suffix));
  }
}

result<void> partition_log::complete_swaps(const std::vector<std::string>& names) {
  // A compaction output that reached the .swap state replaces every segment
  // whose base lies in [swap base, swap next). Finish that replacement the
  // same way apply_compaction does: remove the old files, then rename.
  const std::string log_swap = std::string(format::segment_suffix) + format::swap_suffix;
  std::vector<int64_t> swaps;
  for (const auto& n : names)
    if (auto b = base_from_name(n, log_swap)) swaps.push_back(*b);
  std::sort(swaps.begin(), swaps.end());
  if (swaps.empty()) return success();
  std::vector<int64_t> bases;
  for (const auto& n : names)
    if (auto b = base_from_name(n, format::segment_suffix)) bases.push_back(*b);
  std::sort(bases.begin(), bases.end());
  std::map<int64_t, int64_t> next_of;  // swap base -> offset after its last batch
  for (int64_t sb : swaps) {
    RUNNEL_TRY(auto f, fs_.open(segment_path(dir_, sb, log_swap.c_str()), open_mode::read_only));
    RUNNEL_TRY(uint64_t size, f->size());
    batch_scanner scan(*f, format::file_header_size, size);
    int64_t next = sb;
    for (;;) {
      RUNNEL_TRY(auto b, scan.next());
      if (!b) break;
      next = b->header.base_offset + b->header.last_offset_delta + 1;
    }
    next_of[sb] = next;
  }
  // A swap is stale if the segment after it is gone while later ones remain:
  // retention or delete-records removed the job's segments (and more) before
  // it was applied. Completing it would leave a hole after it, and
  // everything past a hole is dropped. Decided from the last swap down, as a
  // swap may be followed by another one.
  std::vector<int64_t> viable;
  for (auto it = swaps.rbegin(); it != swaps.rend(); ++it) {
    const int64_t next = next_of[*it];
    const bool followed = std::binary_search(bases.begin(), bases.end(), next) ||
                          std::find(viable.begin(), viable.end(), next) != viable.end();
    if (followed || bases.empty() || bases.back() < next) {
      viable.push_back(*it);
      continue;
    }
    spdlog::info("storage: {}: dropping stale compaction output at offset {}", dir_.string(), *it);
    for (const char* suffix : format::segment_file_suffixes)
      (void)fs_.remove(
          segment_path(dir_, *it, (std::string(suffix) + format::swap_suffix).c_str()));
  }
  for (int64_t sb : swaps) {
    if (std::find(viable.begin(), viable.end(), sb) == viable.end()) continue;
    const auto swap_path = segment_path(dir_, sb, log_swap.c_str());
    const int64_t next = next_of[sb];
    for (int64_t b : bases)
      if (b >= sb && b < next) remove_segment_files(b);
    RUNNEL_TRY(fs_.sync_directory(dir_));
    for (const char* suffix :
         {format::offset_index_suffix, format::time_index_suffix, format::txn_index_suffix}) {
      auto from = segment_path(dir_, sb, (std::string(suffix) + format::swap_suffix).c_str());
      if (value_or(fs_.exists(from), false)) {
        RUNNEL_TRY(fs_.rename(from, segment_path(dir_, sb, suffix)));
      }
    }
    RUNNEL_TRY(fs_.rename(swap_path, segment_path(dir_, sb, format::segment_suffix)));
    RUNNEL_TRY(fs_.sync_directory(dir_));
    spdlog::info("storage: {}: finished interrupted compaction swap at offset {}", dir_.string(),
                 sb);
  }
  return success();
}

result<void> partition_log::recover_spare(const std::vector<std::string>& names) {
  if (std::find(names.begin(), names.end(), format::spare_segment_name) == names.end())
    return success();
  // A spare that a roll made the active segment, written to before the job
  // that names it ran: it holds the batches after the last named segment.
  // Named now, recovery scans it like any segment the checkpoint does not
  // vouch for. Any other spare (empty, or no longer the next segment) goes.
  const auto path = dir_ / format::spare_segment_name;
  std::optional<int64_t> base;
  if (auto f = fs_.open(path, open_mode::read_only); f)
    if (auto h = file_header::read(*f.value(), format::file_kind::segment); h)
      base = h.value().base;
  int64_t last = -1;
  for (const auto& n : names)
    if (auto b = base_from_name(n, format::segment_suffix)) last = std::max(last, *b);
  if (base && *base > last) {
    RUNNEL_TRY(fs_.rename(path, segment_path(dir_, *base, format::segment_suffix)));
    spdlog::info("storage: {}: named the segment file at offset {} that a roll had begun",
                 dir_.string(), *base);
  } else {
    (void)fs_.remove(path);
  }
  return fs_.sync_directory(dir_);
}

result<void> partition_log::recover() {
  RUNNEL_TRY(auto names, fs_.list(dir_));
  // Leftovers of work that never reached its durable point.
  for (const auto& n : names) {
    if (n.ends_with(format::cleaned_suffix) || n == format::checkpoint_tmp_name)
      (void)fs_.remove(dir_ / n);
    else if (n.ends_with(format::swap_suffix) &&
             !base_from_name(n, std::string(format::segment_suffix) + format::swap_suffix) &&
             !value_or(fs_.exists(dir_ /
                                  (n.substr(0, 20) + format::segment_suffix + format::swap_suffix)),
                       false))
      (void)fs_.remove(dir_ / n);  // an index .swap whose data .swap never came
  }
  RUNNEL_TRY(complete_swaps(names));
  RUNNEL_TRY(names, fs_.list(dir_));
  RUNNEL_TRY(recover_spare(names));
  RUNNEL_TRY(names, fs_.list(dir_));

  std::optional<log_checkpoint> cp;
  if (auto c = log_checkpoint::load(fs_, dir_); c) {
    cp = std::move(c).value();
  } else {
    spdlog::warn("storage: {}: checkpoint unreadable ({}); scanning every segment", dir_.string(),
                 c.error().message());
  }
  std::map<int64_t, segment_summary> trusted;
  if (cp) {
    stats_.had_checkpoint = true;
    stats_.clean_shutdown = cp->clean_shutdown;
    for (const auto& s : cp->segments) trusted[s.base] = s;
  }

  std::vector<int64_t> bases;
  for (const auto& n : names)
    if (auto b = base_from_name(n, format::segment_suffix)) bases.push_back(*b);
  // Sorted before the search below: a directory lists in any order (the
  // fault-injecting file system sorts, the POSIX one does not). Searching
  // the unsorted list removed index files of live segments at restart,
  // their aborted-transaction indexes among them, so read_committed
  // consumers got aborted records after a restart.
  std::sort(bases.begin(), bases.end());
  for (const auto& n : names) {
    // Index files of segments that no longer exist.
    for (const char* suffix :
         {format::offset_index_suffix, format::time_index_suffix, format::txn_index_suffix})
      if (auto b = base_from_name(n, suffix);
          b && !std::binary_search(bases.begin(), bases.end(), *b))
        (void)fs_.remove(dir_ / n);
  }

  bool changed = false;
  size_t scanned = 0;
  std::vector<std::shared_ptr<file>> to_sync;
  std::set<int64_t> rescanned;  // segments whose aborted-transaction index must be rebuilt
  for (size_t i = 0; i < bases.size(); ++i) {
    const int64_t base = bases[i];
    const bool last = i + 1 == bases.size();
    if (!segments_.empty() && base != segments_.back()->next()) {
      // A hole: whatever follows it cannot be trusted to be complete.
      spdlog::warn("storage: {}: segment {} does not follow offset {}; dropping it and later ones",
                   dir_.string(), base, segments_.back()->next());
      for (size_t k = i; k < bases.size(); ++k) remove_segment_files(bases[k]);
      stats_.segments_dropped += bases.size() - i;
      changed = true;
      break;
    }
    bool is_trusted = false;
    if (auto t = trusted.find(base); t != trusted.end()) {
      auto f = fs_.open(segment_path(dir_, base, format::segment_suffix), open_mode::read_only);
      if (f) {
        auto size = f.value()->size();
        auto h = file_header::read(*f.value(), format::file_kind::segment);
        if (!h) h = file_header::read(*f.value(), format::file_kind::compacted_segment);
        is_trusted = size && size.value() == t->second.size && h &&
                     h.value().file_id == t->second.file_id && h.value().base == base;
      }
    }
    if (is_trusted) {
      auto seg = std::make_unique<segment>(dir_, trusted[base]);
      if (last) {
        RUNNEL_TRY(seg->activate(fs_, config_.index_interval_bytes));
      } else {
        RUNNEL_TRY(bool rebuilt, seg->check_indexes(fs_, config_.index_interval_bytes));
        if (rebuilt) {
          ++stats_.indexes_rebuilt;
          spdlog::info("storage: {}: rebuilt indexes of segment {}", dir_.string(), base);
          changed = true;
        }
      }
      segments_.push_back(std::move(seg));
      continue;
    }
    ++scanned;
    rescanned.insert(base);
    RUNNEL_TRY(auto rec, segment::recover(fs_, dir_, base, config_.index_interval_bytes));
    to_sync.push_back(rec.seg->active_file());
    segments_.push_back(std::move(rec.seg));
    changed = true;
    if (rec.truncated) {
      spdlog::warn("storage: {}: truncated a torn or corrupt tail of segment {} at offset {}",
                   dir_.string(), base, segments_.back()->next());
      for (size_t k = i + 1; k < bases.size(); ++k) remove_segment_files(bases[k]);
      ++stats_.segments_truncated;
      stats_.segments_dropped += bases.size() - i - 1;
      break;
    }
  }
  stats_.segments_scanned = scanned;
  if (scanned > 0)
    spdlog::info("storage: {}: recovered {} segment(s) by scanning", dir_.string(), scanned);

  int64_t start = cp ? cp->log_start_offset : 0;
  if (segments_.empty()) {
    int64_t base = start;
    if (cp && !cp->segments.empty()) base = std::max(base, cp->segments.back().next);
    RUNNEL_TRY(auto seg, segment::create(fs_, dir_, base));
    to_sync.push_back(seg->active_file());
    rescanned.insert(base);
    segments_.push_back(std::move(seg));
    changed = true;
  }
  // Every segment but the last is closed; the last is active.
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    if (segments_[i]->is_active()) {
      RUNNEL_TRY(auto files, segments_[i]->seal(fs_));
      to_sync.insert(to_sync.end(), files.begin(), files.end());
    }
  }
  if (!segments_.back()->is_active()) {
    RUNNEL_TRY(segments_.back()->activate(fs_, config_.index_interval_bytes));
  }

  start_ = std::clamp(start, segments_.front()->base(), end_offset().value);
  cleaner_offset_ = std::max(cp ? cp->cleaner_offset : 0, start_);
  // Segments wholly below the start offset (delete-records or retention that
  // did not finish removing them).
  while (segments_.size() > 1 && segments_.front()->next() <= start_) {
    remove_segment_files(segments_.front()->base());
    segments_.erase(segments_.begin());
    changed = true;
  }
  // Producers, open transactions and aborted-transaction indexes.
  RUNNEL_TRY(recover_producers(rescanned, to_sync));

  // Make the recovered state durable before serving from it: what a crashed
  // process left in the page cache is not yet on disk.
  for (auto& f : to_sync) {
    RUNNEL_TRY(f->sync());
  }
  if (changed || !cp || cp->clean_shutdown) {
    RUNNEL_TRY(fs_.sync_directory(dir_));
    RUNNEL_TRY(log_checkpoint::store(fs_, dir_, checkpoint_bytes(false)));
  }
  flushed_ = end_offset().value;
  return success();
}

model::offset partition_log::end_offset() const {
  return model::offset{segments_.back()->next()};
}

uint64_t partition_log::size_bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s->size();
  return n;
}

std::vector<std::byte> partition_log::checkpoint_bytes(bool clean) const {
  log_checkpoint c;
  c.log_start_offset = start_;
  c.cleaner_offset = cleaner_offset_;
  c.clean_shutdown = clean;
  // Rolled segments (sealing ones too: the job that writes this checkpoint
  // first writes and syncs their index files) and, at a clean close, the
  // active one.
  for (size_t i = 0; i < segments_.size(); ++i)
    if (i + 1 < segments_.size() || clean) c.segments.push_back(segments_[i]->summary());
  return c.encode();
}

bool partition_log::needs_roll(size_t batch_bytes, int64_t batch_ts) const {
  const segment& a = *segments_.back();
  if (a.empty()) return false;
  if (a.size() + batch_bytes > uint64_t(config_.segment_bytes)) return true;
  // Relative offsets in the index are u32.
  if (a.next() - a.base() > int64_t(UINT32_MAX) - (int64_t{1} << 20)) return true;
  // segment.ms, as Kafka measures it: the new batch's timestamp against the
  // first batch's, not the broker's clock. Measured against the clock, records
  // stamped long ago (a client's test data from 1970) rolled a segment at
  // every append, and retention.ms then deleted every segment but the
  // active one within a maintenance tick: the log start moved past offsets
  // a consumer had just been told were there.
  const int64_t anchor = a.summary().first_batch_ts;
  return anchor >= 0 && batch_ts >= anchor && batch_ts - anchor >= config_.segment_ms;
}

bool partition_log::can_roll_now(size_t batch_bytes) const {
  if (spare_ || !ex_.io) return true;
  // Waiting for the spare is fine while the segment stays within what
  // positions and relative offsets (u32) can address.
  const segment& a = *segments_.back();
  return a.size() + batch_bytes > format::max_segment_bytes ||
         a.next() - a.base() > int64_t(UINT32_MAX) - (int64_t{1} << 19);
}

bool partition_log::wants_spare() const {
  if (!ex_.io || spare_ || spare_wanted_ || closing_) return false;
  // Created when the active segment is half way to a roll: most partitions
  // never roll, and need no second file.
  const segment& a = *segments_.back();
  if (a.empty()) return false;
  // Time as needs_roll measures it: the span of the segment's timestamps.
  const int64_t anchor = a.summary().first_batch_ts;
  const int64_t newest = a.summary().max_ts;
  return a.size() * 2 >= uint64_t(config_.segment_bytes) ||
         (anchor >= 0 && newest >= anchor && newest - anchor >= config_.segment_ms / 2);
}

result<void> partition_log::roll(model::timestamp now) {
  segment& a = *segments_.back();
  std::unique_ptr<segment> next;
  if (spare_) {
    // The spare becomes the new segment here (a header written to the page
    // cache); the next job gives it its name.
    RUNNEL_TRY(next, segment::adopt(spare_, dir_, a.next()));
    spare_.reset();
    pending_rename_ = next->data_path();
  } else {
    // No executors (or past the hard limit of can_roll_now): create inline.
    RUNNEL_TRY(next, segment::create(fs_, dir_, a.next()));
  }
  const int64_t sealed = a.base();
  if (ex_.io) {
    // The sealed segment keeps its file and in-memory indexes for reads
    // until the job has written its index files (seal_work).
    pending_seals_.push_back(a.seal_begin());
    unsynced_files_.push_back(a.active_file());
    spare_wanted_ = true;
  } else {
    // On failure the old segment stays active: appends go on there.
    auto files = a.seal(fs_);
    if (!files) return files.error();
    unsynced_files_.insert(unsynced_files_.end(), files.value().begin(), files.value().end());
  }
  segments_.push_back(std::move(next));
  dir_dirty_ = true;
  checkpoint_dirty_ = true;
  on_roll(sealed, now.value);
  if (ex_.io) start_job();
  return success();
}

result<void> partition_log::roll_now(model::timestamp now) {
  if (failed_) return failed_;
  if (closed_) return storage_errc::closed;
  if (segments_.back()->empty()) return success();
  return roll(now);
}

namespace {

// What append() checks of every batch.
model::validate_options validate_options_for(const log_config& c) {
  model::validate_options vo;
  vo.max_batch_bytes = size_t(std::max<int64_t>(c.max_message_bytes, 0));
  vo.require_keys = c.cleanup_compact;
  return vo;
}

}  // namespace

result<append_result> partition_log::append(std::span<std::byte> batch, model::timestamp now) {
  if (failed_) return failed_;
  if (closed_) return storage_errc::closed;
  model::bytes converted;
  if (needs_recompression(config_, batch)) {
    RUNNEL_TRY(converted, recompress_for(config_, batch));
    batch = converted;
  }
  RUNNEL_TRY(auto h, model::validate_batch(batch, validate_options_for(config_)));
  if (h.is_control()) {
    // Only transaction markers: anything else would end a transaction blind.
    RUNNEL_TRY(model::parse_control_batch(batch, h));
  }
  // The timestamp segment.ms is measured with: the batch's largest, or the
  // broker's clock for a LogAppendTime topic (it stamps the batch below).
  const int64_t batch_ts = config_.log_append_time ? now.value : h.max_timestamp;
  if (needs_roll(batch.size(), batch_ts)) {
    if (can_roll_now(batch.size())) {
      RUNNEL_TRY(roll(now));
    } else if (!spare_wanted_) {
      // Rolls as soon as the next segment's file exists; until then this
      // segment grows a little past segment.bytes.
      spare_wanted_ = true;
      start_job();
    }
  }
  segment& a = *segments_.back();
  append_result r;
  r.base = model::offset{a.next()};
  r.last = r.base + h.last_offset_delta;
  model::set_base_offset(batch, r.base);
  h.base_offset = r.base.value;
  if (config_.log_append_time) {
    model::stamp_log_append_time(batch, now);
    h.max_timestamp = now.value;
    h.attributes |= model::batch_attr::log_append_time;
    r.log_append_time = now;
  }
  r.max_timestamp = model::timestamp{h.max_timestamp};
  RUNNEL_TRY(a.append(batch, h, config_.index_interval_bytes));
  unflushed_bytes_ += batch.size();
  if (h.producer_id >= 0) {
    RUNNEL_TRY(record_batch(batch, h, now.value));
  }
  return r;
}

bool needs_recompression(const log_config& c, std::span<const std::byte> batch) {
  if (!c.compression) return false;
  auto h = model::parse_header(batch);
  // Control batches (transaction markers) are the broker's own: kept as written.
  return h && !h.value().is_control() && h.value().codec() != *c.compression;
}

result<model::bytes> recompress_for(const log_config& c, std::span<const std::byte> batch) {
  // Records about to be re-encoded are checked one by one first.
  auto vo = validate_options_for(c);
  vo.deep = true;
  RUNNEL_TRY(model::validate_batch(batch, vo));
  return model::recompress_batch(batch, c.compression.value_or(model::compression::none));
}

segment* partition_log::segment_for(int64_t o) {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), o,
                             [](int64_t v, const auto& s) { return v < s->base(); });
  if (it == segments_.begin()) return nullptr;
  return (it - 1)->get();
}

result<read_plan> partition_log::plan_read(model::offset start, uint64_t max_bytes,
                                           std::optional<model::offset> upto) {
  const int64_t end = end_offset().value;
  if (start.value < start_ || start.value > end) return storage_errc::offset_out_of_range;
  const int64_t limit = std::min(upto ? upto->value : end, end);
  read_plan p;
  if (start.value >= limit) {
    p.ready = read_result{{}, 0, start};
    return p;
  }
  segment* seg = segment_for(start.value);
  if (!seg) return storage_errc::offset_out_of_range;  // below the first segment: not a valid log
  if (auto r = seg->read_recent(start.value, limit, max_bytes)) {
    p.ready = std::move(*r);
    return p;
  }
  p.later = read_plan::deferred{segment_reader(seg->view(start.value, std::nullopt), fs_),
                                start.value, limit, max_bytes};
  return p;
}

result<read_result> partition_log::read(model::offset start, uint64_t max_bytes,
                                        std::optional<model::offset> upto) {
  for (int attempt = 0;; ++attempt) {
    RUNNEL_TRY(auto p, plan_read(start, max_bytes, upto));
    if (p.ready) return std::move(*p.ready);
    auto r = p.later->run();
    if (r || r.error() != storage_errc::stale_view || attempt == 2) return r;
  }
}

partition_log::time_plan partition_log::plan_offset_for_timestamp(model::timestamp ts) const {
  time_plan p;
  p.min_offset = start_;
  for (const auto& s : segments_) {
    if (s->next() <= start_ || s->summary().max_ts < ts.value) continue;
    p.readers.emplace_back(s->view(std::nullopt, ts.value), fs_);
  }
  return p;
}

result<std::optional<timestamp_lookup>> partition_log::offset_for_timestamp(model::timestamp ts) {
  auto p = plan_offset_for_timestamp(ts);
  for (auto& r : p.readers) {
    RUNNEL_TRY(auto hit, r.find_time(ts.value, p.min_offset));
    if (hit)
      return std::optional{
          timestamp_lookup{model::offset{hit->offset}, model::timestamp{hit->timestamp}}};
  }
  return std::optional<timestamp_lookup>{};
}

result<void> partition_log::for_each_batch(
    model::offset from, const std::function<bool(const model::batch_header&)>& fn) {
  for (auto& s : segments_) {
    if (s->next() <= from.value) continue;
    std::shared_ptr<file> f = s->active_file();
    if (!f) {
      RUNNEL_TRY(f, fs_.open(s->data_path(), open_mode::read_only));
    }
    batch_scanner scan(*f, segment::data_start(), s->size());
    for (;;) {
      RUNNEL_TRY(auto b, scan.next());
      if (!b) break;
      if (b->header.base_offset + b->header.last_offset_delta < from.value) continue;
      if (!fn(b->header)) return success();
    }
  }
  return success();
}

model::offset partition_log::segment_base_from_end(size_t n) const {
  if (n == 0 || n > segments_.size()) return model::offset{segments_.front()->base()};
  return model::offset{segments_[segments_.size() - n]->base()};
}

std::optional<timestamp_lookup> partition_log::max_timestamp() const {
  std::optional<timestamp_lookup> best;
  for (const auto& s : segments_) {
    const auto& m = s->summary();
    if (m.max_ts < 0 || m.max_ts_offset < start_) continue;
    if (!best || m.max_ts >= best->timestamp.value)
      best = timestamp_lookup{model::offset{m.max_ts_offset}, model::timestamp{m.max_ts}};
  }
  return best;
}

std::shared_ptr<partition_log::flush_job> partition_log::make_job() {
  auto job = std::make_shared<flush_job>();
  job->fs = &fs_;
  job->dir = dir_;
  job->target = end_offset().value;
  job->files = std::move(unsynced_files_);
  unsynced_files_.clear();
  if (flushed_ < job->target || unflushed_bytes_ > 0)
    job->files.push_back(segments_.back()->active_file());
  if (txn_file_dirty_ && active_txn_ && active_txn_->f) job->files.push_back(active_txn_->f);
  txn_file_dirty_ = false;
  take_txn_writes(job->txn_writes);
  job->snapshots = std::move(pending_snapshots_);
  pending_snapshots_.clear();
  job->seals = std::move(pending_seals_);
  pending_seals_.clear();
  if (pending_rename_) {
    job->rename = std::pair{dir_ / format::spare_segment_name, *pending_rename_};
    pending_rename_.reset();
  }
  // After the rename, so the spare's name is free again.
  job->make_spare = spare_wanted_ && !spare_ && ex_.io && !closing_;
  spare_wanted_ = false;
  job->sync_dir = dir_dirty_ || !job->seals.empty() || job->rename;
  if (checkpoint_dirty_) {
    job->checkpoint = checkpoint_bytes(false);
    job->checkpoint_waiters = std::move(checkpoint_waiters_);
    checkpoint_waiters_.clear();
  }
  job->deletes = std::move(pending_deletes_);
  pending_deletes_.clear();
  dir_dirty_ = false;
  checkpoint_dirty_ = false;
  unflushed_bytes_ = 0;
  return job;
}

bool partition_log::background_work() const {
  return !pending_seals_.empty() || pending_rename_ || (spare_wanted_ && !spare_) ||
         !txn_writes_.empty() || active_txn_taken_ < active_aborted_.size();
}

void partition_log::fail(std::error_code ec) {
  if (!failed_) {
    failed_ = ec;
    spdlog::error(
        "storage: {}: a background write or fsync failed ({}); the log accepts no more writes "
        "until reopened",
        dir_.string(), ec.message());
  }
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [upto, done] : waiters) done(failed_);
  auto cp_waiters = std::move(checkpoint_waiters_);
  checkpoint_waiters_.clear();
  for (auto& done : cp_waiters) done(failed_);
}

void partition_log::start_job() {
  if (job_running_ || failed_ || closing_) return;
  job_running_ = true;
  auto job = make_job();
  current_job_ = job;
  std::weak_ptr<bool> alive = alive_;
  run_io([this, job, alive] {
    job->finish(job->run());
    run_owner([this, job, alive] {
      if (auto a = alive.lock(); !a || !*a) return;
      if (current_job_ == job) finish_job(job);  // else close() finished it
    });
  });
}

void partition_log::finish_job(const std::shared_ptr<flush_job>& job) {
  job_running_ = false;
  current_job_.reset();
  if (job->ec) {
    fail(job->ec);
    for (auto& done : job->checkpoint_waiters) done(failed_);
    return;
  }
  // The sealed segments' index files exist now: they read like any closed
  // segment from here on (retention may have dropped some meanwhile).
  for (const auto& w : job->seals)
    for (auto& s : segments_)
      if (s->base() == w.base && s->summary().file_id == w.file_id && s->is_sealing())
        s->seal_end();
  if (job->spare && !spare_) spare_ = job->spare;
  flushed_ = std::max(flushed_, job->target);
  for (auto& done : job->checkpoint_waiters) done({});
  while (!waiters_.empty() && waiters_.begin()->first <= flushed_) {
    auto done = std::move(waiters_.begin()->second);
    waiters_.erase(waiters_.begin());
    done({});
  }
  if ((!waiters_.empty() || !checkpoint_waiters_.empty() || background_work()) && !failed_)
    start_job();
}

void partition_log::flush_async(model::offset upto, std::function<void(std::error_code)> done) {
  if (failed_) return done(failed_);
  if (upto.value <= flushed_) return done({});
  waiters_.emplace(upto.value, std::move(done));
  start_job();
}

result<void> partition_log::flush() {
  if (failed_) return failed_;
  if (job_running_) return storage_errc::closed;  // only used without executors, and by close()
  auto job = make_job();
  job_running_ = true;
  current_job_ = job;
  job->finish(job->run());
  finish_job(job);
  if (failed_) return failed_;
  return success();
}

void partition_log::maintain(model::timestamp now) {
  if (failed_ || closed_) return;
  apply_retention(now);
  const bool time_due = flushed_ < end_offset().value && config_.flush_ms >= 0 &&
                        now.value - last_flush_ms_ >= config_.flush_ms;
  const bool bytes_due = unflushed_bytes_ >= uint64_t(config_.flush_bytes);
  if (auto job = prepare_compaction(now)) {
    std::weak_ptr<bool> alive = alive_;
    auto* raw = job.release();
    run_io([this, raw, alive] {
      std::unique_ptr<compaction_job> job(raw);
      auto r = job->run();
      auto* done = job.release();
      run_owner([this, done, r, alive] {
        std::unique_ptr<compaction_job> job(done);
        if (auto a = alive.lock(); !a || !*a) return;
        if (!r) {
          compaction_running_ = false;
          spdlog::warn("storage: {}: compaction failed: {}", dir_.string(), r.error().message());
          return;
        }
        if (auto applied = apply_compaction(std::move(job)); !applied)
          spdlog::error("storage: {}: compaction swap failed: {}", dir_.string(),
                        applied.error().message());
      });
    });
  }
  if (wants_spare()) spare_wanted_ = true;
  if (time_due || bytes_due || checkpoint_dirty_ || !pending_deletes_.empty() ||
      !unsynced_files_.empty() || background_work()) {
    last_flush_ms_ = now.value;
    start_job();
  }
}

size_t partition_log::apply_retention(model::timestamp now) {
  size_t dropped = 0;
  uint64_t total = size_bytes();
  while (segments_.size() > 1) {
    segment& s = *segments_.front();
    bool drop = s.next() <= start_;
    // Retention never cuts into an open transaction: a segment goes only if
    // it lies wholly below the last stable offset.
    if (!drop && config_.cleanup_delete && s.next() <= last_stable_offset().value) {
      // now - max_ts > retention.ms, written so that it cannot overflow:
      // delete_records() passes INT64_MIN for "no time-based retention".
      const int64_t max_ts = s.summary().max_ts;
      if (config_.retention_ms >= 0 && max_ts >= 0 && now.value >= max_ts &&
          now.value - max_ts > config_.retention_ms)
        drop = true;
      if (config_.retention_bytes >= 0 && total - s.size() >= uint64_t(config_.retention_bytes))
        drop = true;
    }
    if (!drop) break;
    total -= s.size();
    for (auto p : {s.data_path(), s.offset_index_path(), s.time_index_path()})
      pending_deletes_.push_back(p);
    // (An index file the job has yet to write is written before it is
    // removed: a job writes before it deletes, and jobs run in order.)
    if (closed_aborted_.erase(s.base())) pending_deletes_.push_back(txn_index_path(s.base()));
    start_ = std::max(start_, s.next());
    segments_.erase(segments_.begin());
    checkpoint_dirty_ = true;
    ++dropped;
  }
  cleaner_offset_ = std::max(cleaner_offset_, start_);
  return dropped;
}

void partition_log::delete_records(model::offset before,
                                   std::function<void(std::error_code)> done) {
  if (failed_) return done(failed_);
  if (closed_) return done(storage_errc::closed);
  if (before.value < 0 || before.value > end_offset().value)
    return done(storage_errc::offset_out_of_range);
  if (before.value > start_) {
    start_ = before.value;
    cleaner_offset_ = std::max(cleaner_offset_, start_);
    checkpoint_dirty_ = true;
    apply_retention(model::timestamp{INT64_MIN});
  }
  if (!checkpoint_dirty_ && !job_running_) return done({});
  // Done once a checkpoint taken after this point is durable. A job already
  // in flight took its checkpoint earlier, so mark it dirty for the next.
  checkpoint_dirty_ = true;
  checkpoint_waiters_.push_back(std::move(done));
  start_job();
}

std::unique_ptr<compaction_job> partition_log::prepare_compaction(model::timestamp now) {
  if (!config_.cleanup_compact || compaction_running_ || failed_ || closed_) return nullptr;
  auto job = std::make_unique<compaction_job>();
  const int64_t lso = last_stable_offset().value;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    // Only closed segments: a sealing one may not have its file names yet.
    if (!segments_[i]->is_closed()) break;
    const auto& s = segments_[i]->summary();
    // min.compaction.lag.ms: records this young stay as written.
    if (s.max_ts > now.value - config_.min_compaction_lag_ms) break;
    // Only what every transaction has decided: records of an open one may
    // yet be aborted, so neither their keys nor their markers are known.
    if (s.next > lso) break;
    job->segments.push_back(s);
  }
  if (job->segments.empty()) return nullptr;
  if (job->segments.back().next <= cleaner_offset_) {
    // Nothing new to clean; still, tombstones expire with time alone.
    if (now.value - last_tombstone_pass_ms_ < config_.delete_retention_ms) return nullptr;
    job->tombstone_pass = true;
  }
  last_tombstone_pass_ms_ = now.value;
  job->fs = &fs_;
  job->dir = dir_;
  job->config = config_;
  job->now_ms = now.value;
  job->dirty_start = cleaner_offset_;
  // Where the aborted transactions are: markers of the job's transactions may
  // lie in any later segment, the active one included.
  job->txn_indexes = closed_aborted_;
  job->active_aborted = active_aborted_;
  compaction_running_ = true;
  return job;
}

result<void> partition_log::apply_compaction(std::unique_ptr<compaction_job> job) {
  compaction_running_ = false;
  for (auto& out : job->outputs) {
    const int64_t base = out.replaced.front().base;
    auto swap = [&](const char* suffix) {
      return segment_path(dir_, base, (std::string(suffix) + format::swap_suffix).c_str());
    };
    // The group must still be exactly what the job read (retention may have
    // removed part of it meanwhile).
    auto first = std::find_if(segments_.begin(), segments_.end(),
                              [&](const auto& s) { return s->base() == base; });
    bool intact = first != segments_.end() &&
                  size_t(segments_.end() - first) > out.replaced.size();  // never the active one
    for (size_t k = 0; intact && k < out.replaced.size(); ++k) {
      const auto& cur = (*(first + ptrdiff_t(k)))->summary();
      intact = cur.base == out.replaced[k].base && cur.file_id == out.replaced[k].file_id;
    }
    if (!intact) {
      // Durably: a stale .swap brought back by a power loss would be swapped
      // in by recovery over whatever has replaced these segments since.
      for (const char* suffix : format::segment_file_suffixes) (void)fs_.remove(swap(suffix));
      if (auto r = fs_.sync_directory(dir_); !r) {
        fail(r.error());
        return r.error();
      }
      // What remains of the group was not cleaned: the next pass maps it again.
      job->new_cleaner_offset = std::min(job->new_cleaner_offset, base);
      continue;
    }
    // Same order as recovery's complete_swaps(): old files out, then rename.
    for (const auto& r : out.replaced) remove_segment_files(r.base);
    if (auto r = fs_.sync_directory(dir_); !r) {
      fail(r.error());
      return r.error();
    }
    for (const char* suffix : format::segment_file_suffixes) {
      if (std::string_view(suffix) == format::txn_index_suffix && !out.has_txn_index) continue;
      if (auto r = fs_.rename(swap(suffix), segment_path(dir_, base, suffix)); !r) {
        fail(r.error());
        return r.error();
      }
    }
    if (out.has_txn_index) closed_aborted_[base] = std::move(out.txn_entries);
    dir_dirty_ = true;
    auto pos = segments_.erase(first, first + ptrdiff_t(out.replaced.size()));
    segments_.insert(pos, std::make_unique<segment>(dir_, out.summary));
  }
  cleaner_offset_ = std::max(cleaner_offset_, job->new_cleaner_offset);
  checkpoint_dirty_ = true;
  return success();
}

result<void> partition_log::close() {
  if (closed_) return success();
  if (failed_) return failed_;
  // No new background job from here; one still running is waited for (it
  // needs nothing from this thread) and finished here.
  closing_ = true;
  if (auto job = current_job_) {
    job->wait();
    finish_job(job);
    if (failed_) return failed_;
  }
  // The rest of the work inline, pending rolls included.
  RUNNEL_TRY(flush());
  if (spare_) {
    spare_.reset();
    (void)fs_.remove(dir_ / format::spare_segment_name);
  }
  RUNNEL_TRY(segments_.back()->write_indexes(fs_));
  // Index files of the active segment are part of what the clean checkpoint
  // vouches for, so they must be durable too.
  for (auto p : {segments_.back()->offset_index_path(), segments_.back()->time_index_path()}) {
    RUNNEL_TRY(auto f, fs_.open(p, open_mode::read_write));
    RUNNEL_TRY(f->sync());
  }
  RUNNEL_TRY(close_producers());
  RUNNEL_TRY(fs_.sync_directory(dir_));
  RUNNEL_TRY(log_checkpoint::store(fs_, dir_, checkpoint_bytes(true)));
  closed_ = true;
  return success();
}

result<void> partition_log::destroy(file_system& fs, const std::filesystem::path& dir) {
  RUNNEL_TRY(fs.remove_all(dir));
  return fs.sync_directory(dir.parent_path());
}

}  // namespace runnel::storage
