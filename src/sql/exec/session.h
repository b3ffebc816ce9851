// session_op: SESSION windows (Flink's table-valued function), maintained
// under inserts and deletes. Each row gets the window_start and window_end
// of its session: within a partition, rows whose times are at most `gap`
// apart (Flink merges windows that touch) chain into one session, from its
// first row's time to its last row's time plus the gap.
//
// An insert can extend a session or bridge two, a delete can shrink or
// split one, so the operator emits the retraction of every row whose
// session changed and its insertion with the new window. Each batch
// recomputes only the region of the touched partitions around the changed
// times: from the session before the first change to the one after the
// last (the rows outside are more than a gap away and keep their windows).
//
// State: every row by (partition, time, row) with its count, and each open
// session by (window_end, partition, window_start). With a watermark W on
// the time column, sessions with window_end < W are closed (no row at or
// after W can reach them): their rows are dropped, a change with a time
// below W is late (dropped and counted), and window_end gets the watermark
// W (every open session ends at or after it), so an aggregate grouped by
// window_end closes its groups and EMIT ON WINDOW CLOSE works.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"

namespace runnel::sql {

class session_op : public op {
 public:
  session_op(exec_env& env, schema_types in_types, std::vector<int> partition, int time_column,
             int64_t gap);

  void push(int port, const row_batch& in) override;
  void watermark(int port, int column, int64_t value) override;
  int64_t state_bytes() override { return rows_->bytes() + sessions_->bytes(); }

  struct stored;

 private:
  // The rows of partition `prefix` with times in [lo, hi], in key order.
  std::vector<stored> load(const std::string& prefix, int64_t lo, int64_t hi);
  void update(const std::string& prefix, const std::vector<std::pair<size_t, int64_t>>& changes,
              const row_batch& in, row_batch& out);

  schema_types types_;
  std::vector<int> partition_;
  int time_;
  int64_t gap_;
  bool has_wm_ = false;
  int64_t wm_ = 0;
  std::unique_ptr<state_table> rows_;      // partition + key(time) + row -> count, row
  std::unique_ptr<state_table> sessions_;  // key(window_end) + partition + key(window_start)
};

}  // namespace runnel::sql
