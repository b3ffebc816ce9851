#include "storage/producer_snapshot.h"

#include <algorithm>
#include <charconv>

#include "model/crc32c.h"
#include "model/endian.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_format.h"
#include "storage/segment.h"

namespace runnel::storage {

namespace {

using model::load_be;
using model::store_be;

constexpr size_t frame_bytes = 8;  // body length u32, CRC-32C u32

}  // namespace

std::filesystem::path snapshot_path(const std::filesystem::path& dir, int64_t offset) {
  return segment_path(dir, offset, format::snapshot_suffix);
}

result<std::shared_ptr<file>> write_producer_snapshot(file_system& fs,
                                                      const std::filesystem::path& dir,
                                                      int64_t offset, const producer_state& s) {
  const auto body = s.encode();
  std::vector<std::byte> buf(format::file_header_size + frame_bytes + body.size());
  const auto h = file_header{format::file_kind::producer_snapshot, offset, new_file_id()}.encode();
  std::copy(h.begin(), h.end(), buf.begin());
  std::byte* p = buf.data() + format::file_header_size;
  store_be<uint32_t>(p, uint32_t(body.size()));
  store_be<uint32_t>(p + 4, model::crc32c(body));
  std::copy(body.begin(), body.end(), p + frame_bytes);
  RUNNEL_TRY(auto f, fs.open(snapshot_path(dir, offset), open_mode::create));
  RUNNEL_TRY(f->truncate(0));
  RUNNEL_TRY(f->write_at(0, buf));
  return f;
}

result<producer_state> read_producer_snapshot(file_system& fs, const std::filesystem::path& dir,
                                              int64_t offset) {
  RUNNEL_TRY(auto f, fs.open(snapshot_path(dir, offset), open_mode::read_only));
  RUNNEL_TRY(auto h, file_header::read(*f, format::file_kind::producer_snapshot));
  if (h.base != offset) return storage_errc::corrupt_file;
  RUNNEL_TRY(uint64_t size, f->size());
  if (size < format::file_header_size + frame_bytes) return storage_errc::corrupt_file;
  std::vector<std::byte> b(size - format::file_header_size);
  RUNNEL_TRY(read_exact(*f, format::file_header_size, b));
  const uint32_t len = load_be<uint32_t>(b.data());
  const uint32_t crc = load_be<uint32_t>(b.data() + 4);
  const std::span<const std::byte> body(b.data() + frame_bytes, b.size() - frame_bytes);
  if (body.size() != len || model::crc32c(body) != crc) return storage_errc::corrupt_file;
  return producer_state::decode(body);
}

std::vector<int64_t> snapshot_offsets(const std::vector<std::string>& names) {
  const std::string_view suffix = format::snapshot_suffix;
  std::vector<int64_t> out;
  for (const auto& n : names) {
    if (n.size() != 20 + suffix.size() || !n.ends_with(suffix)) continue;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + 20, v);
    if (ec == std::errc{} && p == n.data() + 20 && v >= 0) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace runnel::storage
