// The binder's internals, shared by binder.cc (queries), bind_expr.cc
// (expressions) and bind_from.cc (FROM items and joins).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sql/plan/binder.h"

namespace runnel::sql {

// Placeholders for aggregates and window functions while a SELECT list is
// bound: column references with these large indexes, replaced once the
// aggregate (or row_number) node exists.
constexpr int agg_marker = 1 << 24;
constexpr int window_marker = 1 << 25;

// Subqueries used as values, by the SubLink's location: the width of the
// plan they were joined to and the expression giving their value. Each
// SELECT has its own (a view inlined into a query brings another text
// whose locations may repeat the query's): value_subs_scope in select().
using value_sub_map = std::map<int, std::pair<size_t, expr_ptr>>;
struct value_subs_scope {
  explicit value_subs_scope(value_sub_map& m) : map(m), saved(std::move(m)) { map.clear(); }
  ~value_subs_scope() { map = std::move(saved); }
  value_subs_scope(const value_subs_scope&) = delete;
  value_subs_scope& operator=(const value_subs_scope&) = delete;
  value_sub_map& map;
  value_sub_map saved;
};

struct pending_agg {
  std::string func;
  std::vector<expr_ptr> args;
  bool distinct = false;
  bool star = false;
  sql_type type;
  int location = -1;
  std::string separator;  // string_agg's
};

struct pending_window {
  std::string func;  // row_number, rank, dense_rank
  std::vector<expr_ptr> partition;
  std::vector<std::pair<expr_ptr, sort_key>> order;  // sort_key.column unused here
  int location = -1;
};

struct expr_ctx {
  const std::vector<plan_column>* cols = nullptr;
  std::vector<pending_agg>* aggs = nullptr;        // aggregates allowed and collected
  std::vector<pending_window>* windows = nullptr;  // window functions allowed
  const char* clause = "this context";             // for "not allowed in WHERE"
  // A subquery's enclosing query: names not found in `cols` are looked up
  // here and bound as columns cols->size() + i (bind_subquery.cc).
  const std::vector<plan_column>* outer = nullptr;
};

class binder {
 public:
  explicit binder(const bind_options& o) : opt_(o) {}

  result<plan_ptr> query(const json& stmt);
  result<expr_ptr> expression(const json& node, const expr_ctx& ctx);
  result<sql_type> bind_type(const json& tn);

  std::map<std::string, uint64_t> deps;
  std::vector<sql_type> param_types;

 private:
  friend struct from_binder;
  result<plan_ptr> select(const json& s);
  result<plan_ptr> set_operation(const json& s);
  result<plan_ptr> values(const json& s);
  result<plan_ptr> from_list(const json& from);
  result<plan_ptr> from_item(const json& item);
  result<plan_ptr> range_var(const json& rv);
  result<plan_ptr> range_function(const json& rf);
  result<plan_ptr> join(const json& j);
  result<plan_ptr> window_tvf(const json& call, const json& alias, int location);
  result<plan_ptr> generate_series(const json& call, int location);
  result<plan_ptr> session_tvf(const json& call, const json& alias, int location);
  result<plan_ptr> bind_view(const relation_info& r, const std::string& alias, int location);
  // WHERE's top-level [NOT] EXISTS / [NOT] IN (subquery) conjuncts as
  // semi- and anti-joins of `input` (bind_subquery.cc); `rest` is what is
  // left of WHERE (null if nothing).
  result<plan_ptr> where_subqueries(plan_ptr input, const json& where, json& rest);
  // as_value: x IN (…) as a three-valued value (value_subs_), not a filter.
  result<plan_ptr> subquery_join(plan_ptr input, const json& sublink, bool negated,
                                 bool as_value = false);
  // Scalar and EXISTS subqueries used as values in `node` (WHERE, the
  // select list): each joined to `input`, its value kept for expression().
  result<plan_ptr> value_subqueries(plan_ptr input, const json& node);
  // Binds a rewritten subquery with `outer_cols` as the outer scope
  // (references to them are refused); `visible` gets its visible columns.
  result<plan_ptr> bind_subquery(const json& sub, const std::vector<plan_column>& outer_cols,
                                 std::vector<int>& visible);
  result<plan_ptr> value_subquery(plan_ptr input, const json& sublink);
  // The correlated conjuncts of a subquery's WHERE, split into inner and
  // outer sides of `inner = outer`; `plain` gets the others.
  result<void> correlations(const json& s, const std::vector<plan_column>& outer, const char* what,
                            int loc, std::vector<json>& inner_sides, std::vector<json>& outer_sides,
                            std::vector<json>& plain);

  result<expr_ptr> column_ref(const json& cr, const expr_ctx& ctx);
  result<expr_ptr> func_call(const json& fc, const expr_ctx& ctx);
  // string_agg(value, separator [ORDER BY value]): checks the call, leaves
  // the value in `args` and returns the (constant) separator.
  result<std::string> string_agg_args(const json& fc, std::vector<expr_ptr>& args, bool distinct,
                                      const expr_ctx& ctx, int loc);
  result<expr_ptr> a_expr(const json& ae, const expr_ctx& ctx);
  result<expr_ptr> a_const(const json& c);
  // The oid of 'name'::regtype / 'name'::regclass, if it names something.
  std::optional<int64_t> regtype_oid(std::string_view name) const;
  std::optional<int64_t> regclass_oid(std::string_view name) const;
  std::optional<int64_t> regproc_oid(std::string_view name) const;
  result<expr_ptr> type_cast(const json& tc, const expr_ctx& ctx);
  result<expr_ptr> sql_value_function(const json& f);
  result<expr_ptr> param_ref(const json& p);
  result<std::vector<expr_ptr>> list(const json& arr, const expr_ctx& ctx);
  result<expr_ptr> named_call(const std::string& name, const json& fc, const expr_ctx& ctx,
                              int loc);

  // Subqueries used as values in the SELECT being bound (value_sub_map).
  value_sub_map value_subs_;
  // While a subquery is bound: the enclosing query's columns, for a clear
  // 0A000 when the subquery reads them other than in a WHERE equality.
  const std::vector<plan_column>* outer_scope_ = nullptr;
  // CTEs in scope (innermost last).
  std::vector<std::map<std::string, plan_ptr>> ctes_;
  // Locations of the RangeVars marked FOR SYSTEM_TIME AS OF PROCTIME().
  std::vector<int> temporal_owners_;
  bool top_ = true;
  const bind_options& opt_;
};

// The name PostgreSQL gives an unnamed SELECT-list item (FigureColname).
std::string figure_colname(const json& node);
// A node's "location", or -1.
int location_of(const json& node);
// The string of a String node ({"String": {"sval": ...}}).
std::string str_of(const json& node);
// Whether a function name is one of the aggregates runnel has (count, sum,
// avg, min, max, bool_and, bool_or, every, string_agg).
bool is_aggregate_name(std::string_view name);

// Plan-building helpers.
plan_ptr make_project(plan_ptr input, std::vector<expr_ptr> exprs, std::vector<plan_column> cols);
plan_ptr make_filter(plan_ptr input, expr_ptr predicate);
// Splits an AND tree into conjuncts / joins conjuncts back.
void conjuncts(const expr_ptr& e, std::vector<expr_ptr>& out);
expr_ptr conjunction(const std::vector<expr_ptr>& parts);

}  // namespace runnel::sql
