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
#pragma once

#include <memory>
#include <vector>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

class join_op : public op {
 public:
  join_op(exec_env& env, schema_types left, schema_types right,
          std::vector<std::pair<int, int>> equi, expr_ptr residual, join_type type, bool temporal);

  void push(int port, const row_batch& in) override;
  void watermark(int port, int column, int64_t value) override;
  int64_t state_bytes() override;

 private:
  struct side {
    schema_types types;
    std::vector<int> keys;
    bool outer = false;  // its unmatched rows are kept, padded with NULLs
    std::unique_ptr<state_table> table;
  };

  // The output row of left and right values (either may be null: padded).
  void emit_row(row_batch& out, const datum* left, const datum* right, int64_t weight);

  side sides_[2];
  expr_ptr residual_;
  bool temporal_;
  uint32_t width_;
};

}  // namespace runnel::sql
