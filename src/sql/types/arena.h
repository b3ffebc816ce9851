// arena: bump allocation for the strings of a batch of rows. Freed all at
// once with its last owner (row batches share arenas through shared_ptr).
// Not thread-safe: a batch and its arena belong to one thread at a time.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace runnel::sql {

class arena {
 public:
  char* alloc(size_t n) {
    if (n > cap_ - used_) grow(n);
    char* p = cur_ + used_;
    used_ += n;
    return p;
  }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = alloc(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  size_t bytes() const { return total_; }

 private:
  void grow(size_t n) {
    // Blocks double up to 1 MiB; a larger string gets its own block.
    size_t size = std::max(n, std::min<size_t>(std::max<size_t>(4096, cap_ * 2), 1 << 20));
    blocks_.emplace_back(new char[size]);
    cur_ = blocks_.back().get();
    cap_ = size;
    used_ = 0;
    total_ += size;
  }
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cur_ = nullptr;
  size_t cap_ = 0;
  size_t used_ = 0;
  size_t total_ = 0;
};

}  // namespace runnel::sql
