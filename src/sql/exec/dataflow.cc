#include "sql/exec/dataflow.h"

#include <algorithm>

#include "sql/exec/aggregate.h"
#include "sql/exec/basic_ops.h"
#include "sql/exec/join.h"
#include "sql/exec/session.h"
#include "sql/exec/sort.h"
#include "sql/exec/temporal_filter.h"
#include "sql/exec/top_n.h"
#include "sql/plan/relation.h"

namespace runnel::sql {

namespace {

schema_types types_of(const plan_node& n) {
  schema_types t;
  t.reserve(n.columns.size());
  for (const auto& c : n.columns) t.push_back(c.type);
  return t;
}

const char* kind_name(plan_kind k) {
  switch (k) {
    case plan_kind::scan:
      return "scan";
    case plan_kind::values:
      return "VALUES";
    case plan_kind::filter:
      return "filter";
    case plan_kind::project:
      return "projection";
    case plan_kind::aggregate:
      return "aggregate";
    case plan_kind::join:
      return "join";
    case plan_kind::union_all:
      return "UNION ALL";
    case plan_kind::window:
      return "window";
    case plan_kind::row_number:
      return "ROW_NUMBER() / Top-N";
    case plan_kind::temporal_filter:
      return "now() filter";
    case plan_kind::sort:
      return "ORDER BY / LIMIT";
  }
  return "operator";
}

}  // namespace

result<op*> dataflow::add(const plan_node& n) {
  std::vector<op*> ins;
  for (const auto& in : n.inputs) {
    BOOST_OUTCOME_TRY(op * o, add(*in));
    ins.push_back(o);
  }
  std::unique_ptr<op> made;
  switch (n.kind) {
    case plan_kind::scan:
      if (!n.relation) return make_error(errc::internal, -1, "a scan without a relation");
      made = std::make_unique<input_op>(env_);
      scans_.emplace_back(n.relation->id, made.get());
      break;
    case plan_kind::values:
      made = std::make_unique<values_op>(env_, n.rows, static_cast<uint32_t>(n.columns.size()));
      break;
    case plan_kind::filter:
      made =
          std::make_unique<filter_op>(env_, n.predicate, static_cast<uint32_t>(n.columns.size()));
      break;
    case plan_kind::project:
      made = std::make_unique<project_op>(env_, n.exprs);
      break;
    case plan_kind::union_all:
      made = std::make_unique<union_op>(env_, ins.size());
      break;
    case plan_kind::window:
      if (n.window == window_kind::session) {
        made = std::make_unique<session_op>(env_, types_of(*n.inputs[0]), n.partition,
                                            n.time_column, n.size);
        break;
      }
      made = std::make_unique<window_op>(env_, static_cast<uint32_t>(n.inputs[0]->columns.size()),
                                         n.time_column, n.size, n.slide, n.offset);
      break;
    case plan_kind::aggregate: {
      const plan_node& in = *n.inputs[0];
      // Groups close (and their state goes) when the watermark passes the
      // first group key that carries one: a window's start or end.
      int wm_key = -1;
      for (size_t k = 0; k < n.group_keys.size() && wm_key < 0; ++k)
        if (std::find(in.watermarks.begin(), in.watermarks.end(), n.group_keys[k]) !=
            in.watermarks.end())
          wm_key = static_cast<int>(k);
      if (n.emit_on_window_close && wm_key < 0)
        return make_error(errc::feature_not_supported, -1,
                          "EMIT ON WINDOW CLOSE needs a GROUP BY key with a watermark "
                          "(window_start or window_end of a TUMBLE or HOP, window_end of a "
                          "SESSION, over a column with a WATERMARK)");
      made = std::make_unique<aggregate_op>(env_, types_of(in), n.group_keys, n.aggs,
                                            in.append_only, n.emit_on_window_close, wm_key);
      break;
    }
    case plan_kind::join: {
      const plan_node& l = *n.inputs[0];
      if (n.temporal && !l.append_only)
        return make_error(
            errc::feature_not_supported, -1,
            "a temporal join (FOR SYSTEM_TIME AS OF PROCTIME()) needs an append-only left side: a "
            "source, or a view that never retracts");
      made = std::make_unique<join_op>(env_, types_of(l), types_of(*n.inputs[1]), n.equi,
                                       n.predicate, n.join, n.temporal, l.watermarks,
                                       n.inputs[1]->watermarks, n.unread);
      break;
    }
    case plan_kind::row_number:
      made = std::make_unique<top_n_op>(env_, types_of(*n.inputs[0]), n.partition, n.order, n.limit,
                                        n.skip, n.with_rank, n.ranking);
      break;
    case plan_kind::sort:
      if (env_.streaming)
        return make_error(errc::internal, -1, "a maintained query has no ORDER BY without LIMIT");
      made = std::make_unique<sort_op>(env_, types_of(n), n.order, n.limit, n.skip);
      break;
    case plan_kind::temporal_filter:
      made = std::make_unique<temporal_filter_op>(env_, types_of(n), n.bound);
      break;
    default:
      return make_error(errc::feature_not_supported, -1, "{} is not supported in this version",
                        kind_name(n.kind));
  }
  op* o = made.get();
  for (size_t i = 0; i < ins.size(); ++i) ins[i]->add_output(o, static_cast<int>(i));
  ops_.push_back(std::move(made));
  return o;
}

result<std::unique_ptr<dataflow>> dataflow::build(const plan_node& root, exec_env& env) {
  std::unique_ptr<dataflow> d(new dataflow(env));
  BOOST_OUTCOME_TRY(d->root_, d->add(root));
  return d;
}

void dataflow::push(uint64_t relation_id, const row_batch& changes) {
  for (auto& [id, o] : scans_)
    if (id == relation_id) o->push(0, changes);
}

void dataflow::watermark(uint64_t relation_id, int column, int64_t value) {
  for (auto& [id, o] : scans_)
    if (id == relation_id) o->watermark(0, column, value);
}

void dataflow::on_create() {
  // Consumers first (ops_ holds inputs before what reads them): a global
  // aggregate's first row (count 0) must be out before a VALUES or
  // generate_series under it pushes its rows, whose change retracts it.
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) (*it)->on_create();
}

