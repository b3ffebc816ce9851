#include "storage/segment_reader.h"

#include <array>

#include "model/endian.h"
#include "model/record_batch.h"
#include "storage/batch_scanner.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_format.h"
#include "storage/memory_file.h"

namespace runnel::storage {

using model::load_be;

namespace {

// Scans read this much at a time: index entries are index.interval.bytes
// (default 4 KiB) apart, so one read usually covers the walk to the batch.
constexpr size_t scan_chunk = 64 * 1024;

bool gone(const std::error_code& ec) {
  return ec == std::errc::no_such_file_or_directory;
}

// Largest i in [0, n) with key(i) <= target, by binary search; nullopt if none.
template <class Key>
result<std::optional<size_t>> floor_search(size_t n, int64_t target, Key&& key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    RUNNEL_TRY(int64_t k, key(mid));
    if (k <= target)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return std::optional<size_t>{};
  return std::optional<size_t>{lo - 1};
}

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

result<void> segment_reader::open() {
  if (v_.data) return success();
  // Index files first, then the data file: compaction and recovery remove a
  // segment's data file before its index files and rename the replacement's
  // index files before its data file, so a data file with the expected id
  // proves the index files opened before it belong to it.
  auto open_index = [&](const std::filesystem::path& p) -> result<std::shared_ptr<file>> {
    auto f = fs_->open(p, open_mode::read_only);
    if (!f && gone(f.error())) return storage_errc::stale_view;
    return f;
  };
  RUNNEL_TRY(offset_index_, open_index(v_.offset_index_path));
  RUNNEL_TRY(time_index_, open_index(v_.time_index_path));
  auto d = fs_->open(v_.data_path, open_mode::read_only);
  if (!d) return gone(d.error()) ? storage_errc::stale_view : d.error();
  auto h = file_header::read(*d.value(), format::file_kind::segment);
  if (!h) h = file_header::read(*d.value(), format::file_kind::compacted_segment);
  if (!h || h.value().file_id != v_.file_id || h.value().base != v_.base)
    return storage_errc::stale_view;
  v_.data = std::move(d).value();
  return success();
}

result<uint64_t> segment_reader::offset_floor(int64_t o) {
  if (!offset_index_) return v_.offset_hint;
  uint64_t from = format::file_header_size;
  if (o <= v_.base) return from;
  RUNNEL_TRY(uint64_t size, offset_index_->size());
  if (size < format::file_header_size) return storage_errc::corrupt_file;
  const size_t n = size_t((size - format::file_header_size) / format::offset_index_entry_size);
  std::array<std::byte, format::offset_index_entry_size> e;
  auto entry = [&](size_t i) -> result<std::pair<uint32_t, uint32_t>> {
    RUNNEL_TRY(read_exact(*offset_index_, format::file_header_size + i * e.size(), e));
    return std::pair{load_be<uint32_t>(e.data()), load_be<uint32_t>(e.data() + 4)};
  };
  RUNNEL_TRY(auto i, floor_search(n, o - v_.base, [&](size_t k) -> result<int64_t> {
               RUNNEL_TRY(auto x, entry(k));
               return int64_t(x.first);
             }));
  if (!i) return from;
  RUNNEL_TRY(auto x, entry(*i));
  return uint64_t(x.second);
}

result<uint64_t> segment_reader::time_floor(int64_t ts) {
  if (!time_index_) return v_.time_hint;
  // Entries hold running maxima, so they are sorted by timestamp; the last
  // entry with a timestamp < ts is where the first candidate can start.
  RUNNEL_TRY(uint64_t size, time_index_->size());
  if (size < format::file_header_size) return storage_errc::corrupt_file;
  const size_t n = size_t((size - format::file_header_size) / format::time_index_entry_size);
  std::array<std::byte, format::time_index_entry_size> e;
  auto entry = [&](size_t i) -> result<std::pair<int64_t, uint32_t>> {
    RUNNEL_TRY(read_exact(*time_index_, format::file_header_size + i * e.size(), e));
    return std::pair{load_be<int64_t>(e.data()), load_be<uint32_t>(e.data() + 12)};
  };
  RUNNEL_TRY(auto i, floor_search(n, ts - 1, [&](size_t k) -> result<int64_t> {
               RUNNEL_TRY(auto x, entry(k));
               return x.first;
             }));
  if (!i) return uint64_t(format::file_header_size);
  RUNNEL_TRY(auto x, entry(*i));
  return uint64_t(x.second);
}

result<read_result> segment_reader::read(int64_t start, int64_t limit, uint64_t max_bytes) {
  RUNNEL_TRY(open());
  RUNNEL_TRY(uint64_t from, offset_floor(start));
  read_result out;
  out.next = model::offset{start};
  batch_scanner scan(*v_.data, from, v_.size, scan_chunk);
  // The batch that holds `start`, or the first one after it (compaction
  // leaves gaps).
  std::optional<scanned_batch> b;
  for (;;) {
    RUNNEL_TRY(b, scan.next());
    if (!b || b->header.base_offset + b->header.last_offset_delta >= start) break;
  }
  if (!b) {
    out.next = model::offset{std::max(start, v_.next)};
    return out;
  }
  const uint64_t pos = b->position;
  uint64_t stop = pos;
  int64_t next = v_.next;  // if every batch to the end of the view is taken
  while (b) {
    const auto& h = b->header;
    if (h.base_offset + h.last_offset_delta >= limit ||
        (stop > pos && stop - pos + h.size_bytes() > max_bytes)) {
      next = h.base_offset;
      break;
    }
    stop = b->position + h.size_bytes();
    RUNNEL_TRY(b, scan.next());
  }
  if (stop == pos) return out;
  std::vector<std::byte> bytes(stop - pos);
  RUNNEL_TRY(read_exact(*v_.data, pos, bytes));
  out.slices.push_back({std::make_shared<memory_file>(pos, std::move(bytes)), pos, stop - pos});
  out.bytes = stop - pos;
  out.next = model::offset{next};
  return out;
}

result<std::optional<record_time>> segment_reader::find_time(int64_t ts, int64_t min_offset) {
  RUNNEL_TRY(open());
  RUNNEL_TRY(uint64_t from, time_floor(ts));
  batch_scanner scan(*v_.data, from, v_.size, scan_chunk);
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
