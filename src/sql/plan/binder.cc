// Binding queries: SELECT with WHERE, GROUP BY, HAVING, window functions,
// DISTINCT, ORDER BY, LIMIT; set operations; VALUES; WITH.
#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "sql/plan/binder_impl.h"
#include "sql/plan/functions.h"

namespace runnel::sql {

namespace {

void collect_range_var_locations(const json& j, std::vector<int>& out) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "RangeVar" && v.is_object()) out.push_back(v.value("location", -1));
      collect_range_var_locations(v, out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) collect_range_var_locations(v, out);
  }
}

// Rewrites an expression bound over the grouping input into one over the
// aggregate's output: group expressions become key columns, aggregate
// placeholders aggregate columns; a bare input column is a grouping error.
result<expr_ptr> regroup(const expr_ptr& e, const std::vector<expr_ptr>& keys, size_t nkeys,
                         const std::vector<plan_column>& input_cols) {
  for (size_t i = 0; i < keys.size(); ++i)
    if (same_expr(*e, *keys[i]))
      return make_column(static_cast<int>(i), keys[i]->type, e->location);
  if (e->kind == expr_kind::column) {
    if (e->column >= agg_marker && e->column < window_marker)
      return make_column(static_cast<int>(nkeys) + (e->column - agg_marker), e->type, e->location);
    if (e->column >= window_marker) return e;
    const auto& c = input_cols[static_cast<size_t>(e->column)];
    return make_error(
        errc::grouping_error, e->location,
        "column \"{}{}{}\" must appear in the GROUP BY clause or be used in an aggregate function",
        c.qualifier, c.qualifier.empty() ? "" : ".", c.name);
  }
  if (e->args.empty()) return e;
  auto c = std::make_shared<expr>(*e);
  for (auto& a : c->args) {
    BOOST_OUTCOME_TRY(a, regroup(a, keys, nkeys, input_cols));
  }
  return expr_ptr(c);
}

// Replaces window placeholders by the rank column.
// Window function i (the marker window_marker + i) -> its rank column.
expr_ptr replace_window(const expr_ptr& e, const std::vector<int>& rank_columns) {
  if (e->kind == expr_kind::column && e->column >= window_marker &&
      static_cast<size_t>(e->column - window_marker) < rank_columns.size())
    return make_column(rank_columns[static_cast<size_t>(e->column - window_marker)], type_id::int64,
                       e->location);
  if (e->args.empty()) return e;
  auto c = std::make_shared<expr>(*e);
  for (auto& a : c->args) a = replace_window(a, rank_columns);
  return c;
}

bool has_marker(const expr& e, int lo, int hi) {
  if (e.kind == expr_kind::column && e.column >= lo && e.column < hi) return true;
  for (const auto& a : e.args)
    if (has_marker(*a, lo, hi)) return true;
  return false;
}

struct target {
  expr_ptr e;
  std::string name;
  int location = -1;
};

}  // namespace

std::string_view relation_kind_name(relation_kind k) {
  switch (k) {
    case relation_kind::source:
      return "source";
    case relation_kind::table:
      return "table";
    case relation_kind::materialized_view:
      return "materialized view";
    case relation_kind::view:
      return "view";
    case relation_kind::sink:
      return "sink";
    case relation_kind::system:
      return "system table";
  }
  return "relation";
}

result<bound_query> bind_query(const json& stmt, const bind_options& options) {
  binder b(options);
  BOOST_OUTCOME_TRY(auto root, b.query(stmt));
  bound_query q;
  q.root = root;
  q.deps = b.deps;
  q.param_types = b.param_types;
  for (auto& t : q.param_types)
    if (t.id == type_id::unknown) t = type_id::text;
  return q;
}

