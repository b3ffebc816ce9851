#include "storage/segment.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

#include "model/endian.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_format.h"

namespace runnel::storage {

using model::load_be;
using model::store_be;

std::filesystem::path segment_path(const std::filesystem::path& dir, int64_t base,
                                   const char* suffix) {
  char name[48];
  std::snprintf(name, sizeof name, "%020" PRId64 "%s", base, suffix);
  return dir / name;
}

uint64_t segment::data_start() {
  return format::file_header_size;
}

std::filesystem::path segment::data_path() const {
  return segment_path(dir_, s_.base, (std::string(format::segment_suffix) + suffix_).c_str());
}
std::filesystem::path segment::offset_index_path() const {
  return segment_path(dir_, s_.base, (std::string(format::offset_index_suffix) + suffix_).c_str());
}
std::filesystem::path segment::time_index_path() const {
  return segment_path(dir_, s_.base, (std::string(format::time_index_suffix) + suffix_).c_str());
}

segment::segment(const std::filesystem::path& dir, const segment_summary& s) : dir_(dir), s_(s) {}

result<std::unique_ptr<segment>> segment::create(file_system& fs, const std::filesystem::path& dir,
                                                 int64_t base, const char* suffix,
                                                 format::file_kind kind) {
  segment_summary s;
  s.base = base;
  s.next = base;
  s.size = format::file_header_size;
  s.file_id = new_file_id();
  auto seg = std::make_unique<segment>(dir, s);
  seg->suffix_ = suffix;
  RUNNEL_TRY(seg->active_, fs.open(seg->data_path(), open_mode::create));
  RUNNEL_TRY(seg->active_->truncate(0));
  auto header = file_header{kind, base, s.file_id}.encode();
  RUNNEL_TRY(seg->active_->write_at(0, header));
  return seg;
}

void segment::add_index_entries(uint64_t pos, const model::batch_header& h,
                                int64_t index_interval) {
  // The first batch of a segment needs no entry: lookups start at the header.
  if (pos > data_start() && bytes_since_index_ >= uint64_t(index_interval)) {
    const auto rel = uint32_t(h.base_offset - s_.base);
    offset_index_.push_back({rel, uint32_t(pos)});
    if (s_.max_ts > last_time_entry_ts_) {
      // Entry for the batch before this one: the running max through it.
      time_index_.push_back({s_.max_ts, rel, uint32_t(pos)});
      last_time_entry_ts_ = s_.max_ts;
    }
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += h.size_bytes();
  if (h.max_timestamp > s_.max_ts) {
    s_.max_ts = h.max_timestamp;
    s_.max_ts_offset = h.base_offset + h.last_offset_delta;
  }
  if (s_.first_batch_ts < 0) s_.first_batch_ts = h.max_timestamp;
  s_.next = h.base_offset + h.last_offset_delta + 1;
  s_.size = pos + h.size_bytes();
}

result<void> segment::append(std::span<const std::byte> batch, const model::batch_header& h,
                             int64_t index_interval) {
  const uint64_t pos = s_.size;
  if (auto r = active_->write_at(pos, batch); !r) {
    // Cut back whatever part of the batch reached the file, so that the file
    // holds only whole batches. If even that fails the caller must stop.
    if (auto t = active_->truncate(pos); !t) return t.error();
    return r.error();
  }
  add_index_entries(pos, h, index_interval);
  if (recent_.size() == max_recent) recent_.pop_front();
  recent_.push_back({h.base_offset, h.base_offset + h.last_offset_delta, pos, h.size_bytes()});
  return success();
}

segment::recent_iterator segment::recent_containing(int64_t o) const {
  if (recent_.empty() || o < recent_.front().base) return recent_.end();
  return std::lower_bound(recent_.begin(), recent_.end(), o,
                          [](const recent_batch& b, int64_t v) { return b.last < v; });
}

segment::recent_iterator segment::recent_at(uint64_t pos) const {
  if (recent_.empty() || pos < recent_.front().pos) return recent_.end();
  auto it = std::lower_bound(recent_.begin(), recent_.end(), pos,
                             [](const recent_batch& b, uint64_t v) { return b.pos < v; });
  return it != recent_.end() && it->pos == pos ? it : recent_.end();
}

namespace {

template <class Entry>
result<void> write_index_file(file_system& fs, const std::filesystem::path& p,
                              format::file_kind kind, int64_t base,
                              const std::vector<Entry>& entries, std::shared_ptr<file>* out) {
  constexpr size_t entry_size = std::is_same_v<Entry, offset_index_entry>
                                    ? format::offset_index_entry_size
                                    : format::time_index_entry_size;
  std::vector<std::byte> buf(format::file_header_size + entries.size() * entry_size);
  auto h = file_header{kind, base, new_file_id()}.encode();
  std::copy(h.begin(), h.end(), buf.begin());
  std::byte* w = buf.data() + format::file_header_size;
  for (const auto& e : entries) {
    if constexpr (std::is_same_v<Entry, offset_index_entry>) {
      store_be<uint32_t>(w, e.rel);
      store_be<uint32_t>(w + 4, e.pos);
    } else {
      store_be<int64_t>(w, e.ts);
      store_be<uint32_t>(w + 8, e.rel);
      store_be<uint32_t>(w + 12, e.pos);
    }
    w += entry_size;
  }
  RUNNEL_TRY(auto f, fs.open(p, open_mode::create));
  RUNNEL_TRY(f->truncate(0));
  RUNNEL_TRY(f->write_at(0, buf));
  if (out) *out = f;
  return success();
}

}  // namespace

result<void> segment::write_indexes(file_system& fs) {
  RUNNEL_TRY(write_index_file(fs, offset_index_path(), format::file_kind::offset_index, s_.base,
                              offset_index_, nullptr));
  RUNNEL_TRY(write_index_file(fs, time_index_path(), format::file_kind::time_index, s_.base,
                              time_index_, nullptr));
  return success();
}

result<std::vector<std::shared_ptr<file>>> segment::seal(file_system& fs) {
  std::vector<std::shared_ptr<file>> files{active_};
  std::shared_ptr<file> oi, ti;
  RUNNEL_TRY(write_index_file(fs, offset_index_path(), format::file_kind::offset_index, s_.base,
                              offset_index_, &oi));
  RUNNEL_TRY(write_index_file(fs, time_index_path(), format::file_kind::time_index, s_.base,
                              time_index_, &ti));
  files.push_back(std::move(oi));
  files.push_back(std::move(ti));
  active_.reset();
  offset_index_ = {};
  time_index_ = {};
  recent_ = {};
  return files;
}

result<segment::recovered> segment::recover(file_system& fs, const std::filesystem::path& dir,
                                            int64_t base, int64_t index_interval) {
  recovered out;
  segment_summary s;
  s.base = base;
  s.next = base;
  s.size = format::file_header_size;
  auto seg = std::make_unique<segment>(dir, s);
  RUNNEL_TRY(seg->active_, fs.open(seg->data_path(), open_mode::read_write));
  file& f = *seg->active_;
  RUNNEL_TRY(uint64_t file_size, f.size());

  auto hdr = file_header::read(f, format::file_kind::segment);
  bool compacted = false;
  if (!hdr) {
    hdr = file_header::read(f, format::file_kind::compacted_segment);
    compacted = bool(hdr);
  }
  if (!hdr || hdr.value().base != base) {
    // A header that never became durable (or is damaged): nothing in this
    // file can be trusted. Start it over.
    seg->s_.file_id = new_file_id();
    RUNNEL_TRY(f.truncate(0));
    auto h = file_header{format::file_kind::segment, base, seg->s_.file_id}.encode();
    RUNNEL_TRY(f.write_at(0, h));
    out.truncated = file_size > 0;
    out.seg = std::move(seg);
    return out;
  }
  seg->s_.file_id = hdr.value().file_id;

  model::validate_options vo;
  vo.allow_offset_gaps = true;  // compaction leaves gaps and empty batches
  vo.max_batch_bytes = format::max_segment_bytes;
  vo.skip_records = true;  // the CRC covers them; recovery is about torn writes
  batch_scanner scan(f, format::file_header_size, file_size);
  int64_t expected = base;
  for (;;) {
    auto n = scan.next();
    if (!n || !n.value()) break;
    const auto& b = *n.value();
    // base_offset is outside the CRC: a damaged one shows as a jump.
    if (compacted ? b.header.base_offset < expected : b.header.base_offset != expected) break;
    auto body = scan.body();
    if (!body) break;
    if (!model::validate_batch(body.value(), vo)) break;
    seg->add_index_entries(b.position, b.header, index_interval);
    expected = b.header.base_offset + b.header.last_offset_delta + 1;
  }
  if (seg->s_.size != file_size) {
    RUNNEL_TRY(f.truncate(seg->s_.size));
    out.truncated = true;
  }
  out.seg = std::move(seg);
  return out;
}

result<bool> segment::indexes_valid(file_system& fs) {
  auto check = [&](const std::filesystem::path& p, format::file_kind kind,
                   size_t entry_size) -> result<bool> {
    auto f = fs.open(p, open_mode::read_only);
    if (!f) return false;
    auto h = file_header::read(*f.value(), kind);
    if (!h || h.value().base != s_.base) return false;
    RUNNEL_TRY(uint64_t size, f.value()->size());
    if ((size - format::file_header_size) % entry_size != 0) return false;
    if (size == format::file_header_size) return true;
    std::vector<std::byte> e(entry_size);
    RUNNEL_TRY(read_exact(*f.value(), size - entry_size, e));
    const size_t at = kind == format::file_kind::offset_index ? 0 : 8;
    const uint32_t rel = load_be<uint32_t>(e.data() + at);
    const uint32_t pos = load_be<uint32_t>(e.data() + at + 4);
    if (int64_t(rel) >= s_.next - s_.base || pos < data_start() || pos >= s_.size) return false;
    // The entry must point at the start of the batch it names.
    RUNNEL_TRY(auto data, fs.open(data_path(), open_mode::read_only));
    std::array<std::byte, model::batch_layout::log_overhead> frame;
    RUNNEL_TRY(read_exact(*data, pos, frame));
    return model::parse_frame(frame)->base_offset == s_.base + int64_t(rel);
  };
  RUNNEL_TRY(bool oi_ok, check(offset_index_path(), format::file_kind::offset_index,
                               format::offset_index_entry_size));
  if (!oi_ok) return false;
  return check(time_index_path(), format::file_kind::time_index, format::time_index_entry_size);
}

result<bool> segment::check_indexes(file_system& fs, int64_t index_interval) {
  RUNNEL_TRY(bool ok, indexes_valid(fs));
  if (ok) return false;
  RUNNEL_TRY(active_, fs.open(data_path(), open_mode::read_only));
  RUNNEL_TRY(rebuild_index(index_interval));
  RUNNEL_TRY(seal(fs));
  return true;
}

result<void> segment::load_indexes(file_system& fs) {
  {
    RUNNEL_TRY(auto f, fs.open(offset_index_path(), open_mode::read_only));
    RUNNEL_TRY(uint64_t size, f->size());
    std::vector<std::byte> b(size - format::file_header_size);
    RUNNEL_TRY(read_exact(*f, format::file_header_size, b));
    offset_index_.clear();
    for (size_t i = 0; i + format::offset_index_entry_size <= b.size();
         i += format::offset_index_entry_size)
      offset_index_.push_back({load_be<uint32_t>(&b[i]), load_be<uint32_t>(&b[i + 4])});
  }
  {
    RUNNEL_TRY(auto f, fs.open(time_index_path(), open_mode::read_only));
    RUNNEL_TRY(uint64_t size, f->size());
    std::vector<std::byte> b(size - format::file_header_size);
    RUNNEL_TRY(read_exact(*f, format::file_header_size, b));
    time_index_.clear();
    for (size_t i = 0; i + format::time_index_entry_size <= b.size();
         i += format::time_index_entry_size)
      time_index_.push_back(
          {load_be<int64_t>(&b[i]), load_be<uint32_t>(&b[i + 8]), load_be<uint32_t>(&b[i + 12])});
  }
  const uint64_t last_pos = offset_index_.empty() ? data_start() : offset_index_.back().pos;
  bytes_since_index_ = s_.size - last_pos;
  last_time_entry_ts_ = time_index_.empty() ? -1 : time_index_.back().ts;
  return success();
}

result<void> segment::rebuild_index(int64_t index_interval) {
  // A header-only walk of the data file.
  offset_index_.clear();
  time_index_.clear();
  bytes_since_index_ = 0;
  last_time_entry_ts_ = -1;
  const segment_summary keep = s_;
  s_.next = s_.base;
  s_.size = format::file_header_size;
  s_.max_ts = -1;
  s_.max_ts_offset = -1;
  s_.first_batch_ts = -1;
  batch_scanner scan(*active_, format::file_header_size, keep.size);
  for (;;) {
    RUNNEL_TRY(auto n, scan.next());
    if (!n) break;
    add_index_entries(n->position, n->header, index_interval);
  }
  s_.next = std::max(s_.next, keep.next);
  s_.file_id = keep.file_id;
  return success();
}

result<void> segment::activate(file_system& fs, int64_t index_interval) {
  RUNNEL_TRY(active_, fs.open(data_path(), open_mode::read_write));
  RUNNEL_TRY(bool ok, indexes_valid(fs));
  if (ok) {
    if (load_indexes(fs)) return success();
  }
  return rebuild_index(index_interval);
}

result<std::shared_ptr<file>> segment::data(file_cache& cache) {
  if (active_) return active_;
  return cache.get(data_path());
}

namespace {

// Largest i in [0, n) with key(i) <= target, via binary search; nullopt if none.
template <class Key>
result<std::optional<size_t>> floor_search(size_t n, int64_t target, Key&& key) {
  size_t lo = 0, hi = n;  // answer in [lo-1, hi)
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    RUNNEL_TRY(int64_t k, key(mid));
    if (k <= target)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return std::optional<size_t>{};
  return std::optional<size_t>{lo - 1};
}

result<std::pair<std::shared_ptr<file>, size_t>> open_index(file_cache& cache,
                                                            const std::filesystem::path& p,
                                                            size_t entry_size) {
  RUNNEL_TRY(auto f, cache.get(p));
  RUNNEL_TRY(uint64_t size, f->size());
  if (size < format::file_header_size) return storage_errc::corrupt_file;
  return std::pair{f, size_t((size - format::file_header_size) / entry_size)};
}

}  // namespace

result<std::optional<offset_index_entry>> segment::floor_by_offset(int64_t rel, file_cache& cache) {
  if (active_) {
    auto it = std::upper_bound(offset_index_.begin(), offset_index_.end(), rel,
                               [](int64_t v, const offset_index_entry& e) { return v < e.rel; });
    if (it == offset_index_.begin()) return std::optional<offset_index_entry>{};
    return std::optional{*(it - 1)};
  }
  RUNNEL_TRY(auto fi, open_index(cache, offset_index_path(), format::offset_index_entry_size));
  auto& [f, n] = fi;
  std::array<std::byte, format::offset_index_entry_size> e;
  auto read = [&](size_t i) -> result<offset_index_entry> {
    RUNNEL_TRY(read_exact(*f, format::file_header_size + i * e.size(), e));
    return offset_index_entry{load_be<uint32_t>(e.data()), load_be<uint32_t>(e.data() + 4)};
  };
  RUNNEL_TRY(auto i, floor_search(n, rel, [&](size_t k) -> result<int64_t> {
               RUNNEL_TRY(auto v, read(k));
               return int64_t(v.rel);
             }));
  if (!i) return std::optional<offset_index_entry>{};
  RUNNEL_TRY(auto v, read(*i));
  return std::optional{v};
}

result<std::optional<offset_index_entry>> segment::floor_by_position(uint64_t pos,
                                                                     file_cache& cache) {
  if (active_) {
    auto it = std::upper_bound(offset_index_.begin(), offset_index_.end(), pos,
                               [](uint64_t v, const offset_index_entry& e) { return v < e.pos; });
    if (it == offset_index_.begin()) return std::optional<offset_index_entry>{};
    return std::optional{*(it - 1)};
  }
  RUNNEL_TRY(auto fi, open_index(cache, offset_index_path(), format::offset_index_entry_size));
  auto& [f, n] = fi;
  std::array<std::byte, format::offset_index_entry_size> e;
  auto read = [&](size_t i) -> result<offset_index_entry> {
    RUNNEL_TRY(read_exact(*f, format::file_header_size + i * e.size(), e));
    return offset_index_entry{load_be<uint32_t>(e.data()), load_be<uint32_t>(e.data() + 4)};
  };
  RUNNEL_TRY(auto i, floor_search(n, int64_t(pos), [&](size_t k) -> result<int64_t> {
               RUNNEL_TRY(auto v, read(k));
               return int64_t(v.pos);
             }));
  if (!i) return std::optional<offset_index_entry>{};
  RUNNEL_TRY(auto v, read(*i));
  return std::optional{v};
}

result<std::optional<time_index_entry>> segment::last_time_before(int64_t ts, file_cache& cache) {
  // Entries hold running maxima, so they are sorted by ts; we want the last
  // entry with ts < target, i.e. floor(target - 1).
  if (active_) {
    auto it = std::lower_bound(time_index_.begin(), time_index_.end(), ts,
                               [](const time_index_entry& e, int64_t v) { return e.ts < v; });
    if (it == time_index_.begin()) return std::optional<time_index_entry>{};
    return std::optional{*(it - 1)};
  }
  RUNNEL_TRY(auto fi, open_index(cache, time_index_path(), format::time_index_entry_size));
  auto& [f, n] = fi;
  std::array<std::byte, format::time_index_entry_size> e;
  auto read = [&](size_t i) -> result<time_index_entry> {
    RUNNEL_TRY(read_exact(*f, format::file_header_size + i * e.size(), e));
    return time_index_entry{load_be<int64_t>(e.data()), load_be<uint32_t>(e.data() + 8),
                            load_be<uint32_t>(e.data() + 12)};
  };
  RUNNEL_TRY(auto i, floor_search(n, ts - 1, [&](size_t k) -> result<int64_t> {
               RUNNEL_TRY(auto v, read(k));
               return v.ts;
             }));
  if (!i) return std::optional<time_index_entry>{};
  RUNNEL_TRY(auto v, read(*i));
  return std::optional{v};
}

result<uint64_t> segment::position_of(int64_t o, file_cache& cache) {
  if (o >= s_.next) return s_.size;
  if (auto b = recent_containing(o); b != recent_.end()) return b->pos;
  uint64_t start = data_start();
  if (o > s_.base) {
    RUNNEL_TRY(auto e, floor_by_offset(o - s_.base, cache));
    if (e) start = e->pos;
  }
  RUNNEL_TRY(auto f, data(cache));
  batch_scanner scan(*f, start, s_.size, 64 * 1024);
  for (;;) {
    RUNNEL_TRY(auto b, scan.next());
    if (!b) return s_.size;
    if (b->header.base_offset + b->header.last_offset_delta >= o) return b->position;
  }
}

result<uint64_t> segment::boundary_before(uint64_t start, uint64_t limit, file_cache& cache) {
  limit = std::min(limit, s_.size);
  if (limit <= start) return start;
  if (auto it = recent_at(start); it != recent_.end()) {
    // Contiguous to the end of the file: walk the batches in memory.
    uint64_t end = start;
    for (; it != recent_.end(); ++it) {
      if (it->pos + it->size > limit) break;
      end = it->pos + it->size;
    }
    return end;
  }
  uint64_t from = start;
  RUNNEL_TRY(auto e, floor_by_position(limit, cache));
  if (e && e->pos > start) from = e->pos;
  RUNNEL_TRY(auto f, data(cache));
  batch_scanner scan(*f, from, s_.size, 64 * 1024);
  uint64_t end = from;
  for (;;) {
    RUNNEL_TRY(auto b, scan.next());
    if (!b || b->position + b->header.size_bytes() > limit) break;
    end = b->position + b->header.size_bytes();
  }
  return end;
}

result<int64_t> segment::base_offset_at(uint64_t pos, file_cache& cache) {
  if (auto b = recent_at(pos); b != recent_.end()) return b->base;
  RUNNEL_TRY(auto f, data(cache));
  std::array<std::byte, model::batch_layout::log_overhead> frame;
  RUNNEL_TRY(read_exact(*f, pos, frame));
  return model::parse_frame(frame)->base_offset;
}

namespace {

// The first record of one batch with timestamp >= ts and offset >= min_offset.
// A LogAppendTime batch stamps every record with the batch's max timestamp.
result<std::optional<record_time>> first_record_at_or_after(std::span<const std::byte> batch,
                                                            const model::batch_header& h,
                                                            int64_t ts, int64_t min_offset) {
  std::vector<std::byte> storage;
  RUNNEL_TRY(auto section, model::records_section(batch, h, storage));
  RUNNEL_TRY(auto records, model::parse_records(section, h.record_count));
  for (const auto& r : records) {
    const int64_t o = h.base_offset + r.offset_delta;
    const int64_t t =
        h.is_log_append_time() ? h.max_timestamp : h.base_timestamp + r.timestamp_delta;
    if (t >= ts && o >= min_offset) return std::optional{record_time{o, t}};
  }
  return std::optional<record_time>{};
}

}  // namespace

result<std::optional<record_time>> segment::find_time(int64_t ts, int64_t min_offset,
                                                      file_cache& cache) {
  if (s_.max_ts < ts || s_.next <= min_offset) return std::optional<record_time>{};
  uint64_t start = data_start();
  RUNNEL_TRY(auto e, last_time_before(ts, cache));
  if (e) start = e->pos;
  RUNNEL_TRY(auto f, data(cache));
  batch_scanner scan(*f, start, s_.size, 64 * 1024);
  for (;;) {
    RUNNEL_TRY(auto b, scan.next());
    if (!b) return std::optional<record_time>{};
    const auto& h = b->header;
    if (h.max_timestamp < ts || h.base_offset + h.last_offset_delta < min_offset) continue;
    RUNNEL_TRY(auto body, scan.body());
    RUNNEL_TRY(auto hit, first_record_at_or_after(body, h, ts, min_offset));
    if (hit) return hit;
  }
}

}  // namespace runnel::storage
