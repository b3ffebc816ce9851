#include "storage/partition_log.h"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "model/control_record.h"
#include "storage/compaction.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_checkpoint.h"
#include "storage/log_format.h"

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

// The blocking part of a flush: runs on the io executor, touches only what it
// holds (files by shared_ptr, paths, bytes).
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

  std::error_code run() {
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
    return {};
  }
};

partition_log::partition_log(log_options opts)
    : dir_(std::move(opts.dir)),
      config_(opts.config),
      fs_(opts.fs ? *opts.fs : posix_file_system()),
      cache_(*opts.cache),
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
  if (!opts.cache) return storage_errc::bad_config;
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
  with_aborts_.erase(base);
  for (const char* suffix : format::segment_file_suffixes) {
    auto p = segment_path(dir_, base, suffix);
    cache_.evict(p);
    (void)fs_.remove(p);
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
  for (const auto& n : names) {
    // Index files of segments that no longer exist.
    for (const char* suffix :
         {format::offset_index_suffix, format::time_index_suffix, format::txn_index_suffix})
      if (auto b = base_from_name(n, suffix);
          b && !std::binary_search(bases.begin(), bases.end(), *b))
        (void)fs_.remove(dir_ / n);
  }
  std::sort(bases.begin(), bases.end());

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
  for (const auto& s : segments_)
    if (!s->is_active() || clean) c.segments.push_back(s->summary());
  return c.encode();
}

bool partition_log::needs_roll(size_t batch_bytes, model::timestamp now) const {
  const segment& a = *segments_.back();
  if (a.empty()) return false;
  if (a.size() + batch_bytes > uint64_t(config_.segment_bytes)) return true;
  // Relative offsets in the index are u32.
  if (a.next() - a.base() > int64_t(UINT32_MAX) - (int64_t{1} << 20)) return true;
  const int64_t anchor = a.summary().first_batch_ts;
  return anchor >= 0 && now.value - anchor >= config_.segment_ms;
}

result<void> partition_log::roll(model::timestamp now) {
  segment& a = *segments_.back();
  RUNNEL_TRY(auto files, a.seal(fs_));
  auto seg = segment::create(fs_, dir_, a.next());
  if (!seg) {
    // Keep appending to the old segment rather than lose the log.
    (void)a.activate(fs_, config_.index_interval_bytes);
    return seg.error();
  }
  unsynced_files_.insert(unsynced_files_.end(), files.begin(), files.end());
  const int64_t sealed = a.base();
  segments_.push_back(std::move(seg).value());
  dir_dirty_ = true;
  checkpoint_dirty_ = true;
  on_roll(sealed, now.value);
  return success();
}

result<append_result> partition_log::append(std::span<std::byte> batch, model::timestamp now) {
  if (failed_) return failed_;
  if (closed_) return storage_errc::closed;
  model::validate_options vo;
  vo.max_batch_bytes = size_t(std::max<int64_t>(config_.max_message_bytes, 0));
  vo.require_keys = config_.cleanup_compact;
  const bool convert = needs_recompression(config_, batch);
  // Records about to be re-encoded are checked one by one first.
  vo.deep = convert;
  RUNNEL_TRY(auto h, model::validate_batch(batch, vo));
  if (h.is_control()) {
    // Only transaction markers: anything else would end a transaction blind.
    RUNNEL_TRY(model::parse_control_batch(batch, h));
  }
  model::bytes converted;
  if (convert) {
    RUNNEL_TRY(converted, model::recompress_batch(batch, *config_.compression));
    if (converted.size() > vo.max_batch_bytes) return model::batch_errc::too_large;
    batch = converted;
    RUNNEL_TRY(h, model::parse_header(batch));
  }
  if (needs_roll(batch.size(), now)) {
    RUNNEL_TRY(roll(now));
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
  return model::recompress_batch(batch, c.compression.value_or(model::compression::none));
}

segment* partition_log::segment_for(int64_t o) {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), o,
                             [](int64_t v, const auto& s) { return v < s->base(); });
  if (it == segments_.begin()) return nullptr;
  return (it - 1)->get();
}