result<plan_ptr> binder::query(const json& stmt) {
  if (top_) {
    top_ = false;
    if (!opt_.temporal_joins.empty()) {
      std::vector<int> locs;
      collect_range_var_locations(stmt, locs);
      std::sort(locs.begin(), locs.end());
      for (int p : opt_.temporal_joins) {
        int best = -1;
        for (int l : locs)
          if (l < p) best = l;
        if (best >= 0) temporal_owners_.push_back(best);
      }
    }
  }
  const json& s = stmt.contains("SelectStmt") ? stmt["SelectStmt"] : stmt;
  if (!s.is_object()) return make_error(errc::syntax_error, -1, "a query expected");
  bool pushed = false;
  if (s.contains("withClause")) {
    const json& w = s["withClause"];
    if (w.value("recursive", false))
      return make_error(errc::feature_not_supported, w.value("location", -1),
                        "WITH RECURSIVE is not supported");
    ctes_.emplace_back();
    pushed = true;
    for (const auto& c : w["ctes"]) {
      const json& cte = c["CommonTableExpr"];
      std::string name = cte.value("ctename", "");
      BOOST_OUTCOME_TRY(auto p, query(cte["ctequery"]));
      if (cte.contains("aliascolnames")) {
        auto out = std::make_shared<plan_node>(*p);
        size_t i = 0;
        for (const auto& a : cte["aliascolnames"]) {
          while (i < out->columns.size() && out->columns[i].hidden) ++i;
          if (i < out->columns.size()) out->columns[i++].name = str_of(a);
        }
        p = out;
      }
      ctes_.back()[name] = p;
    }
  }
  result<plan_ptr> r = make_error(errc::internal, -1, "unbound");
  std::string op = s.value("op", "SETOP_NONE");
  if (op != "SETOP_NONE")
    r = set_operation(s);
  else if (s.contains("valuesLists"))
    r = values(s);
  else
    r = select(s);
  if (pushed) ctes_.pop_back();
  return r;
}

result<plan_ptr> binder::values(const json& s) {
  auto p = std::make_shared<plan_node>();
  p->kind = plan_kind::values;
  expr_ctx ctx;
  ctx.clause = "VALUES";
  size_t width = 0;
  for (const auto& row : s["valuesLists"]) {
    BOOST_OUTCOME_TRY(auto es, list(row["List"]["items"], ctx));
    if (p->rows.empty()) width = es.size();
    if (es.size() != width)
      return make_error(errc::syntax_error, location_of(row["List"]["items"][0]),
                        "VALUES lists must all be the same length");
    p->rows.push_back(std::move(es));
  }
  // Each column meets in one type.
  for (size_t c = 0; c < width; ++c) {
    std::vector<expr_ptr> col;
    for (auto& r : p->rows) col.push_back(r[c]);
    BOOST_OUTCOME_TRY(unify(col, -1, "VALUES"));
    for (size_t i = 0; i < p->rows.size(); ++i) p->rows[i][c] = col[i];
    p->columns.push_back({fmt::format("column{}", c + 1),
                          col.empty() ? sql_type(type_id::text) : col[0]->type, "", false});
  }
  plan_ptr out = p;
  // ORDER BY / LIMIT on VALUES: through a trivial SELECT.
  if (s.contains("sortClause") || s.contains("limitCount")) {
    json wrapper = s;
    wrapper.erase("valuesLists");
    return make_error(
        errc::feature_not_supported, -1,
        "ORDER BY/LIMIT directly on VALUES is not supported; use SELECT * FROM (VALUES ...) v");
  }
  return out;
}

