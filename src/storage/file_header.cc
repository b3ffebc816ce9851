#include "storage/file_header.h"

#include <random>

#include "model/crc32c.h"
#include "model/endian.h"
#include "storage/errc.h"

namespace runnel::storage {

using model::load_be;
using model::store_be;

std::array<std::byte, format::file_header_size> file_header::encode() const {
  std::array<std::byte, format::file_header_size> b{};
  store_be<uint32_t>(b.data(), format::magic);
  store_be<uint16_t>(b.data() + 4, format::version);
  store_be<uint16_t>(b.data() + 6, static_cast<uint16_t>(kind));
  store_be<int64_t>(b.data() + 8, base);
  store_be<uint32_t>(b.data() + 16, file_id);
  store_be<uint32_t>(b.data() + 20, model::crc32c(std::span(b).first(20)));
  return b;
}

result<file_header> file_header::decode(std::span<const std::byte> b, format::file_kind expected) {
  if (b.size() < format::file_header_size) return storage_errc::corrupt_file;
  if (load_be<uint32_t>(b.data()) != format::magic) return storage_errc::corrupt_file;
  if (load_be<uint32_t>(b.data() + 20) != model::crc32c(b.first(20)))
    return storage_errc::corrupt_file;
  if (load_be<uint16_t>(b.data() + 4) != format::version) return storage_errc::corrupt_file;
  file_header h;
  h.kind = static_cast<format::file_kind>(load_be<uint16_t>(b.data() + 6));
  if (h.kind != expected) return storage_errc::corrupt_file;
  h.base = load_be<int64_t>(b.data() + 8);
  h.file_id = load_be<uint32_t>(b.data() + 16);
  return h;
}

result<file_header> file_header::read(file& f, format::file_kind expected) {
  std::array<std::byte, format::file_header_size> b;
  RUNNEL_TRY(size_t n, f.read_at(0, b));
  if (n != b.size()) return storage_errc::corrupt_file;
  return decode(b, expected);
}

uint32_t new_file_id() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  uint32_t id;
  do {
    id = rng();
  } while (id == 0);
  return id;
}

}  // namespace runnel::storage
