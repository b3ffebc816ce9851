#include "storage/log_checkpoint.h"

#include "model/crc32c.h"
#include "model/endian.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_format.h"

namespace runnel::storage {

using model::load_be;
using model::store_be;

namespace {
constexpr size_t fixed_body = 8 + 8 + 1 + 4;
constexpr size_t per_segment = 8 + 8 + 8 + 8 + 8 + 4 + 8;
}  // namespace

std::vector<std::byte> log_checkpoint::encode() const {
  const size_t body = fixed_body + segments.size() * per_segment;
  std::vector<std::byte> out(format::file_header_size + 8 + body);
  auto h = file_header{format::file_kind::checkpoint, 0, new_file_id()}.encode();
  std::copy(h.begin(), h.end(), out.begin());
  std::byte* p = out.data() + format::file_header_size + 8;
  std::byte* const b = p;
  store_be<int64_t>(p, log_start_offset);
  store_be<int64_t>(p + 8, cleaner_offset);
  store_be<uint8_t>(p + 16, clean_shutdown ? 1 : 0);
  store_be<uint32_t>(p + 17, uint32_t(segments.size()));
  p += fixed_body;
  for (const auto& s : segments) {
    store_be<int64_t>(p, s.base);
    store_be<int64_t>(p + 8, s.next);
    store_be<uint64_t>(p + 16, s.size);
    store_be<int64_t>(p + 24, s.max_ts);
    store_be<int64_t>(p + 32, s.max_ts_offset);
    store_be<uint32_t>(p + 40, s.file_id);
    store_be<int64_t>(p + 44, s.first_batch_ts);
    p += per_segment;
  }
  std::byte* len = out.data() + format::file_header_size;
  store_be<uint32_t>(len, uint32_t(body));
  store_be<uint32_t>(len + 4, model::crc32c({b, body}));
  return out;
}

result<log_checkpoint> log_checkpoint::decode(std::span<const std::byte> in) {
  RUNNEL_TRY(file_header::decode(in, format::file_kind::checkpoint));
  if (in.size() < format::file_header_size + 8) return storage_errc::corrupt_file;
  const std::byte* len = in.data() + format::file_header_size;
  const uint32_t body = load_be<uint32_t>(len);
  const uint32_t crc = load_be<uint32_t>(len + 4);
  auto b = in.subspan(format::file_header_size + 8);
  if (b.size() != body || body < fixed_body || model::crc32c(b) != crc)
    return storage_errc::corrupt_file;
  log_checkpoint c;
  const std::byte* p = b.data();
  c.log_start_offset = load_be<int64_t>(p);
  c.cleaner_offset = load_be<int64_t>(p + 8);
  c.clean_shutdown = load_be<uint8_t>(p + 16) != 0;
  const uint32_t n = load_be<uint32_t>(p + 17);
  if (body != fixed_body + size_t(n) * per_segment) return storage_errc::corrupt_file;
  p += fixed_body;
  c.segments.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    segment_summary s;
    s.base = load_be<int64_t>(p);
    s.next = load_be<int64_t>(p + 8);
    s.size = load_be<uint64_t>(p + 16);
    s.max_ts = load_be<int64_t>(p + 24);
    s.max_ts_offset = load_be<int64_t>(p + 32);
    s.file_id = load_be<uint32_t>(p + 40);
    s.first_batch_ts = load_be<int64_t>(p + 44);
    c.segments.push_back(s);
    p += per_segment;
  }
  return c;
}

result<std::optional<log_checkpoint>> log_checkpoint::load(file_system& fs,
                                                           const std::filesystem::path& dir) {
  auto f = fs.open(dir / format::checkpoint_name, open_mode::read_only);
  if (!f) {
    if (f.error() == std::errc::no_such_file_or_directory) return std::optional<log_checkpoint>{};
    return f.error();
  }
  RUNNEL_TRY(uint64_t size, f.value()->size());
  if (size > (uint64_t{64} << 20)) return storage_errc::corrupt_file;
  std::vector<std::byte> buf(size);
  RUNNEL_TRY(read_exact(*f.value(), 0, buf));
  RUNNEL_TRY(auto c, decode(buf));
  return std::optional{std::move(c)};
}

result<void> log_checkpoint::store(file_system& fs, const std::filesystem::path& dir,
                                   std::span<const std::byte> encoded) {
  return write_file_atomically(fs, dir / format::checkpoint_name, dir / format::checkpoint_tmp_name,
                               encoded);
}

}  // namespace runnel::storage
