#include "sql/exec/sort.h"

#include <algorithm>
#include <numeric>

namespace runnel::sql {

void sort_op::push(int, const row_batch& in) {
  rows_.keep_alive(in);
  for (size_t i = 0; i < in.size(); ++i) {
    if (env_.interrupted()) return;
    rows_.add(in.row(i), in.weight(i));
  }
}

void sort_op::finish() {
  consolidate(rows_, types_);
  std::vector<size_t> idx(rows_.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  auto less = [&](size_t a, size_t b) {
    const datum* x = rows_.row(a);
    const datum* y = rows_.row(b);
    for (const auto& k : order_) {
      const datum& u = x[k.column];
      const datum& v = y[k.column];
      if (u.is_null() || v.is_null()) {
        if (u.is_null() == v.is_null()) continue;
        return u.is_null() == k.nulls_first;
      }
      int c = datum_compare(types_[static_cast<size_t>(k.column)], u, v);
      if (c != 0) return k.desc ? c > 0 : c < 0;
    }
    return false;
  };
  // A merge sort in bounded steps — runs sorted, then merged pairwise, as
  // std::stable_sort would — so that an interrupt (cancel,
  // statement_timeout) is seen between steps of a large sort.
  constexpr size_t run = size_t{1} << 16;
  const size_t n = idx.size();
  const auto at = [&](size_t k) { return idx.begin() + static_cast<std::ptrdiff_t>(k); };
  for (size_t b = 0; b < n; b += run) {
    if (env_.interrupted_now()) return;
    std::stable_sort(at(b), at(std::min(b + run, n)), less);
  }
  for (size_t width = run; width < n; width *= 2)
    for (size_t b = 0; b + width < n; b += 2 * width) {
      if (env_.interrupted_now()) return;
      std::inplace_merge(at(b), at(b + width), at(std::min(b + 2 * width, n)), less);
    }
  row_batch out(width());
  out.keep_alive(rows_);
  int64_t pos = 0;
  const int64_t end = limit_ < 0 ? INT64_MAX : skip_ + limit_;
  for (size_t i : idx) {
    if (env_.interrupted()) return;
    for (int64_t n = 0; n < rows_.weight(i) && pos < end; ++n, ++pos)
      if (pos >= skip_) out.add(rows_.row(i), 1);
    if (pos >= end) break;
  }
  emit(out);
}

}  // namespace runnel::sql