void dataflow::tick(int64_t now) {
  env_.now = now;
  for (auto& o : ops_) o->tick(now);
}

void dataflow::finish() {
  for (auto& o : ops_) o->finish();
}

int64_t dataflow::state_bytes() {
  int64_t n = 0;
  for (auto& o : ops_) n += o->state_bytes();
  return n;
}

result<row_batch> run_query(const plan_node& root,
                            const std::vector<std::pair<uint64_t, const row_batch*>>& inputs,
                            int64_t now, interrupt* stop) {
  return run_query_fed(
      root,
      [&](const query_push& push) {
        for (const auto& [id, rows] : inputs)
          if (!push(id, *rows)) break;
      },
      now, stop);
}

result<row_batch> run_query_fed(const plan_node& root,
                                const std::function<void(const query_push& push)>& feed,
                                int64_t now, interrupt* stop) {
  exec_env env;
  env.streaming = false;
  env.now = now;
  env.stop = stop;
  env.new_table = [] { return make_memory_table(); };
  BOOST_OUTCOME_TRY(auto flow, dataflow::build(root, env));
  collector out(env, types_of(root));  // owns its strings: the inputs' pieces go
  flow->add_output(&out, 0);
  flow->on_create();
  feed([&](uint64_t id, const row_batch& rows) {
    if (env.error || env.interrupted_now()) return false;
    flow->push(id, rows);
    return !env.error;
  });
  env.interrupted_now();
  if (!env.error) flow->finish();
  if (env.error) return *env.error;
  row_batch result = out.rows();
  consolidate(result, types_of(root));
  for (size_t i = 0; i < result.size(); ++i)
    if (result.weight(i) < 0)
      return make_error(errc::internal, -1, "a query's result has a row with a negative count");
  return result;
}

}  // namespace runnel::sql
