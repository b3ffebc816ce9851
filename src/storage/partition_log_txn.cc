// partition_log, transaction half: producer state, the last stable offset,
// aborted-transaction indexes and producer snapshots (partition_log.h;
// formats in docs/format/log.md). Same threading as the rest of the log:
// the owner shard only; blocking calls at open and close. With executors the
// background job writes the aborted-transaction index files (created at a
// segment's first abort marker, appended to at later ones, completed at its
// roll) and a roll's producer snapshot; read_committed reads take every
// segment's entries from memory. Without executors the owner writes them.
#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "model/control_record.h"
#include "storage/batch_scanner.h"
#include "storage/errc.h"
#include "storage/log_format.h"
#include "storage/partition_log.h"
#include "storage/producer_snapshot.h"

namespace runnel::storage {

namespace {

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::filesystem::path partition_log::txn_index_path(int64_t base) const {
  return segment_path(dir_, base, format::txn_index_suffix);
}

model::offset partition_log::last_stable_offset() const {
  const int64_t end = end_offset().value;
  return model::offset{std::min(producers_.first_unstable_offset().value_or(end), end)};
}

result<std::vector<aborted_txn>> partition_log::aborted_transactions(model::offset from,
                                                                     model::offset upto) {
  std::vector<aborted_txn> out;
  // An entry lives in the segment of its marker, so segments before the one
  // holding `from` only have markers below it.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), from.value,
                             [](int64_t v, const auto& s) { return v < s->base(); });
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const segment& seg = **it;
    const std::vector<aborted_txn>* entries = nullptr;
    if (seg.is_active()) {
      entries = &active_aborted_;
    } else if (auto c = closed_aborted_.find(seg.base()); c != closed_aborted_.end()) {
      entries = &c->second;  // from memory: no index file is read here
    } else {
      continue;
    }
    for (const auto& e : *entries) {
      if (e.last_offset >= from.value && e.first_offset < upto.value) out.push_back(e);
      // Every transaction that began before `upto` had ended by here.
      if (e.last_stable_offset >= upto.value) return out;
    }
  }
  return out;
}

result<void> partition_log::record_batch(std::span<const std::byte> batch,
                                         const model::batch_header& h, int64_t now_ms) {
  std::optional<model::control_record> marker;
  if (h.is_control()) {
    auto m = model::parse_control_batch(batch, h);
    if (m) marker = m.value();
  }
  auto done = producers_.apply(h, marker, now_ms);
  if (!done || !done->aborted) return success();
  aborted_txn e{done->producer_id, done->first_offset, done->last_offset,
                last_stable_offset().value};
  if (!active_txn_) {
    const int64_t base = segments_.back()->base();
    active_txn_ = std::make_shared<txn_index_file>(txn_index_file{txn_index_path(base), base});
  }
  active_aborted_.push_back(e);
  // With executors the next background job writes it (background_work()
  // says there is work), before any checkpoint that vouches for it.
  if (!ex_.io) return write_txn_index_inline();
  return success();
}

void partition_log::take_txn_writes(std::vector<txn_write>& out) {
  for (auto& w : txn_writes_) out.push_back(std::move(w));
  txn_writes_.clear();
  if (active_txn_ && active_txn_taken_ < active_aborted_.size()) {
    out.push_back(
        {active_txn_,
         {active_aborted_.begin() + ptrdiff_t(active_txn_taken_), active_aborted_.end()}});
    active_txn_taken_ = active_aborted_.size();
  }
}

result<void> partition_log::write_txn_index_inline() {
  std::vector<txn_write> writes;
  take_txn_writes(writes);
  for (auto& w : writes) {
    const bool created = !w.index->f;
    if (auto f = w.index->append(fs_, w.entries); !f) {
      // The marker is written but its index entry is not: stop here, as after
      // a failed fsync; reopening rebuilds the index from the segment.
      fail(f.error());
      return f.error();
    }
    if (created) dir_dirty_ = true;
  }
  txn_file_dirty_ = true;
  return success();
}

void partition_log::on_roll(int64_t sealed_base, int64_t now_ms) {
  if (active_txn_) {
    // The sealed segment's index is complete: what the owner wrote itself
    // (without executors) is synced with the data file; what it has not
    // handed to a job yet goes to the next one, with the seal's work.
    if (active_txn_taken_ < active_aborted_.size())
      txn_writes_.push_back(
          {active_txn_,
           {active_aborted_.begin() + ptrdiff_t(active_txn_taken_), active_aborted_.end()}});
    if (txn_file_dirty_ && active_txn_->f) unsynced_files_.push_back(active_txn_->f);
    closed_aborted_[sealed_base] = std::move(active_aborted_);
    active_txn_.reset();
  }
  active_aborted_.clear();
  active_txn_taken_ = 0;
  txn_file_dirty_ = false;
  producers_.expire(now_ms, producer_expiration_ms_);
  const int64_t at = segments_.back()->base();
  if (ex_.io) {
    // Written by the next background job, off the owner's thread.
    pending_snapshots_.emplace_back(at, producers_);
  } else {
    auto f = write_producer_snapshot(fs_, dir_, at, producers_);
    if (!f) {
      // Only a cost: start-up then reads back from an older snapshot.
      spdlog::warn("storage: {}: could not write the producer snapshot at {}: {}", dir_.string(),
                   at, f.error().message());
      return;
    }
    unsynced_files_.push_back(std::move(f).value());
  }
  snapshots_.push_back(at);
  while (snapshots_.size() > format::snapshots_kept) {
    pending_deletes_.push_back(snapshot_path(dir_, snapshots_.front()));
    snapshots_.erase(snapshots_.begin());
  }
}

