// Slotted cells: the storage behind counters and histograms, built so that
// threads writing the same series do not fight over one cache line.
//
// A series has `slot_count()` rows, each a whole number of cache lines; a
// thread always writes the row of its own slot (assigned round-robin the
// first time the thread writes any metric) and a scrape sums the rows. With
// no more writing threads than slots (shards, the io pool, the admin server
// and a few others), each row has one writer: an increment is an
// uncontended relaxed add on a line no other core touches, so the broker's
// shards never bounce a line between them (DESIGN.md decision 4). Threads
// beyond that share rows, which stays correct (the adds are atomic) and only
// costs contention between those threads.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace runnel::observe::detail {

constexpr size_t cache_line = 64;
constexpr size_t cells_per_line = cache_line / sizeof(uint64_t);

// Rows per series: twice the hardware threads (shards plus io pool), a power
// of two between 4 and 64. Fixed at the first call.
size_t slot_count();
// The calling thread's row, in [0, slot_count()).
size_t this_thread_slot();

class slotted_cells {
 public:
  // `cells` 64-bit cells per row.
  explicit slotted_cells(size_t cells);

  size_t cells() const { return cells_; }
  std::atomic<uint64_t>& mine(size_t i) { return at(this_thread_slot(), i); }
  // The sum of cell i over all rows.
  uint64_t sum(size_t i) const;
  // Cell i of one row (for doubles stored as bits, which do not sum as integers).
  const std::atomic<uint64_t>& at(size_t row, size_t i) const {
    return lines_[row * lines_per_row_ + i / cells_per_line].v[i % cells_per_line];
  }
  std::atomic<uint64_t>& at(size_t row, size_t i) {
    return lines_[row * lines_per_row_ + i / cells_per_line].v[i % cells_per_line];
  }
  size_t rows() const { return rows_; }

 private:
  struct alignas(cache_line) line {
    std::atomic<uint64_t> v[cells_per_line];
  };

  size_t cells_;
  size_t lines_per_row_;
  size_t rows_;
  std::unique_ptr<line[]> lines_;
};

}  // namespace runnel::observe::detail
