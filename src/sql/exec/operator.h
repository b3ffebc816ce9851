// op: one operator of a dataflow. Operators are pushed batches of changes
// (row_batch: rows with weights) on numbered input ports and push their own
// changes to the operators downstream, synchronously, on the engine
// thread. Every operator keeps its output equal to its relational meaning
// applied to the sum of its inputs' changes so far: that is incremental
// view maintenance with retractions, and why a view equals the batch query.
//
// The same operators run one-off queries: in memory, fed each input's
// contents once as inserts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sql/error.h"
#include "sql/exec/interrupt.h"
#include "sql/exec/row_batch.h"
#include "sql/plan/expr.h"
#include "sql/state/state_table.h"

namespace runnel::sql {

// What all operators of one dataflow share.
struct exec_env {
  bool streaming =
      false;        // maintained (errors in a row are counted) or one-off (they fail the query)
  int64_t now = 0;  // µs since the epoch: processing time, or the statement time
  std::optional<sql_error> error;  // one-off: the first error
  uint64_t row_errors = 0;         // maintained: rows whose expressions failed (went on with NULL)
  uint64_t late_rows = 0;          // maintained: rows dropped behind a watermark
  std::string name;                // the view, for logs
  // Creates the state table for the next stateful operator.
  std::function<std::unique_ptr<state_table>()> new_table;
  // A one-off query, or a new view's first load: the statement's interrupt
  // (cancel, statement_timeout); null while a view is maintained, which
  // nothing interrupts.
  interrupt* stop = nullptr;

  // Whether the statement must stop (then `error` holds 57014): operators
  // call it in every loop that can run long, once per row — it looks at
  // the interrupt every 256 calls, so it costs a counter. An operator that
  // sees true returns at once; its state no longer matters, the statement
  // fails.
  bool interrupted() {
    if (!stop) return false;
    if (stopped) return true;
    if ((++polls & 255) != 0) return false;
    return interrupted_now();
  }
  // The same, looking at the interrupt now (between batches).
  bool interrupted_now() {
    if (!stop) return false;
    if (!stopped && stop->due()) {
      stopped = true;
      if (!error) error = stop->error();
    }
    return stopped;
  }
  bool stopped = false;
  uint32_t polls = 0;
};

class op {
 public:
  explicit op(exec_env& env) : env_(env) {}
  virtual ~op() = default;
  op(const op&) = delete;
  op& operator=(const op&) = delete;

  virtual void push(int port, const row_batch& in) = 0;
  // Every future row on `port` has column `column` >= value.
  virtual void watermark(int port, int column, int64_t value);
  // Processing time moved to `now` (temporal filters).
  virtual void tick(int64_t now) { (void)now; }
  // Called once when the dataflow is first created (never after a restart):
  // operators with output before any input (VALUES, a global aggregate)
  // emit it.
  virtual void on_create() {}
  // One-off queries: every input has been pushed.
  virtual void finish() {}

  void add_output(op* down, int port) { outs_.emplace_back(down, port); }
  // Bytes of state this operator holds.
  virtual int64_t state_bytes() { return 0; }

 protected:
  void emit(const row_batch& b) {
    if (b.empty()) return;
    for (auto& [o, p] : outs_) o->push(p, b);
  }
  void emit_watermark(int column, int64_t value) {
    for (auto& [o, p] : outs_) o->watermark(p, column, value);
  }
  // After evaluating a row: false if the query must stop (one-off query
  // with an error); in a maintained view the error is counted and the row
  // goes on with NULL where the expression failed.
  bool row_ok(eval_context& c);
  eval_context context(row_batch& out);

  exec_env& env_;
  std::vector<std::pair<op*, int>> outs_;
};

// Collects a one-off query's result.
class collector : public op {
 public:
  explicit collector(exec_env& env, uint32_t width) : op(env), rows_(width) {}
  // Copies each row's strings as it comes instead of keeping the batches
  // they point into alive: a one-off query fed its inputs a piece at a
  // time (run_query_fed) keeps what it returns, not every piece.
  collector(exec_env& env, std::vector<sql_type> types)
      : op(env),
        rows_(static_cast<uint32_t>(types.size())),
        types_(std::move(types)),
        owning_(true) {}
  void push(int port, const row_batch& in) override;
  // Every change pushed so far, in order (consolidate() merges them).
  const row_batch& rows() const { return rows_; }

 private:
  row_batch rows_;
  std::vector<sql_type> types_;
  bool owning_ = false;
};

}  // namespace runnel::sql