result<void> partition_log::close_producers() {
  // (close() ran a last job, which wrote every pending entry.)
  if (active_txn_ && active_txn_->f) {
    RUNNEL_TRY(active_txn_->f->sync());
  }
  const int64_t at = end_offset().value;
  if (std::find(snapshots_.begin(), snapshots_.end(), at) == snapshots_.end()) {
    RUNNEL_TRY(auto f, write_producer_snapshot(fs_, dir_, at, producers_));
    RUNNEL_TRY(f->sync());
  }
  return success();
}

result<void> partition_log::recover_producers(const std::set<int64_t>& rescanned,
                                              std::vector<std::shared_ptr<file>>& to_sync) {
  const int64_t now_ms = wall_clock_ms();
  const int64_t first = segments_.front()->base();
  const int64_t end = end_offset().value;
  RUNNEL_TRY(auto names, fs_.list(dir_));

  // Which segments need their aborted-transaction index written anew: those
  // recovered by scanning, and those whose index file does not read back.
  std::set<int64_t> rebuild = rescanned;
  closed_aborted_.clear();
  for (const auto& s : segments_) {
    const auto p = txn_index_path(s->base());
    RUNNEL_TRY(bool exists, fs_.exists(p));
    if (!exists || rebuild.count(s->base())) continue;
    if (auto f = fs_.open(p, open_mode::read_only)) {
      if (auto entries = read_txn_index(*f.value(), s->base())) {
        closed_aborted_[s->base()] = std::move(entries).value();
        continue;
      }
    }
    spdlog::warn("storage: {}: aborted-transaction index of segment {} is damaged; rebuilding",
                 dir_.string(), s->base());
    rebuild.insert(s->base());
  }
  const int64_t need_from = rebuild.empty() ? end : *rebuild.begin();

  // The newest readable snapshot in [first segment, need_from]: a snapshot
  // below the first segment would miss the batches retention removed since.
  snapshots_.clear();
  int64_t from = first;
  producers_ = producer_state{};
  for (int64_t o : snapshot_offsets(names)) {
    if (o > end) {
      // Written before a crash cut the log back below it.
      (void)fs_.remove(snapshot_path(dir_, o));
      continue;
    }
    snapshots_.push_back(o);
  }
  stats_.snapshot_offset = -1;
  for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) {
    if (*it > need_from || *it < first) continue;
    auto s = read_producer_snapshot(fs_, dir_, *it);
    if (!s) {
      spdlog::warn("storage: {}: producer snapshot at {} unreadable ({})", dir_.string(), *it,
                   s.error().message());
      continue;
    }
    producers_ = std::move(s).value();
    from = *it;
    stats_.snapshot_offset = *it;
    break;
  }

  // Replay [from, end): producer state for every batch; index entries for
  // the segments being rebuilt.
  for (const auto& seg : segments_) {
    if (seg->next() <= from && !rebuild.count(seg->base())) continue;
    const bool rebuilding = rebuild.count(seg->base()) > 0;
    std::vector<aborted_txn> entries;
    RUNNEL_TRY(auto f, fs_.open(seg->data_path(), open_mode::read_only));
    batch_scanner scan(*f, segment::data_start(), seg->size());
    for (;;) {
      RUNNEL_TRY(auto b, scan.next());
      if (!b) break;
      const auto& h = b->header;
      if (h.base_offset < from || h.producer_id < 0) continue;
      std::optional<model::control_record> marker;
      if (h.is_control()) {
        RUNNEL_TRY(auto body, scan.body());
        if (auto m = model::parse_control_batch(body, h)) marker = m.value();
      }
      ++stats_.batches_replayed;
      auto done = producers_.apply(h, marker, now_ms);
      if (done && done->aborted && rebuilding)
        entries.push_back({done->producer_id, done->first_offset, done->last_offset,
                           std::min(producers_.first_unstable_offset().value_or(h.base_offset + 1),
                                    h.base_offset + 1)});
    }
    if (!rebuilding) continue;
    ++stats_.txn_indexes_rebuilt;
    const auto p = txn_index_path(seg->base());
    if (entries.empty()) {
      (void)fs_.remove(p);
      continue;
    }
    RUNNEL_TRY(auto written, write_txn_index(fs_, p, seg->base(), entries));
    to_sync.push_back(std::move(written));
    closed_aborted_[seg->base()] = std::move(entries);
  }
  if (stats_.batches_replayed > 0)
    spdlog::info("storage: {}: producer state rebuilt from offset {} ({} batch(es) read back)",
                 dir_.string(), from, stats_.batches_replayed);

  // The active segment keeps its entries in memory and appends to its file.
  active_aborted_.clear();
  active_txn_.reset();
  active_txn_taken_ = 0;
  txn_file_dirty_ = false;
  const int64_t active = segments_.back()->base();
  if (auto c = closed_aborted_.find(active); c != closed_aborted_.end()) {
    RUNNEL_TRY(auto f, fs_.open(txn_index_path(active), open_mode::read_write));
    active_aborted_ = std::move(c->second);
    closed_aborted_.erase(c);
    active_txn_ = std::make_shared<txn_index_file>(
        txn_index_file{txn_index_path(active), active, std::move(f), active_aborted_.size()});
    active_txn_taken_ = active_aborted_.size();
  }
  return success();
}

}  // namespace runnel::storage
