#include "storage/txn_index.h"

#include <array>

#include "model/endian.h"
#include "storage/errc.h"
#include "storage/file_header.h"
#include "storage/log_format.h"

namespace runnel::storage {

namespace {

using model::load_be;
using model::store_be;

std::array<std::byte, format::txn_index_entry_size> encode(const aborted_txn& e) {
  std::array<std::byte, format::txn_index_entry_size> b{};
  store_be<int64_t>(b.data(), e.producer_id);
  store_be<int64_t>(b.data() + 8, e.first_offset);
  store_be<int64_t>(b.data() + 16, e.last_offset);
  store_be<int64_t>(b.data() + 24, e.last_stable_offset);
  return b;
}

}  // namespace

result<std::shared_ptr<file>> create_txn_index(file_system& fs, const std::filesystem::path& p,
                                               int64_t base) {
  return write_txn_index(fs, p, base, {});
}

result<void> append_txn_index(file& f, size_t count, const aborted_txn& e) {
  const auto b = encode(e);
  const uint64_t at = format::file_header_size + count * format::txn_index_entry_size;
  if (auto r = f.write_at(at, b); !r) {
    // Keep whole entries only, as segment appends do.
    (void)f.truncate(at);
    return r.error();
  }
  return success();
}

result<std::shared_ptr<file>> txn_index_file::append(file_system& fs,
                                                     std::span<const aborted_txn> entries) {
  if (!f) {
    RUNNEL_TRY(f, create_txn_index(fs, path, base));
    count = 0;
  }
  for (const auto& e : entries) {
    RUNNEL_TRY(append_txn_index(*f, count, e));
    ++count;
  }
  return f;
}

result<std::shared_ptr<file>> write_txn_index(file_system& fs, const std::filesystem::path& p,
                                              int64_t base, std::span<const aborted_txn> entries) {
  std::vector<std::byte> buf(format::file_header_size +
                             entries.size() * format::txn_index_entry_size);
  const auto h = file_header{format::file_kind::txn_index, base, new_file_id()}.encode();
  std::copy(h.begin(), h.end(), buf.begin());
  size_t at = format::file_header_size;
  for (const auto& e : entries) {
    const auto b = encode(e);
    std::copy(b.begin(), b.end(), buf.begin() + ptrdiff_t(at));
    at += b.size();
  }
  RUNNEL_TRY(auto f, fs.open(p, open_mode::create));
  RUNNEL_TRY(f->truncate(0));
  RUNNEL_TRY(f->write_at(0, buf));
  return f;
}

result<std::vector<aborted_txn>> read_txn_index(file& f, int64_t base) {
  RUNNEL_TRY(auto h, file_header::read(f, format::file_kind::txn_index));
  if (h.base != base) return storage_errc::corrupt_file;
  RUNNEL_TRY(uint64_t size, f.size());
  if (size < format::file_header_size ||
      (size - format::file_header_size) % format::txn_index_entry_size != 0)
    return storage_errc::corrupt_file;
  std::vector<std::byte> b(size - format::file_header_size);
  RUNNEL_TRY(read_exact(f, format::file_header_size, b));
  std::vector<aborted_txn> out;
  out.reserve(b.size() / format::txn_index_entry_size);
  for (size_t i = 0; i < b.size(); i += format::txn_index_entry_size) {
    aborted_txn e{load_be<int64_t>(&b[i]), load_be<int64_t>(&b[i + 8]),
                  load_be<int64_t>(&b[i + 16]), load_be<int64_t>(&b[i + 24])};
    // Markers lie in this segment, in offset order, after their first batch.
    if (e.producer_id < 0 || e.first_offset > e.last_offset || e.last_offset < base ||
        (!out.empty() && e.last_offset <= out.back().last_offset))
      return storage_errc::corrupt_file;
    out.push_back(e);
  }
  return out;
}

}  // namespace runnel::storage
