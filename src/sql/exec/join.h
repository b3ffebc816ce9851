// join_op: inner, left and full joins on equality keys (plus any residual
// predicate), maintained under inserts and deletes on both sides.
//
// Each side keeps its rows in a state table keyed by the join key, then
// the whole row: a change on one side is joined with the other side's rows
// of the same key, and the product of weights is emitted. For an outer
// side every row also keeps how many rows of the other side it matches;
// when that count goes 0 -> n the row's NULL-padded output is retracted,
// and when it goes n -> 0 it is emitted again. A row with a NULL key
// matches nothing: on an outer side it passes padded and is not stored.
//
// A temporal join (FOR SYSTEM_TIME AS OF PROCTIME()) looks each left row up
// in the right side as it is now: right changes only update the state and
// emit nothing, and left rows are not stored. Its left input must be
// append-only, so no earlier output ever has to be retracted.
//
// Time bounds (stream–stream interval joins): a conjunct of the condition
// `lhs <= rhs` (or <, >=, >, =, BETWEEN's halves, and equality keys) whose
// `lhs` is a watermarked column of one side (plus or minus a constant) and
// whose `rhs` is a timestamp computed from the other side's row alone says
// that a stored row of that other side can match no future row once the
// watermark W has passed: when rhs(row) < lhs(W). Such rows are dropped
// from the state as the watermark moves (a second state table per bound
// orders them by rhs), and a change that arrives below its own side's
// watermark on a bound's column is late: dropped and counted, because the
// rows it would have matched may be gone. Rows that are not late give the
// batch query's result exactly, retractions included.
//
// Watermarks out (plan/time_bounds.h): an output column carries one when
// it is a watermarked column of its side and a bound that expires that
// side's rows is on it (rhs = the column plus a constant): a future output
// row either comes with a new row of that side (the column at or above the
// side's watermark) or pairs a stored one (at or above the bound's limit
// minus the constant), so the output's watermark is the smaller of the
// two. Equal watermarked keys (window_start = window_start) pass the
// smaller of both inputs' watermarks; `b.ts BETWEEN a.ts AND a.ts + 1h`
// passes both ts columns. A temporal join passes its left side's.
//
// Columns that no operator above reads (plan_node::unread, plan/prune.cc)
// are set to NULL as each change comes in, so they are neither stored nor
// copied.
#pragma once

#include <memory>
#include <vector>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"
#include "sql/plan/logical.h"
#include "sql/plan/time_bounds.h"

namespace runnel::sql {

class join_op : public op {
 public:
  join_op(exec_env& env, schema_types left, schema_types right,
          std::vector<std::pair<int, int>> equi, expr_ptr residual, join_type type, bool temporal,
          std::vector<int> left_watermarks = {}, std::vector<int> right_watermarks = {},
          std::vector<int> unread = {});

  void push(int port, const row_batch& in) override;
  void watermark(int port, int column, int64_t value) override;
  int64_t state_bytes() override;
  // How many time bounds clean the state (tests, EXPLAIN).
  size_t bounds() const { return bounds_.size(); }

 private:
  // A time bound the planner found (time_bounds.h): a stored row of side
  // `clean` is dead once rhs(row) < lhs(W) (<= when strict), W being the
  // watermark of side 1 - clean on `wm_column`; and what it keeps to apply it.
  struct bound : join_time_bound {
    bool has_wm = false;
    int64_t wm = 0;
    int64_t limit = 0;                   // rows with rhs < limit are dead
    std::string threshold;               // key of lhs(W): index keys below it are dead
    std::unique_ptr<state_table> index;  // key(rhs(row)) + the row's key in the side's table
  };

  // An output column that carries a watermark: min(its side's watermark,
  // the lower limit its bounds keep on the side's stored rows).
  struct out_watermark {
    int side = 0;
    int column = 0;  // of the side
    int joined = 0;  // of the output
    std::vector<size_t> bounds;
    bool has_side = false;
    int64_t side_wm = 0;
    bool has_emitted = false;
    int64_t emitted = 0;
  };

  struct side {
    schema_types types;
    std::vector<int> keys;
    bool outer = false;       // its unmatched rows are kept, padded with NULLs
    std::vector<int> unread;  // columns nothing above reads: NULL in the state and the output
    std::unique_ptr<state_table> table;
  };

  // The output row of left and right values (either may be null: padded).
  void emit_row(row_batch& out, const datum* left, const datum* right, int64_t weight);
  void find_bounds(const std::vector<std::pair<int, int>>& equi, const std::vector<int>* wms);
  // False if the row of side s can never match a future row of the other
  // side (a bound's rhs is NULL or below its threshold): it is not stored.
  bool alive(int s, const datum* row, eval_context& c);
  // Adds (w > 0) or removes the index entries of a stored row.
  void index_row(int s, const datum* row, const std::string& full, bool add, eval_context& c);
  void expire(bound& b);
  // A change on side s below its side's watermark on a bound's column.
  bool late(int s, const datum* row) const;
  // After a watermark on (side, column): the output's watermarks that moved.
  void pass_watermarks(int side, int column, int64_t value);

  side sides_[2];
  std::vector<bound> bounds_;
  std::vector<out_watermark> out_wms_;
  expr_ptr residual_;
  bool temporal_;
  uint32_t width_;
};

}  // namespace runnel::sql
