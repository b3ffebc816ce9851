// The time bounds of a stream–stream join (an interval join), found from
// its condition and its inputs' watermarks: shared by the join operator,
// which expires state with them (exec/join.h), and derive_properties(),
// which says which of the join's output columns carry a watermark.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sql/plan/expr.h"

namespace runnel::sql {

// A conjunct `lhs <= rhs` (or <, >=, >, =, BETWEEN's halves, equal keys)
// whose lhs is a watermarked column of side 1 - clean, plus or minus a
// constant, and whose rhs is a timestamp computed from a row of side
// `clean` alone: once that side's watermark is W, a stored row of side
// `clean` with rhs(row) < lhs(W) (<= when strict) can match no future row.
struct join_time_bound {
  int clean = 0;
  int wm_column = -1;  // of side 1 - clean
  expr_ptr lhs;        // over a row of side 1 - clean: monotone in wm_column
  expr_ptr rhs;        // over a row of side `clean`
  bool strict = false;
  // When rhs is a column of side `clean` plus a constant (µs, no months):
  // that column and the constant; else -1. The rows such a bound keeps
  // have that column >= limit - rhs_offset: a lower bound on the column in
  // every future output row that comes from a stored row.
  int rhs_column = -1;
  int64_t rhs_offset = 0;
};

std::vector<join_time_bound> find_join_time_bounds(const std::vector<sql_type>& left,
                                                   const std::vector<sql_type>& right,
                                                   const std::vector<std::pair<int, int>>& equi,
                                                   const expr_ptr& residual,
                                                   const std::vector<int>& left_watermarks,
                                                   const std::vector<int>& right_watermarks);

// The output columns (left columns, then right ones) of a join that carry
// a watermark: a side's watermarked column that a bound expiring that
// side's rows has as its rhs column. Its watermark is the smaller of the
// side's own watermark and the bounds' lower limit on the stored rows.
std::vector<int> join_output_watermarks(const std::vector<join_time_bound>& bounds, int left_width,
                                        const std::vector<int>& left_watermarks,
                                        const std::vector<int>& right_watermarks);

}  // namespace runnel::sql