result<plan_ptr> binder::set_operation(const json& s) {
  std::string op = s.value("op", "");
  bool all = s.value("all", false);
  if (op != "SETOP_UNION")
    return make_error(errc::feature_not_supported, -1, "{} is not supported; only UNION [ALL]",
                      op == "SETOP_INTERSECT" ? "INTERSECT" : "EXCEPT");
  BOOST_OUTCOME_TRY(auto l, query(s["larg"]));
  BOOST_OUTCOME_TRY(auto r, query(s["rarg"]));
  auto visible = [](const plan_ptr& p) {
    std::vector<int> v;
    for (size_t i = 0; i < p->columns.size(); ++i)
      if (!p->columns[i].hidden) v.push_back(static_cast<int>(i));
    return v;
  };
  auto lv = visible(l), rv = visible(r);
  if (lv.size() != rv.size())
    return make_error(errc::syntax_error, -1,
                      "each UNION query must have the same number of columns");
  std::vector<expr_ptr> le, re;
  std::vector<plan_column> cols;
  for (size_t i = 0; i < lv.size(); ++i) {
    std::vector<expr_ptr> pair{make_column(lv[i], l->columns[lv[i]].type),
                               make_column(rv[i], r->columns[rv[i]].type)};
    BOOST_OUTCOME_TRY(unify(pair, -1, "UNION"));
    le.push_back(pair[0]);
    re.push_back(pair[1]);
    cols.push_back({l->columns[lv[i]].name, pair[0]->type, "", false});
  }
  auto u = std::make_shared<plan_node>();
  u->kind = plan_kind::union_all;
  u->columns = cols;
  u->inputs = {make_project(l, le, cols), make_project(r, re, cols)};
  plan_ptr out = u;
  if (!all) {
    auto d = std::make_shared<plan_node>();
    d->kind = plan_kind::aggregate;
    d->columns = cols;
    for (size_t i = 0; i < cols.size(); ++i) d->group_keys.push_back(static_cast<int>(i));
    d->inputs = {out};
    out = d;
  }
  if (s.contains("sortClause") || s.contains("limitCount") || s.contains("limitOffset")) {
    // ORDER BY / LIMIT of the union: bind them over its output.
    json outer = {{"targetList", json::array()}, {"op", "SETOP_NONE"}};
    (void)outer;
    auto sorted = std::make_shared<plan_node>();
    sorted->kind = opt_.streaming ? plan_kind::row_number : plan_kind::sort;
    sorted->columns = out->columns;
    sorted->inputs = {out};
    sorted->with_rank = false;
    expr_ctx ctx;
    ctx.cols = &out->columns;
    ctx.clause = "ORDER BY";
    if (s.contains("sortClause"))
      for (const auto& o : s["sortClause"]) {
        const json& sb = o["SortBy"];
        int col = -1;
        if (sb["node"].contains("A_Const") && sb["node"]["A_Const"].contains("ival")) {
          col = static_cast<int>(sb["node"]["A_Const"]["ival"].value("ival", 0)) - 1;
          if (col < 0 || col >= static_cast<int>(cols.size()))
            return make_error(errc::invalid_parameter, location_of(sb["node"]),
                              "ORDER BY position {} is not in select list", col + 1);
        } else {
          BOOST_OUTCOME_TRY(auto e, expression(sb["node"], ctx));
          if (e->kind != expr_kind::column)
            return make_error(errc::feature_not_supported, e->location,
                              "ORDER BY on a UNION must name output columns");
          col = e->column;
        }
        sort_key k;
        k.column = col;
        k.desc = sb.value("sortby_dir", "") == "SORTBY_DESC";
        std::string nulls = sb.value("sortby_nulls", "SORTBY_NULLS_DEFAULT");
        k.nulls_first =
            nulls == "SORTBY_NULLS_FIRST" || (nulls == "SORTBY_NULLS_DEFAULT" && k.desc);
        sorted->order.push_back(k);
      }
    auto constant_int = [&](const json& n, const char* what) -> result<int64_t> {
      expr_ctx c;
      c.clause = what;
      BOOST_OUTCOME_TRY(auto e, expression(n, c));
      BOOST_OUTCOME_TRY(e, coerce(e, type_id::int64, e->location));
      arena a;
      BOOST_OUTCOME_TRY(auto d, fold(*e, a, opt_.now));
      return d.is_null() ? int64_t{-1} : d.as_int();
    };
    if (s.contains("limitCount")) {
      BOOST_OUTCOME_TRY(sorted->limit, constant_int(s["limitCount"], "LIMIT"));
    }
    if (s.contains("limitOffset")) {
      BOOST_OUTCOME_TRY(sorted->skip, constant_int(s["limitOffset"], "OFFSET"));
    }
    if (opt_.streaming && sorted->limit < 0) return out;  // a view has no order
    out = sorted;
  }
  return out;
}