result<read_result> partition_log::read(model::offset start, uint64_t max_bytes,
                                        std::optional<model::offset> upto) {
  const int64_t end = end_offset().value;
  if (start.value < start_ || start.value > end) return storage_errc::offset_out_of_range;
  const int64_t limit = std::min(upto ? upto->value : end, end);
  read_result out;
  out.next = start;
  if (start.value >= limit) return out;
  auto it = std::upper_bound(segments_.begin(), segments_.end(), start.value,
                             [](int64_t v, const auto& s) { return v < s->base(); });
  if (it != segments_.begin()) --it;
  bool first = true;
  for (; it != segments_.end(); ++it) {
    segment& seg = **it;
    if (seg.base() >= limit) break;
    uint64_t pos = segment::data_start();
    if (first) {
      RUNNEL_TRY(pos, seg.position_of(start.value, cache_));
    }
    if (pos >= seg.size()) {
      first = false;
      continue;
    }
    uint64_t seg_limit = seg.size();
    if (limit < seg.next()) {
      RUNNEL_TRY(seg_limit, seg.position_of(limit, cache_));
    }
    const uint64_t room = max_bytes > out.bytes ? max_bytes - out.bytes : 0;
    RUNNEL_TRY(uint64_t stop, seg.boundary_before(pos, std::min(seg_limit, pos + room), cache_));
    RUNNEL_TRY(auto f, seg.data(cache_));
    if (stop == pos) {
      if (!out.slices.empty() || pos >= seg_limit) break;
      // Always at least one batch, however large.
      batch_scanner scan(*f, pos, seg.size(), model::batch_layout::header_size);
      RUNNEL_TRY(auto b, scan.next());
      if (!b) break;
      stop = pos + b->header.size_bytes();
    }
    out.slices.push_back({f, pos, stop - pos});
    out.bytes += stop - pos;
    if (stop >= seg.size()) {
      out.next = model::offset{seg.next()};
    } else {
      RUNNEL_TRY(int64_t next_base, seg.base_offset_at(stop, cache_));
      out.next = model::offset{next_base};
    }
    first = false;
    if (stop < seg.size() || out.bytes >= max_bytes) break;
  }
  return out;
}

result<std::optional<timestamp_lookup>> partition_log::offset_for_timestamp(model::timestamp ts) {
  for (auto& s : segments_) {
    if (s->next() <= start_ || s->summary().max_ts < ts.value) continue;
    RUNNEL_TRY(auto hit, s->find_time(ts.value, start_, cache_));
    if (!hit) continue;
    return std::optional{
        timestamp_lookup{model::offset{hit->offset}, model::timestamp{hit->timestamp}}};
  }
  return std::optional<timestamp_lookup>{};
}

result<void> partition_log::for_each_batch(
    model::offset from, const std::function<bool(const model::batch_header&)>& fn) {
  for (auto& s : segments_) {
    if (s->next() <= from.value) continue;
    RUNNEL_TRY(auto f, s->data(cache_));
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

std::unique_ptr<partition_log::flush_job> partition_log::make_job() {
  auto job = std::make_unique<flush_job>();
  job->fs = &fs_;
  job->dir = dir_;
  job->target = end_offset().value;
  job->files = std::move(unsynced_files_);
  unsynced_files_.clear();
  if (flushed_ < job->target || unflushed_bytes_ > 0)
    job->files.push_back(segments_.back()->active_file());
  if (txn_file_dirty_ && active_txn_file_) job->files.push_back(active_txn_file_);
  txn_file_dirty_ = false;
  job->sync_dir = dir_dirty_;
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

void partition_log::fail(std::error_code ec) {
  if (!failed_) {
    failed_ = ec;
    spdlog::error("storage: {}: fsync failed ({}); the log accepts no more writes until reopened",
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
  if (job_running_ || failed_) return;
  job_running_ = true;
  auto job = make_job();
  std::weak_ptr<bool> alive = alive_;
  auto* raw = job.release();
  run_io([this, raw, alive] {
    std::unique_ptr<flush_job> job(raw);
    std::error_code ec = job->run();
    auto* done = job.release();
    run_owner([this, done, ec, alive] {
      std::unique_ptr<flush_job> job(done);
      if (auto a = alive.lock(); !a || !*a) return;
      finish_job(std::move(job), ec);
    });
  });
}

void partition_log::finish_job(std::unique_ptr<flush_job> job, std::error_code ec) {
  job_running_ = false;
  if (ec) {
    fail(ec);
    for (auto& done : job->checkpoint_waiters) done(failed_);
    return;
  }
  flushed_ = std::max(flushed_, job->target);
  for (auto& done : job->checkpoint_waiters) done({});
  while (!waiters_.empty() && waiters_.begin()->first <= flushed_) {
    auto done = std::move(waiters_.begin()->second);
    waiters_.erase(waiters_.begin());
    done({});
  }
  if ((!waiters_.empty() || !checkpoint_waiters_.empty()) && !failed_) start_job();
}

void partition_log::flush_async(model::offset upto, std::function<void(std::error_code)> done) {
  if (failed_) return done(failed_);
  if (upto.value <= flushed_) return done({});
  waiters_.emplace(upto.value, std::move(done));
  start_job();
}

result<void> partition_log::flush() {
  if (failed_) return failed_;
  if (job_running_) return storage_errc::closed;  // only used without executors
  auto job = make_job();
  if (auto ec = job->run()) {
    fail(ec);
    return ec;
  }
  flushed_ = std::max(flushed_, job->target);
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
  if (time_due || bytes_due || checkpoint_dirty_ || !pending_deletes_.empty() ||
      !unsynced_files_.empty()) {
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
    for (auto p : {s.data_path(), s.offset_index_path(), s.time_index_path()}) {
      cache_.evict(p);
      pending_deletes_.push_back(p);
    }
    if (with_aborts_.erase(s.base())) {
      cache_.evict(txn_index_path(s.base()));
      pending_deletes_.push_back(txn_index_path(s.base()));
    }
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
  for (int64_t b : with_aborts_) job->txn_indexes.push_back(b);
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
    if (out.has_txn_index) with_aborts_.insert(base);
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
  RUNNEL_TRY(flush());
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
