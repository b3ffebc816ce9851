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

result<std::unique_ptr<segment>> segment::adopt(std::shared_ptr<file> spare,
                                                const std::filesystem::path& dir, int64_t base) {
  segment_summary s;
  s.base = base;
  s.next = base;
  s.size = format::file_header_size;
  s.file_id = new_file_id();
  auto seg = std::make_unique<segment>(dir, s);
  // The spare was created empty; a failed adoption leaves it as it was
  // found, so it can be tried again.
  auto header = file_header{format::file_kind::segment, base, s.file_id}.encode();
  if (auto w = spare->write_at(0, header); !w) {
    (void)spare->truncate(0);
    return w.error();
  }
  seg->active_ = std::move(spare);
  return seg;
}

void segment::add_index_entries(uint64_t pos, const model::batch_header& h,
                                int64_t index_interval) {
  // The first batch of a segment needs no entry: lookups start at the header.
  if (pos > data_start() && bytes_since_index_ >= uint64_t(index_interval)) {
    const auto rel = uint32_t(h.base_offset - s_.base);
    offset_index_->push_back({rel, uint32_t(pos)});
    if (s_.max_ts > last_time_entry_ts_) {
      // Entry for the batch before this one: the running max through it.
      time_index_->push_back({s_.max_ts, rel, uint32_t(pos)});
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

std::optional<read_result> segment::read_recent(int64_t start, int64_t limit,
                                                uint64_t max_bytes) const {
  auto it = recent_containing(start);
  if (it == recent_.end()) return std::nullopt;
  read_result out;
  out.next = model::offset{start};
  const uint64_t pos = it->pos;
  uint64_t stop = pos;
  int64_t next = s_.next;
  for (; it != recent_.end(); ++it) {
    // Never a batch that reaches `limit`; always the first one otherwise.
    if (it->last >= limit || (stop > pos && stop - pos + it->size > max_bytes)) {
      next = it->base;
      break;
    }
    stop = it->pos + it->size;
  }
  if (stop == pos) return out;
  out.slices.push_back({active_, pos, stop - pos});
  out.bytes = stop - pos;
  out.next = model::offset{next};
  return out;
}

segment_view segment::view(std::optional<int64_t> offset, std::optional<int64_t> ts) const {
  segment_view v;
  v.data_path = data_path();
  v.offset_index_path = offset_index_path();
  v.time_index_path = time_index_path();
  v.file_id = s_.file_id;
  v.base = s_.base;
  v.next = s_.next;
  v.size = s_.size;
  v.offset_hint = v.time_hint = data_start();
  if (!active_) return v;
  v.data = active_;
  if (offset && *offset > s_.base) {
    // The last entry at or before the batch holding `offset`.
    const int64_t rel = *offset - s_.base;
    auto e = std::upper_bound(offset_index_->begin(), offset_index_->end(), rel,
                              [](int64_t r, const offset_index_entry& x) { return r < x.rel; });
    if (e != offset_index_->begin()) v.offset_hint = (e - 1)->pos;
  }
  if (ts) {
    // Entries hold running maxima, so they are sorted by timestamp: the last
    // one below `ts` is where the first candidate batch can start.
    auto e = std::lower_bound(time_index_->begin(), time_index_->end(), *ts,
                              [](const time_index_entry& x, int64_t t) { return x.ts < t; });
    if (e != time_index_->begin()) v.time_hint = (e - 1)->pos;
  }
  return v;
}

namespace {

template <class Entry>
result<std::shared_ptr<file>> write_index_file(file_system& fs, const std::filesystem::path& p,
                                               format::file_kind kind, int64_t base,
                                               const std::vector<Entry>& entries) {
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
  return f;
}

}  // namespace

result<std::vector<std::shared_ptr<file>>> seal_work::run(file_system& fs) const {
  std::vector<std::shared_ptr<file>> files;
  RUNNEL_TRY(auto oi, write_index_file(fs, offset_index_path, format::file_kind::offset_index, base,
                                       *offset_index));
  RUNNEL_TRY(auto ti, write_index_file(fs, time_index_path, format::file_kind::time_index, base,
                                       *time_index));
  files.push_back(std::move(oi));
  files.push_back(std::move(ti));
  return files;
}

seal_work segment::seal_begin() {
  sealing_ = true;
  seal_work w;
  w.base = s_.base;
  w.file_id = s_.file_id;
  w.offset_index_path = offset_index_path();
  w.time_index_path = time_index_path();
  w.offset_index = offset_index_;
  w.time_index = time_index_;
  return w;
}

void segment::seal_end() {
  active_.reset();
  sealing_ = false;
  offset_index_ = std::make_shared<std::vector<offset_index_entry>>();
  time_index_ = std::make_shared<std::vector<time_index_entry>>();
  recent_ = {};
}

result<void> segment::write_indexes(file_system& fs) {
  const seal_work w{s_.base,           s_.file_id,    offset_index_path(),
                    time_index_path(), offset_index_, time_index_};
  RUNNEL_TRY(w.run(fs));
  return success();
}

result<std::vector<std::shared_ptr<file>>> segment::seal(file_system& fs) {
  auto w = seal_begin();
  auto files = w.run(fs);
  if (!files) {
    sealing_ = false;  // still the active segment
    return files.error();
  }
  files.value().insert(files.value().begin(), active_);
  seal_end();
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
    offset_index_->clear();
    for (size_t i = 0; i + format::offset_index_entry_size <= b.size();
         i += format::offset_index_entry_size)
      offset_index_->push_back({load_be<uint32_t>(&b[i]), load_be<uint32_t>(&b[i + 4])});
  }
  {
    RUNNEL_TRY(auto f, fs.open(time_index_path(), open_mode::read_only));
    RUNNEL_TRY(uint64_t size, f->size());
    std::vector<std::byte> b(size - format::file_header_size);
    RUNNEL_TRY(read_exact(*f, format::file_header_size, b));
    time_index_->clear();
    for (size_t i = 0; i + format::time_index_entry_size <= b.size();
         i += format::time_index_entry_size)
      time_index_->push_back(
          {load_be<int64_t>(&b[i]), load_be<uint32_t>(&b[i + 8]), load_be<uint32_t>(&b[i + 12])});
  }
  const uint64_t last_pos = offset_index_->empty() ? data_start() : offset_index_->back().pos;
  bytes_since_index_ = s_.size - last_pos;
  last_time_entry_ts_ = time_index_->empty() ? -1 : time_index_->back().ts;
  return success();
}

result<void> segment::rebuild_index(int64_t index_interval) {
  // A header-only walk of the data file.
  offset_index_->clear();
  time_index_->clear();
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

}  // namespace runnel::storage
