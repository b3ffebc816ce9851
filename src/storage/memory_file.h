// memory_file: bytes read from a segment, held in memory as a read-only file
// window. A read that ran on the I/O pool (segment_reader) hands its data to
// the network layer this way, so the shard that sends it never touches the
// disk: file positions stay those of the segment ([origin, origin + size)),
// so a slice reads the same whether it comes from a file or from memory.
//
// Immutable after construction; safe to share across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "storage/file_system.h"

namespace runnel::storage {

class memory_file final : public file {
 public:
  memory_file(uint64_t origin, std::vector<std::byte> bytes)
      : origin_(origin), bytes_(std::move(bytes)) {}

  result<void> write_at(uint64_t, std::span<const std::byte>) override;
  result<size_t> read_at(uint64_t pos, std::span<std::byte> out) override;
  result<void> sync() override { return success(); }
  result<void> truncate(uint64_t) override;
  result<uint64_t> size() override { return origin_ + bytes_.size(); }
  std::span<const std::byte> in_memory(uint64_t pos, uint64_t len) const override;

 private:
  uint64_t origin_;
  std::vector<std::byte> bytes_;
};

}  // namespace runnel::storage
