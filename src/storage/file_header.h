// The 24-byte header that starts every file a partition log owns
// (docs/format/log.md, "File header").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "model/result.h"
#include "storage/file_system.h"
#include "storage/log_format.h"

namespace runnel::storage {

struct file_header {
  format::file_kind kind = format::file_kind::segment;
  int64_t base = 0;
  uint32_t file_id = 0;

  std::array<std::byte, format::file_header_size> encode() const;
  // Fails with storage_errc::corrupt_file on a bad magic, version, kind or CRC.
  static result<file_header> decode(std::span<const std::byte> bytes, format::file_kind expected);
  // Reads and decodes the header at the start of `f`.
  static result<file_header> read(file& f, format::file_kind expected);
};

// A fresh random file id (never 0).
uint32_t new_file_id();

}  // namespace runnel::storage
