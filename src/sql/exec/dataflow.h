// dataflow: the operators of one query, built once from its logical plan
// (plan/logical.h) and wired output to input. The same dataflow runs a
// one-off query (every input pushed once as inserts, then finish()) and a
// maintained view (changes pushed as they arrive, forever).
//
// Rows enter at the plan's scans: push(relation id, batch) feeds every scan
// of that relation (a self-join scans it twice). What comes out of the root
// goes to the operators given to add_output().
//
// Thread-safety: none; a dataflow and its operators belong to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sql/exec/operator.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

class dataflow {
 public:
  // Builds the operators of `root`; `env` must outlive the dataflow. An
  // error names the first plan operator that cannot run yet.
  static result<std::unique_ptr<dataflow>> build(const plan_node& root, exec_env& env);

  // Sends the root's output to `down` (on its port `port`).
  void add_output(op* down, int port) { root_->add_output(down, port); }

  // Changes to relation `relation_id`, as rows of its columns.
  void push(uint64_t relation_id, const row_batch& changes);
  // Every future row of the relation has `column` >= value.
  void watermark(uint64_t relation_id, int column, int64_t value);
  void on_create();
  void tick(int64_t now);
  void finish();
  // Bytes of state held by all operators.
  int64_t state_bytes();

 private:
  result<op*> add(const plan_node& n);

  exec_env& env_;
  std::vector<std::unique_ptr<op>> ops_;  // in creation order: inputs before their consumers
  std::vector<std::pair<uint64_t, op*>> scans_;
  op* root_ = nullptr;

  explicit dataflow(exec_env& env) : env_(env) {}
};

// A one-off query: the result of `root` over the given contents of the
// relations it scans (relation id -> rows, each once), as rows with
// positive counts, owning their strings. The first error of an expression
// fails it; so does `stop` (cancel, statement_timeout: 57014), which the
// operators poll as they run.
result<row_batch> run_query(const plan_node& root,
                            const std::vector<std::pair<uint64_t, const row_batch*>>& inputs,
                            int64_t now = 0, interrupt* stop = nullptr);
// run_query with the inputs read piece by piece (contents served from the
// state store, larger than memory): `feed` calls `push(relation id,
// rows)` for each batch of each relation's rows, and stops once a push
// returns false (an expression failed).
using query_push = std::function<bool(uint64_t relation_id, const row_batch& rows)>;
result<row_batch> run_query_fed(const plan_node& root,
                                const std::function<void(const query_push& push)>& feed,
                                int64_t now = 0, interrupt* stop = nullptr);

}  // namespace runnel::sql