result<plan_ptr> binder::select(const json& s) {
  if (s.contains("intoClause"))
    return make_error(errc::feature_not_supported, -1, "SELECT INTO is not supported");
  if (s.contains("lockingClause"))
    return make_error(errc::feature_not_supported, -1, "FOR UPDATE/SHARE is not supported");
  if (s.contains("windowClause"))
    return make_error(errc::feature_not_supported, -1, "named WINDOW clauses are not supported");
  value_subs_scope subs(value_subs_);
  BOOST_OUTCOME_TRY(plan_ptr input, from_list(s.contains("fromClause") ? s["fromClause"] : json()));
  // WHERE
  json where_rest;
  if (s.contains("whereClause")) {
    BOOST_OUTCOME_TRY(input, where_subqueries(input, s["whereClause"], where_rest));
  }
  if (!where_rest.is_null()) {
    BOOST_OUTCOME_TRY(input, value_subqueries(input, where_rest));
  }
  BOOST_OUTCOME_TRY(input, value_subqueries(input, s["targetList"]));
  if (!where_rest.is_null()) {
    expr_ctx ctx;
    ctx.cols = &input->columns;
    ctx.clause = "WHERE";
    BOOST_OUTCOME_TRY(auto w, expression(where_rest, ctx));
    auto r = coerce(w, type_id::boolean, w->location);
    if (!r)
      return make_error(errc::datatype_mismatch, w->location,
                        "argument of WHERE must be type boolean, not type {}", type_name(w->type));
    input = make_filter(input, r.value());
  }
  // SELECT list, with aggregates and window functions collected.
  std::vector<pending_agg> aggs;
  std::vector<pending_window> windows;
  std::vector<target> targets;
  {
    expr_ctx ctx;
    ctx.cols = &input->columns;
    ctx.aggs = &aggs;
    ctx.windows = &windows;
    ctx.clause = "the select list";
    for (const auto& t : s["targetList"]) {
      const json& rt = t["ResTarget"];
      const json& val = rt["val"];
      int loc = rt.value("location", -1);
      // * and t.*
      if (val.contains("ColumnRef") && !val["ColumnRef"]["fields"].empty() &&
          val["ColumnRef"]["fields"].back().contains("A_Star")) {
        const auto& fields = val["ColumnRef"]["fields"];
        std::string q = fields.size() > 1 ? str_of(fields[fields.size() - 2]) : "";
        bool any = false;
        for (size_t i = 0; i < input->columns.size(); ++i) {
          const auto& c = input->columns[i];
          if (c.hidden || (!q.empty() && c.qualifier != q)) continue;
          if (opt_.column_uses && c.origin != 0)
            opt_.column_uses->push_back({loc, c.origin, c.origin_column, true});
          targets.push_back({make_column(static_cast<int>(i), c.type, loc), c.name, loc});
          any = true;
        }
        if (!any && !q.empty())
          return make_error(errc::undefined_table, loc,
                            "missing FROM-clause entry for table \"{}\"", q);
        if (!any && q.empty() && !input->columns.empty() && s.contains("fromClause")) continue;
        if (!any && !s.contains("fromClause"))
          return make_error(errc::syntax_error, loc,
                            "SELECT * with no tables specified is not valid");
        continue;
      }
      BOOST_OUTCOME_TRY(auto e, expression(val, ctx));
      if (e->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(e, make_cast(e, type_id::text, loc));
      }
      targets.push_back(
          {e, rt.contains("name") ? rt["name"].get<std::string>() : figure_colname(val), loc});
    }
  }
  std::vector<plan_column> input_cols = input->columns;
  bool grouping = !aggs.empty() || s.contains("groupClause") || s.contains("havingClause");
  // ORDER BY items: output names, positions, or expressions over the input.
  struct order_item {
    expr_ptr e;       // over the input (before grouping) unless `target` >= 0
    int target = -1;  // an output column
    sort_key key;
  };
  std::vector<order_item> order;
  if (s.contains("sortClause")) {
    expr_ctx ctx;
    ctx.cols = &input->columns;
    ctx.aggs = &aggs;
    ctx.clause = "ORDER BY";
    for (const auto& o : s["sortClause"]) {
      const json& sb = o["SortBy"];
      order_item it;
      it.key.desc = sb.value("sortby_dir", "") == "SORTBY_DESC";
      std::string nulls = sb.value("sortby_nulls", "SORTBY_NULLS_DEFAULT");
      it.key.nulls_first =
          nulls == "SORTBY_NULLS_FIRST" || (nulls == "SORTBY_NULLS_DEFAULT" && it.key.desc);
      const json& node = sb["node"];
      if (node.contains("A_Const") && node["A_Const"].contains("ival")) {
        int64_t pos = node["A_Const"]["ival"].value("ival", int64_t{0});
        if (pos < 1 || pos > static_cast<int64_t>(targets.size()))
          return make_error(errc::invalid_parameter, location_of(node),
                            "ORDER BY position {} is not in select list", pos);
        it.target = static_cast<int>(pos - 1);
      } else if (node.contains("ColumnRef") && node["ColumnRef"]["fields"].size() == 1) {
        std::string n = str_of(node["ColumnRef"]["fields"][0]);
        int found = -1;
        for (size_t i = 0; i < targets.size(); ++i)
          if (targets[i].name == n) {
            if (found >= 0 && !same_expr(*targets[static_cast<size_t>(found)].e, *targets[i].e))
              return make_error(errc::ambiguous_column, location_of(node),
                                "ORDER BY \"{}\" is ambiguous", n);
            found = static_cast<int>(i);
          }
        if (found >= 0) {
          it.target = found;
        } else {
          BOOST_OUTCOME_TRY(it.e, expression(node, ctx));
        }
      } else {
        BOOST_OUTCOME_TRY(it.e, expression(node, ctx));
      }
      order.push_back(it);
    }
  }
  expr_ptr having;
  if (s.contains("havingClause")) {
    expr_ctx ctx;
    ctx.cols = &input->columns;
    ctx.aggs = &aggs;
    ctx.clause = "HAVING";
    BOOST_OUTCOME_TRY(having, expression(s["havingClause"], ctx));
    auto r = coerce(having, type_id::boolean, having->location);
    if (!r)
      return make_error(errc::datatype_mismatch, having->location,
                        "argument of HAVING must be type boolean, not type {}",
                        type_name(having->type));
    having = r.value();
  }
  plan_ptr current = input;
  // After grouping, expressions refer to [keys..., aggregates...].
  std::vector<plan_column> scope_cols = input->columns;
  if (grouping) {
    // GROUP BY expressions: input expressions, output positions or output names.
    std::vector<expr_ptr> keys;
    if (s.contains("groupClause")) {
      expr_ctx ctx;
      ctx.cols = &input->columns;
      ctx.clause = "GROUP BY";
      for (const auto& g : s["groupClause"]) {
        if (g.contains("GroupingSet"))
          return make_error(errc::feature_not_supported, location_of(g),
                            "GROUPING SETS, ROLLUP and CUBE are not supported");
        expr_ptr e;
        if (g.contains("A_Const") && g["A_Const"].contains("ival")) {
          int64_t pos = g["A_Const"]["ival"].value("ival", int64_t{0});
          if (pos < 1 || pos > static_cast<int64_t>(targets.size()))
            return make_error(errc::invalid_parameter, location_of(g),
                              "GROUP BY position {} is not in select list", pos);
          e = targets[static_cast<size_t>(pos - 1)].e;
          if (has_marker(*e, agg_marker, window_marker))
            return make_error(errc::grouping_error, location_of(g),
                              "aggregate functions are not allowed in GROUP BY");
        } else {
          auto r = expression(g, ctx);
          if (!r && g.contains("ColumnRef") && g["ColumnRef"]["fields"].size() == 1) {
            // An output column name (PostgreSQL allows this when no input column matches).
            std::string n = str_of(g["ColumnRef"]["fields"][0]);
            for (const auto& t : targets)
              if (t.name == n && !has_marker(*t.e, agg_marker, window_marker + 1000)) e = t.e;
            if (!e) return r.error();
          } else if (!r) {
            return r.error();
          } else {
            e = r.value();
          }
        }
        bool dup = false;
        for (const auto& k : keys) dup |= same_expr(*k, *e);
        if (!dup) keys.push_back(e);
      }
    }
    // The aggregate's input: [keys..., aggregate arguments...].
    std::vector<expr_ptr> pre;
    std::vector<plan_column> pre_cols;
    for (size_t i = 0; i < keys.size(); ++i) {
      pre.push_back(keys[i]);
      std::string name = fmt::format("$key{}", i);
      if (keys[i]->kind == expr_kind::column)
        name = input->columns[static_cast<size_t>(keys[i]->column)].name;
      pre_cols.push_back({name, keys[i]->type, "", false});
    }
    auto agg = std::make_shared<plan_node>();
    agg->kind = plan_kind::aggregate;
    for (size_t i = 0; i < keys.size(); ++i) agg->group_keys.push_back(static_cast<int>(i));
    for (const auto& a : aggs) {
      agg_call c;
      c.func = a.func;
      c.distinct = a.distinct;
      c.separator = a.separator;
      c.type = a.type;
      c.location = a.location;
      if (!a.star) {
        c.arg = static_cast<int>(pre.size());
        c.arg_type = a.args[0]->type;
        pre.push_back(a.args[0]);
        pre_cols.push_back({fmt::format("$arg{}", pre.size()), a.args[0]->type, "", true});
      }
      agg->aggs.push_back(c);
    }
    auto project = make_project(input, pre, pre_cols);
    agg->inputs = {project};
    for (size_t i = 0; i < keys.size(); ++i)
      agg->columns.push_back({pre_cols[i].name, keys[i]->type, "", false});
    for (size_t i = 0; i < aggs.size(); ++i)
      agg->columns.push_back({aggs[i].func, aggs[i].type, "", false});
    // Keys keep their qualifier so that t.k still resolves in HAVING/ORDER BY.
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i]->kind == expr_kind::column)
        agg->columns[i].qualifier = input->columns[static_cast<size_t>(keys[i]->column)].qualifier;
    for (auto& t : targets) {
      BOOST_OUTCOME_TRY(t.e, regroup(t.e, keys, keys.size(), input_cols));
    }
    if (having) {
      BOOST_OUTCOME_TRY(having, regroup(having, keys, keys.size(), input_cols));
    }
    for (auto& o : order)
      if (o.e) {
        BOOST_OUTCOME_TRY(o.e, regroup(o.e, keys, keys.size(), input_cols));
      }
    for (auto& w : windows) {
      for (auto& p : w.partition) {
        BOOST_OUTCOME_TRY(p, regroup(p, keys, keys.size(), input_cols));
      }
      for (auto& o : w.order) {
        BOOST_OUTCOME_TRY(o.first, regroup(o.first, keys, keys.size(), input_cols));
      }
    }
    current = agg;
    scope_cols = agg->columns;
    if (having) current = make_filter(current, having);
  } else if (having) {
    return make_error(errc::grouping_error, having->location,
                      "HAVING needs GROUP BY or an aggregate");
  }
  // Window functions: one ranking node per function over the (grouped)
  // rows, stacked: each adds its rank as a column (the ones below keep
  // theirs), so they may have different PARTITION BY and ORDER BY. A rank
  // limit on the last one makes it a Top-N (rewrite.cc).
  if (!windows.empty()) {
    std::vector<expr_ptr> exprs;
    std::vector<plan_column> cols;
    for (size_t i = 0; i < scope_cols.size(); ++i) {
      exprs.push_back(make_column(static_cast<int>(i), scope_cols[i].type));
      cols.push_back(scope_cols[i]);
    }
    auto add = [&](expr_ptr e) -> int {
      for (size_t i = scope_cols.size(); i < exprs.size(); ++i)
        if (same_expr(*exprs[i], *e)) return static_cast<int>(i);
      exprs.push_back(e);
      cols.push_back({fmt::format("$w{}", cols.size()), e->type, "", true});
      return static_cast<int>(exprs.size() - 1);
    };
    std::vector<std::vector<int>> partitions(windows.size());
    std::vector<std::vector<sort_key>> orders(windows.size());
    for (size_t i = 0; i < windows.size(); ++i) {
      for (auto& p : windows[i].partition) partitions[i].push_back(add(p));
      for (auto& [e, k] : windows[i].order) {
        sort_key key = k;
        key.column = add(e);
        orders[i].push_back(key);
      }
    }
    current = make_project(current, exprs, cols);
    std::vector<int> rank_columns;
    for (size_t i = 0; i < windows.size(); ++i) {
      auto& w = windows[i];
      auto rn = std::make_shared<plan_node>();
      rn->kind = plan_kind::row_number;
      rn->ranking = w.func == "rank"         ? rank_kind::rank
                    : w.func == "dense_rank" ? rank_kind::dense_rank
                                             : rank_kind::row_number;
      rn->partition = partitions[i];
      rn->order = orders[i];
      rn->inputs = {current};
      rn->columns = current->columns;
      rn->columns.push_back({w.func, type_id::int64, "", true});
      rank_columns.push_back(static_cast<int>(rn->columns.size() - 1));
      current = rn;
    }
    scope_cols = current->columns;
    for (auto& t : targets) t.e = replace_window(t.e, rank_columns);
    for (auto& o : order)
      if (o.e) o.e = replace_window(o.e, rank_columns);
  }
  // The projection: targets, then hidden ORDER BY expressions.
  std::vector<expr_ptr> exprs;
  std::vector<plan_column> cols;
  for (const auto& t : targets) {
    exprs.push_back(t.e);
    cols.push_back({t.name, t.e->type, "", false});
  }
  // Qualifiers survive plain column projections (so outer queries can say t.x).
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].e->kind == expr_kind::column &&
        static_cast<size_t>(targets[i].e->column) < scope_cols.size())
      cols[i].qualifier = scope_cols[static_cast<size_t>(targets[i].e->column)].qualifier;
  bool distinct = s.contains("distinctClause");
  if (distinct && !s["distinctClause"].empty() && !s["distinctClause"][0].is_null() &&
      !s["distinctClause"][0].empty())
    return make_error(errc::feature_not_supported, -1, "DISTINCT ON is not supported");
  std::vector<sort_key> keys;
  for (auto& o : order) {
    sort_key k = o.key;
    if (o.target >= 0) {
      k.column = o.target;
    } else {
      int found = -1;
      for (size_t i = 0; i < exprs.size(); ++i)
        if (same_expr(*exprs[i], *o.e)) found = static_cast<int>(i);
      if (found < 0) {
        if (distinct)
          return make_error(errc::invalid_parameter, o.e->location,
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
        exprs.push_back(o.e);
        cols.push_back({fmt::format("$order{}", exprs.size()), o.e->type, "", true});
        found = static_cast<int>(exprs.size() - 1);
      }
      k.column = found;
    }
    keys.push_back(k);
  }
  current = make_project(current, exprs, cols);
  if (distinct) {
    auto d = std::make_shared<plan_node>();
    d->kind = plan_kind::aggregate;
    d->columns = current->columns;
    for (size_t i = 0; i < d->columns.size(); ++i) d->group_keys.push_back(static_cast<int>(i));
    d->inputs = {current};
    current = d;
  }
  // ORDER BY / LIMIT / OFFSET.
  int64_t limit = -1, skip = 0;
  auto constant_int = [&](const json& n, const char* what) -> result<int64_t> {
    expr_ctx c;
    c.clause = what;
    BOOST_OUTCOME_TRY(auto e, expression(n, c));
    if (e->kind == expr_kind::constant && e->value.is_null()) return int64_t{-1};
    BOOST_OUTCOME_TRY(e, coerce(e, type_id::int64, e->location));
    if (!is_constant_expr(*e))
      return make_error(errc::invalid_parameter, e->location, "{} must be a constant", what);
    arena a;
    BOOST_OUTCOME_TRY(auto d, fold(*e, a, opt_.now));
    if (!d.is_null() && d.as_int() < 0)
      return make_error(errc::invalid_parameter, e->location, "{} must not be negative", what);
    return d.is_null() ? int64_t{-1} : d.as_int();
  };
  if (s.contains("limitCount")) {
    BOOST_OUTCOME_TRY(limit, constant_int(s["limitCount"], "LIMIT"));
  }
  if (s.contains("limitOffset")) {
    BOOST_OUTCOME_TRY(skip, constant_int(s["limitOffset"], "OFFSET"));
  }
  if (!keys.empty() || limit >= 0 || skip > 0) {
    if (opt_.streaming) {
      // A view has no order; ORDER BY with LIMIT keeps the first N rows (Top-N).
      if (limit >= 0 || skip > 0) {
        auto t = std::make_shared<plan_node>();
        t->kind = plan_kind::row_number;
        t->columns = current->columns;
        t->inputs = {current};
        t->order = keys;
        if (t->order.empty())
          for (size_t i = 0; i < current->columns.size(); ++i)
            if (!current->columns[i].hidden)
              t->order.push_back({static_cast<int>(i), false, false});
        t->limit = limit;
        t->skip = skip;
        t->with_rank = false;
        current = t;
      }
    } else {
      auto t = std::make_shared<plan_node>();
      t->kind = plan_kind::sort;
      t->columns = current->columns;
      t->inputs = {current};
      t->order = keys;
      t->limit = limit;
      t->skip = skip;
      current = t;
    }
  }
  // Drop hidden helper columns from what the query returns.
  bool any_hidden = false;
  for (const auto& c : current->columns) any_hidden |= c.hidden;
  if (any_hidden) {
    std::vector<expr_ptr> out;
    std::vector<plan_column> out_cols;
    for (size_t i = 0; i < current->columns.size(); ++i) {
      if (current->columns[i].hidden) continue;
      out.push_back(make_column(static_cast<int>(i), current->columns[i].type));
      out_cols.push_back(current->columns[i]);
    }
    current = make_project(current, out, out_cols);
  }
  return current;
}

}  // namespace runnel::sql
