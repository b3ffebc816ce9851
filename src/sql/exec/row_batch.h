// row_batch: a batch of changes — rows with multiplicities (weights) — the
// unit every operator consumes and produces. +1 inserts a row, -1 deletes
// one; a weight of n means n copies. Rows are stored flat, `width` datums
// each, so a batch of a million rows is one allocation, not a million.
//
// Strings point into arenas: the batch's own (`strings()`) or those of the
// batches it was derived from (`keep_alive`). A batch lives only while the
// push that carries it runs: operators that keep rows across pushes encode
// them into their state instead.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sql/types/arena.h"
#include "sql/types/datum.h"

namespace runnel::sql {

class row_batch {
 public:
  explicit row_batch(uint32_t width = 0) : width_(width) {}

  uint32_t width() const { return width_; }
  size_t size() const { return weights_.size(); }
  bool empty() const { return weights_.empty(); }
  const datum* row(size_t i) const { return cells_.data() + i * width_; }
  datum* row(size_t i) { return cells_.data() + i * width_; }
  int64_t weight(size_t i) const { return weights_[i]; }
  void set_weight(size_t i, int64_t w) { weights_[i] = w; }

  // A new row of `width` NULLs with this weight. Invalidates row pointers.
  datum* add(int64_t weight) {
    cells_.resize(cells_.size() + width_);
    weights_.push_back(weight);
    return cells_.data() + cells_.size() - width_;
  }
  // A copy of `values` (width of them) with this weight.
  void add(const datum* values, int64_t weight) {
    cells_.insert(cells_.end(), values, values + width_);
    weights_.push_back(weight);
  }
  // Removes the last row.
  void pop_back() {
    cells_.resize(cells_.size() - width_);
    weights_.pop_back();
  }
  void reserve(size_t rows) {
    cells_.reserve(rows * width_);
    weights_.reserve(rows);
  }
  void clear() {
    cells_.clear();
    weights_.clear();
  }

  arena& strings() {
    if (!own_) own_ = std::make_shared<arena>();
    return *own_;
  }
  // Keeps `other`'s strings (and what it keeps) alive as long as this batch.
  void keep_alive(const row_batch& other) {
    if (other.own_) keep_.push_back(other.own_);
    keep_.insert(keep_.end(), other.keep_.begin(), other.keep_.end());
  }
  void keep_alive(std::shared_ptr<const void> owner) { keep_.push_back(std::move(owner)); }

 private:
  uint32_t width_;
  std::vector<datum> cells_;
  std::vector<int64_t> weights_;
  std::shared_ptr<arena> own_;
  std::vector<std::shared_ptr<const void>> keep_;
};

}  // namespace runnel::sql
