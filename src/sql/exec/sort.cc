#include "sql/exec/sort.h"

#include <algorithm>
#include <numeric>

namespace runnel::sql {

void sort_op::push(int, const row_batch& in) {
  rows_.keep_alive(in);
  for (size_t i = 0; i < in.size(); ++i) rows_.add(in.row(i), in.weight(i));
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
  std::stable_sort(idx.begin(), idx.end(), less);
  row_batch out(width());
  out.keep_alive(rows_);
  int64_t pos = 0;
  const int64_t end = limit_ < 0 ? INT64_MAX : skip_ + limit_;
  for (size_t i : idx) {
    for (int64_t n = 0; n < rows_.weight(i) && pos < end; ++n, ++pos)
      if (pos >= skip_) out.add(rows_.row(i), 1);
    if (pos >= end) break;
  }
  emit(out);
}

}  // namespace runnel::sql
