#include "storage/memory_file.h"

#include <algorithm>
#include <cstring>

namespace runnel::storage {

result<void> memory_file::write_at(uint64_t, std::span<const std::byte>) {
  return std::make_error_code(std::errc::bad_file_descriptor);  // read-only
}

result<void> memory_file::truncate(uint64_t) {
  return std::make_error_code(std::errc::bad_file_descriptor);
}

result<size_t> memory_file::read_at(uint64_t pos, std::span<std::byte> out) {
  if (pos < origin_) return std::make_error_code(std::errc::invalid_argument);
  const uint64_t at = pos - origin_;
  if (at >= bytes_.size()) return size_t{0};
  const size_t n = size_t(std::min<uint64_t>(out.size(), bytes_.size() - at));
  std::memcpy(out.data(), bytes_.data() + at, n);
  return n;
}

std::span<const std::byte> memory_file::in_memory(uint64_t pos, uint64_t len) const {
  if (pos < origin_ || pos - origin_ + len > bytes_.size()) return {};
  return std::span<const std::byte>(bytes_).subspan(size_t(pos - origin_), size_t(len));
}

}  // namespace runnel::storage
