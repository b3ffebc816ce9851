// The logical plan: what a query computes, as a tree of relational
// operators over typed columns. The binder (binder.h) builds it from the
// parse tree; rewrite.cc pushes filters into joins and fuses ROW_NUMBER
// with its rank filter into Top-N; the dataflow builder (exec/build.h)
// turns it into operators, persistent for a materialized view, in memory
// for a one-off query.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sql/plan/expr.h"

namespace runnel::sql {

struct relation_info;

struct plan_column {
  std::string name;
  sql_type type;
  std::string qualifier;  // the table or alias it came from (for name lookup)
  bool hidden = false;    // not selected by *: helper columns
  // The relation column it reads as is (a scan's, a plain view's output,
  // through joins and windows; not through a projection): for rewriting
  // references when that column is renamed (bind_options::column_uses).
  uint64_t origin = 0;
  int origin_column = -1;
};

enum class plan_kind {
  scan,    // a source, table, materialized view or system table
  values,  // VALUES lists (and SELECT without FROM: one empty row)
  filter,
  project,
  aggregate,
  join,
  union_all,
  window,           // TUMBLE / HOP / SESSION: adds window_start, window_end
  row_number,       // ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..): Top-N when limited
  temporal_filter,  // a predicate with now(): rows enter and leave as time passes
  sort,             // ORDER BY / LIMIT of a one-off query
};

enum class join_type { inner, left, full };
enum class window_kind { tumble, hop, session };
// The ranking function of a row_number node (ties share a RANK and a DENSE_RANK).
enum class rank_kind { row_number, rank, dense_rank };

struct agg_call {
  std::string func;  // count, sum, avg, min, max, bool_and, bool_or, string_agg
  int arg = -1;      // input column; -1 for count(*)
  bool distinct = false;
  std::string separator;  // string_agg's (a constant)
  sql_type arg_type;
  sql_type type;  // result
  int location = -1;
};

struct sort_key {
  int column = 0;
  bool desc = false;
  bool nulls_first = false;  // PostgreSQL: NULLS LAST for ASC, FIRST for DESC
};

// A row is visible while lower <= now() < upper (temporal_filter): each
// bound is an expression over the row, or null when absent.
struct temporal_bound {
  expr_ptr lower;  // row enters when now() reaches it
  expr_ptr upper;  // row leaves when now() reaches it
};

struct plan_node;
using plan_ptr = std::shared_ptr<plan_node>;

struct plan_node {
  plan_kind kind = plan_kind::values;
  std::vector<plan_column> columns;
  std::vector<plan_ptr> inputs;

  // scan
  const relation_info* relation = nullptr;
  // values
  std::vector<std::vector<expr_ptr>> rows;
  // filter, join (residual), temporal_filter (what is left besides bounds)
  expr_ptr predicate;
  // project
  std::vector<expr_ptr> exprs;
  // aggregate: output = group keys, then aggregates
  std::vector<int> group_keys;
  std::vector<agg_call> aggs;
  bool emit_on_window_close = false;
  // join: output = left columns, then right columns
  join_type join = join_type::inner;
  std::vector<std::pair<int, int>> equi;  // (left column, right column)
  bool temporal = false;  // FOR SYSTEM_TIME AS OF PROCTIME(): the right side is looked up
  // Output columns no node above reads (mark_unread_columns): stored and emitted as NULL.
  std::vector<int> unread;
  // window (SESSION: `size` is the gap, `partition` its PARTITION BY columns)
  window_kind window = window_kind::tumble;
  int time_column = -1;
  int64_t size = 0, slide = 0, offset = 0;  // microseconds
  // row_number (and sort): partition, order, limit/offset; output = input + rank column if
  // with_rank
  std::vector<int> partition;
  std::vector<sort_key> order;
  int64_t limit = -1;  // -1: none
  int64_t skip = 0;
  bool with_rank = true;
  rank_kind ranking = rank_kind::row_number;
  // temporal_filter
  temporal_bound bound;

  // Properties, derived by derive_properties():
  bool append_only = false;     // never retracts a row
  std::vector<int> unique_key;  // columns that identify a row; empty: unknown
  std::vector<int> watermarks;  // columns whose future values only grow (a watermark)

  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& c : columns) n.push_back(c.name);
    return n;
  }
};

// Fills in append_only, unique_key and watermarks bottom-up.
void derive_properties(plan_node& n);

// Pushes filter conjuncts into joins (equalities become join keys) and
// below projections; fuses row_number + rank filter into a limited Top-N;
// in a maintained query (`streaming`), turns comparisons with now() into a
// temporal filter. Errors for what cannot be maintained.
result<plan_ptr> rewrite(plan_ptr root, bool streaming);

// Marks the columns of each join that nothing above it reads (prune.cc;
// rewrite() calls it last).
plan_ptr mark_unread_columns(const plan_ptr& root);

// EMIT ON WINDOW CLOSE: marks the aggregate under the root (below
// projections and filters only) to emit each group once, final, when the
// watermark closes it; an error if the query has no such aggregate.
result<void> set_emit_on_window_close(plan_node& root);

// A readable tree for EXPLAIN, one operator per line.
std::string explain(const plan_node& n);

}  // namespace runnel::sql
