// sort_op: ORDER BY … LIMIT … OFFSET of a one-off query. It holds every row
// until finish(), then emits the ordered rows once. A maintained query has
// no order: its LIMIT runs as a Top-N (top_n.h).
#pragma once

#include <vector>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

class sort_op : public op {
 public:
  sort_op(exec_env& env, schema_types types, std::vector<sort_key> order, int64_t limit,
          int64_t skip)
      : op(env),
        types_(std::move(types)),
        order_(std::move(order)),
        limit_(limit),
        skip_(skip),
        rows_(width()) {}

  void push(int port, const row_batch& in) override;
  void finish() override;

 private:
  uint32_t width() const { return static_cast<uint32_t>(types_.size()); }

  schema_types types_;
  std::vector<sort_key> order_;
  int64_t limit_, skip_;
  row_batch rows_;
};

}  // namespace runnel::sql
