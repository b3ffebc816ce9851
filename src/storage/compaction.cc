#include "storage/compaction.h"

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/batch_scanner.h"
#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage {

namespace {

std::string key_string(std::span<const std::byte> k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

// Calls fn(header, batch_bytes) for every batch of a closed segment.
template <class Fn>
result<void> for_each_batch(file_system& fs, const std::filesystem::path& dir,
                            const segment_summary& s, Fn&& fn) {
  RUNNEL_TRY(auto f,
             fs.open(segment_path(dir, s.base, format::segment_suffix), open_mode::read_only));
  f->advise_sequential();
  batch_scanner scan(*f, format::file_header_size, s.size);
  for (;;) {
    RUNNEL_TRY(auto b, scan.next());
    if (!b) return success();
    RUNNEL_TRY(auto body, scan.body());
    RUNNEL_TRY(fn(b->header, body));
  }
}

// The aborted transactions of the log, by producer: (first offset, marker
// offset) ranges, so that a batch can be told to belong to one.
class aborted_ranges {
 public:
  void add(const aborted_txn& e) { by_producer_[e.producer_id][e.first_offset] = e.last_offset; }
  // Whether producer `pid`'s transactional batch at `offset` was aborted.
  bool contains(int64_t pid, int64_t offset) const {
    auto p = by_producer_.find(pid);
    if (p == by_producer_.end()) return false;
    auto it = p->second.upper_bound(offset);
    if (it == p->second.begin()) return false;
    --it;
    return offset <= it->second;
  }

 private:
  std::unordered_map<int64_t, std::map<int64_t, int64_t>> by_producer_;
};

// Runs fn when it goes out of scope, unless released.
template <class Fn>
class scope_exit {
 public:
  explicit scope_exit(Fn fn) : fn_(std::move(fn)) {}
  ~scope_exit() {
    if (armed_) fn_();
  }
  scope_exit(const scope_exit&) = delete;
  scope_exit& operator=(const scope_exit&) = delete;
  void release() { armed_ = false; }

 private:
  Fn fn_;
  bool armed_ = true;
};

}  // namespace

result<void> compaction_job::run() {
  // 0. Aborted transactions, from every index of the log: a transaction's
  // marker may lie after the part being cleaned.
  aborted_ranges aborted;
  const auto& index_of = txn_indexes;  // by segment base
  for (const auto& [b, entries] : txn_indexes)
    for (const auto& e : entries) aborted.add(e);
  for (const auto& e : active_aborted) aborted.add(e);
  auto is_aborted = [&](const model::batch_header& h) {
    return h.is_transactional() && !h.is_control() &&
           aborted.contains(h.producer_id, h.base_offset);
  };

  // 1. The key map: latest offset per key over the dirty segments. Stopping
  // early (memory budget) is safe at any point: an entry only ever points at
  // a record that stays in the log.
  std::unordered_map<std::string, int64_t> latest;
  size_t map_bytes = 0;
  int64_t cleanable_end = dirty_start;
  for (const auto& s : segments) {
    if (s.next <= dirty_start) continue;
    if (map_bytes > max_map_bytes) break;
    auto map_batch = [&](const model::batch_header& h,
                         std::span<const std::byte> bytes) -> result<void> {
      if (h.is_control() || h.record_count == 0 || is_aborted(h)) return success();
      std::vector<std::byte> storage;
      RUNNEL_TRY(auto recs, model::records_section(bytes, h, storage));
      RUNNEL_TRY(auto parsed, model::parse_records(recs, h.record_count));
      for (const auto& r : parsed) {
        if (!r.key) continue;
        auto [it, inserted] = latest.try_emplace(key_string(*r.key), 0);
        if (inserted) map_bytes += it->first.size() + 48;
        it->second = h.base_offset + r.offset_delta;
      }
      return success();
    };
    RUNNEL_TRY(for_each_batch(*fs, dir, s, map_batch));
    cleanable_end = s.next;
  }
  new_cleaner_offset = cleanable_end;
  if (tombstone_pass && !segments.empty())
    cleanable_end = std::max(cleanable_end, segments.back().next);
  if (cleanable_end <= dirty_start && !tombstone_pass) return success();

  // 2. Groups of consecutive segments that fit in one output segment.
  std::vector<std::vector<segment_summary>> groups;
  uint64_t group_bytes = 0;
  for (const auto& s : segments) {
    if (s.base >= cleanable_end) break;
    const bool fits =
        !groups.empty() &&
        group_bytes + s.size - format::file_header_size <= uint64_t(config.segment_bytes) &&
        s.next - groups.back().front().base < int64_t{1} << 31;
    if (!fits) {
      groups.emplace_back();
      group_bytes = format::file_header_size;
    }
    groups.back().push_back(s);
    group_bytes += s.size - format::file_header_size;
  }

  // 3. Rewrite each group. If one fails the job is dropped, so the .swap
  // files of the groups before it must go too: recovery would otherwise swap
  // them in, later, over whatever the next jobs have written meanwhile.
  std::vector<int64_t> swapped;  // bases of groups that may have .swap files
  scope_exit discard([&] {
    for (int64_t b : swapped)
      for (const char* suffix : format::segment_file_suffixes)
        (void)fs->remove(segment_path(dir, b, (std::string(suffix) + format::swap_suffix).c_str()));
    if (!swapped.empty()) (void)fs->sync_directory(dir);
    outputs.clear();
  });
  const int64_t tombstone_horizon = now_ms - config.delete_retention_ms;
  // Producers whose current transaction still has records in the output; a
  // marker with none left may go (after delete.retention.ms).
  std::set<int64_t> txn_has_records;
  for (const auto& group : groups) {
    RUNNEL_TRY(auto out, segment::create(*fs, dir, group.front().base, format::cleaned_suffix,
                                         format::file_kind::compacted_segment));
    uint64_t removed_here = 0;
    std::set<int64_t> markers_dropped;                // their offsets
    std::optional<model::batch_header> dropped_last;  // last batch, if it vanished
    for (const auto& s : group) {
      const bool tombstones_expire = s.max_ts >= 0 && s.max_ts < tombstone_horizon;
      auto clean_batch = [&](const model::batch_header& h,
                             std::span<const std::byte> bytes) -> result<void> {
        dropped_last.reset();
        if (h.is_control()) {
          const bool needed = txn_has_records.erase(h.producer_id) > 0;
          if (needed || !h.is_transactional() || !tombstones_expire)
            return out->append(bytes, h, config.index_interval_bytes);
          markers_dropped.insert(h.base_offset);
          ++removed_here;
          dropped_last = h;
          return success();
        }
        if (is_aborted(h)) {
          removed_here += uint64_t(h.record_count);
          dropped_last = h;
          return success();
        }
        if (h.record_count == 0) {
          // Left empty by an earlier pass: it goes too, unless it is last.
          dropped_last = h;
          return success();
        }
        std::vector<std::byte> storage;
        RUNNEL_TRY(auto recs, model::records_section(bytes, h, storage));
        RUNNEL_TRY(auto parsed, model::parse_records(recs, h.record_count));
        std::vector<std::byte> kept;
        int32_t kept_count = 0;
        for (const auto& r : parsed) {
          bool keep = true;
          if (r.key) {
            const int64_t o = h.base_offset + r.offset_delta;
            auto it = latest.find(key_string(*r.key));
            if (it != latest.end() && it->second > o)
              keep = false;
            else if (!r.value && tombstones_expire)
              keep = false;
          }
          if (keep) {
            kept.insert(kept.end(), r.raw.begin(), r.raw.end());
            ++kept_count;
          }
        }
        removed_here += uint64_t(h.record_count - kept_count);
        if (kept_count > 0 && h.is_transactional()) txn_has_records.insert(h.producer_id);
        if (kept_count == h.record_count) return out->append(bytes, h, config.index_interval_bytes);
        if (kept_count == 0) {
          dropped_last = h;
          return success();
        }
        const auto body = bytes.subspan(model::batch_layout::header_size);
        const auto framing = model::is_xerial_snappy(body) ? model::snappy_framing::xerial
                                                           : model::snappy_framing::raw;
        RUNNEL_TRY(auto rebuilt, model::assemble_batch(h, kept, kept_count, framing));
        RUNNEL_TRY(auto nh, model::parse_header(rebuilt));
        return out->append(rebuilt, nh, config.index_interval_bytes);
      };
      RUNNEL_TRY(for_each_batch(*fs, dir, s, clean_batch));
    }
    if (dropped_last) {
      // Keep the segment's end offset: an empty, uncompressed batch in place
      // of the last one.
      // It belongs to no producer: a transactional or control placeholder
      // would open (or end) a transaction when producer state is rebuilt.
      model::batch_header h = *dropped_last;
      h.attributes =
          int16_t(h.attributes & ~(model::batch_attr::codec_mask |
                                   model::batch_attr::transactional | model::batch_attr::control));
      h.producer_id = -1;
      h.producer_epoch = -1;
      h.base_sequence = -1;
      RUNNEL_TRY(auto empty, model::assemble_batch(h, {}, 0));
      RUNNEL_TRY(auto eh, model::parse_header(empty));
      RUNNEL_TRY(out->append(empty, eh, config.index_interval_bytes));
    }
    RUNNEL_TRY(auto files, out->seal(*fs));
    const auto cleaned = [&](const char* suffix) {
      return segment_path(dir, group.front().base,
                          (std::string(suffix) + format::cleaned_suffix).c_str());
    };
    if (removed_here == 0 && group.size() == 1) {
      // Nothing to gain from swapping in an identical segment.
      for (const char* suffix : format::segment_file_suffixes) (void)fs->remove(cleaned(suffix));
      continue;
    }
    // The group's aborted-transaction entries whose markers are still there.
    std::vector<aborted_txn> kept_entries;
    for (const auto& s : group)
      if (auto it = index_of.find(s.base); it != index_of.end())
        for (const auto& e : it->second)
          if (!markers_dropped.count(e.last_offset)) kept_entries.push_back(e);
    if (!kept_entries.empty()) {
      RUNNEL_TRY(auto tf, write_txn_index(*fs, cleaned(format::txn_index_suffix),
                                          group.front().base, kept_entries));
      files.push_back(std::move(tf));
    }
    for (auto& f : files) {
      RUNNEL_TRY(f->sync());
    }
    // Index files first: a data .swap implies its index .swap files exist.
    swapped.push_back(group.front().base);
    for (const char* suffix : format::segment_file_suffixes) {
      if (std::string_view(suffix) == format::txn_index_suffix && kept_entries.empty()) continue;
      RUNNEL_TRY(fs->rename(cleaned(suffix),
                            segment_path(dir, group.front().base,
                                         (std::string(suffix) + format::swap_suffix).c_str())));
    }
    RUNNEL_TRY(fs->sync_directory(dir));
    records_removed += removed_here - markers_dropped.size();
    markers_removed += markers_dropped.size();
    const bool has_index = !kept_entries.empty();
    outputs.push_back({group, out->summary(), has_index, std::move(kept_entries)});
  }
  discard.release();
  return success();
}

}  // namespace runnel::storage
