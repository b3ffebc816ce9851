// temporal_filter_op: a filter with now() in a maintained query
// (`WHERE ts > now() - INTERVAL '15' MINUTE`). The rewrite turns such
// predicates into bounds on processing time per row (plan/logical.h,
// temporal_bound): a row is in the view while lower <= now() < upper.
// Rows enter and leave as time passes, on tick(now).
//
// State: the rows whose visibility will still change, keyed by the time
// when it changes (then whether they enter or leave, then the row): a tick
// scans the keys up to now. A row that has left (or whose bounds are NULL)
// is not kept, so state stays bounded by the window the predicate spans.
#pragma once

#include <memory>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

class temporal_filter_op : public op {
 public:
  temporal_filter_op(exec_env& env, schema_types types, temporal_bound bound);

  void push(int port, const row_batch& in) override;
  void tick(int64_t now) override;
  int64_t state_bytes() override { return table_->bytes(); }

 private:
  // Adds `w` copies of `row` to the pending changes at `when`.
  void schedule(int64_t when, bool enter, const datum* row, int64_t w);

  schema_types types_;
  temporal_bound bound_;
  int64_t now_;
  std::unique_ptr<state_table> table_;
};

}  // namespace runnel::sql
