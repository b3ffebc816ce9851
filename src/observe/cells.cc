#include "observe/cells.h"

#include <algorithm>
#include <thread>

namespace runnel::observe::detail {

size_t slot_count() {
  static const size_t n = [] {
    const size_t hw = std::max(1u, std::thread::hardware_concurrency());
    return std::bit_ceil(std::clamp<size_t>(2 * hw, 4, 64));
  }();
  return n;
}

size_t this_thread_slot() {
  static std::atomic<size_t> next{0};
  thread_local const size_t slot = next.fetch_add(1, std::memory_order_relaxed) % slot_count();
  return slot;
}

slotted_cells::slotted_cells(size_t cells)
    : cells_(cells),
      lines_per_row_((cells + cells_per_line - 1) / cells_per_line),
      rows_(slot_count()),
      lines_(new line[rows_ * lines_per_row_]) {
  for (size_t i = 0; i < rows_ * lines_per_row_; ++i)
    for (auto& c : lines_[i].v) c.store(0, std::memory_order_relaxed);
}

uint64_t slotted_cells::sum(size_t i) const {
  uint64_t total = 0;
  for (size_t r = 0; r < rows_; ++r) total += at(r, i).load(std::memory_order_relaxed);
  return total;
}

}  // namespace runnel::observe::detail
