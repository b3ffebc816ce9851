// Binding FROM: relations, views (inlined), CTEs, subqueries, joins, and
// the window table functions TUMBLE and HOP.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "sql/plan/binder_impl.h"
#include "sql/plan/functions.h"
#include "sql/types/datetime.h"

namespace runnel::sql {

namespace {

void qualify(plan_node& n, const std::string& q) {
  for (auto& c : n.columns) c.qualifier = q;
}

// A relation's output under an alias with optional column renames.
result<plan_ptr> apply_alias(plan_ptr p, const json& alias, int location) {
  if (alias.is_null()) return p;
  std::string name = alias.value("aliasname", "");
  auto out = std::make_shared<plan_node>(*p);
  if (!name.empty()) qualify(*out, name);
  if (alias.contains("colnames")) {
    size_t i = 0;
    for (const auto& c : alias["colnames"]) {
      while (i < out->columns.size() && out->columns[i].hidden) ++i;
      if (i >= out->columns.size())
        return make_error(errc::syntax_error, location,
                          "table \"{}\" has {} columns available but more were specified", name,
                          out->columns.size());
      // Referenced by its alias from now on, not by the relation's name for it.
      out->columns[i].origin = 0;
      out->columns[i].origin_column = -1;
      out->columns[i++].name = str_of(c);
    }
  }
  return plan_ptr(out);
}

result<int64_t> constant_micros(const expr_ptr& e, const char* what) {
  if (!is_constant_expr(*e) || e->type.id != type_id::interval)
    return make_error(errc::invalid_parameter, e->location, "{} must be a constant interval", what);
  arena a;
  BOOST_OUTCOME_TRY(auto d, fold(*e, a, 0));
  if (d.is_null())
    return make_error(errc::invalid_parameter, e->location, "{} must not be NULL", what);
  auto iv = d.as_interval();
  if (iv.months != 0)
    return make_error(errc::invalid_parameter, e->location, "{} cannot have months or years", what);
  int64_t us = iv.days * usecs_per_day + iv.micros;
  return us;
}

// DESCRIPTOR(col) (Flink's spelling of a window's time column): col.
const json& descriptor_arg(const json& a) {
  if (a.contains("FuncCall")) {
    const json& fc = a["FuncCall"];
    if (str_of(fc["funcname"].back()) == "descriptor" && fc.contains("args") &&
        fc["args"].size() == 1)
      return fc["args"][0];
  }
  return a;
}

bool is_descriptor(const json& a) {
  return a.contains("FuncCall") && str_of(a["FuncCall"]["funcname"].back()) == "descriptor";
}

}  // namespace

plan_ptr make_project(plan_ptr input, std::vector<expr_ptr> exprs, std::vector<plan_column> cols) {
  auto p = std::make_shared<plan_node>();
  p->kind = plan_kind::project;
  p->inputs = {std::move(input)};
  p->exprs = std::move(exprs);
  p->columns = std::move(cols);
  return p;
}

plan_ptr make_filter(plan_ptr input, expr_ptr predicate) {
  auto p = std::make_shared<plan_node>();
  p->kind = plan_kind::filter;
  p->columns = input->columns;
  p->inputs = {std::move(input)};
  p->predicate = std::move(predicate);
  return p;
}

void conjuncts(const expr_ptr& e, std::vector<expr_ptr>& out) {
  if (e->kind == expr_kind::and_) {
    for (const auto& a : e->args) conjuncts(a, out);
    return;
  }
  out.push_back(e);
}

expr_ptr conjunction(const std::vector<expr_ptr>& parts) {
  if (parts.empty()) return make_bool(true);
  if (parts.size() == 1) return parts[0];
  auto e = std::make_shared<expr>();
  e->kind = expr_kind::and_;
  e->type = type_id::boolean;
  e->args = parts;
  return e;
}

result<plan_ptr> binder::from_list(const json& from) {
  if (from.is_null() || from.empty()) {
    // SELECT without FROM: one row of no columns.
    auto p = std::make_shared<plan_node>();
    p->kind = plan_kind::values;
    p->rows.emplace_back();
    return plan_ptr(p);
  }
  plan_ptr acc;
  for (const auto& item : from) {
    BOOST_OUTCOME_TRY(auto p, from_item(item));
    if (!acc) {
      acc = p;
      continue;
    }
    // A comma is a cross join; WHERE equalities become its keys (rewrite.cc).
    auto j = std::make_shared<plan_node>();
    j->kind = plan_kind::join;
    j->join = join_type::inner;
    j->columns = acc->columns;
    j->columns.insert(j->columns.end(), p->columns.begin(), p->columns.end());
    j->inputs = {acc, p};
    acc = j;
  }
  return acc;
}

result<plan_ptr> binder::from_item(const json& item) {
  const std::string& k = item.begin().key();
  const json& v = item.begin().value();
  if (k == "RangeVar") return range_var(v);
  if (k == "JoinExpr") return join(v);
  if (k == "RangeFunction") return range_function(v);
  if (k == "RangeSubselect") {
    if (v.value("lateral", false))
      return make_error(errc::feature_not_supported, -1, "LATERAL is not supported");
    BOOST_OUTCOME_TRY(auto p, query(v["subquery"]));
    return apply_alias(p, v.contains("alias") ? v["alias"] : json(), -1);
  }
  return make_error(errc::feature_not_supported, location_of(item), "{} in FROM is not supported",
                    k);
}

result<plan_ptr> binder::range_var(const json& rv) {
  std::string name = rv.value("relname", "");
  std::string schema = rv.value("schemaname", "");
  int loc = rv.value("location", -1);
  std::string alias = rv.contains("alias") ? rv["alias"].value("aliasname", name) : name;
  // CTEs first (innermost scope wins), unless schema-qualified.
  if (schema.empty()) {
    for (auto it = ctes_.rbegin(); it != ctes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) {
        auto p = std::make_shared<plan_node>(*f->second);
        qualify(*p, alias);
        return apply_alias(plan_ptr(p), rv.contains("alias") ? rv["alias"] : json(), loc);
      }
    }
  }
  const relation_info* r = nullptr;
  if (schema == "pg_catalog" || schema == "information_schema") {
    r = opt_.catalog ? opt_.catalog->system_table(schema, name) : nullptr;
  } else if (!schema.empty() && schema != "public") {
    return make_error(errc::undefined_table, loc, "relation \"{}.{}\" does not exist", schema,
                      name);
  } else {
    if (opt_.resolved) {
      auto f = opt_.resolved->find(name);
      if (f != opt_.resolved->end() && opt_.catalog) r = opt_.catalog->by_id(f->second);
    }
    if (!r && opt_.catalog) r = opt_.catalog->system_table("pg_catalog", name);
    if (!r && opt_.catalog) r = opt_.catalog->find(name);
  }
  if (!r) return make_error(errc::undefined_table, loc, "relation \"{}\" does not exist", name);
  if (r->kind != relation_kind::system) deps[name] = r->id;
  if (r->kind == relation_kind::sink)
    return make_error(errc::wrong_object_type, loc, "\"{}\" is a sink: sinks cannot be queried",
                      name);
  if (r->kind == relation_kind::view) return bind_view(*r, alias, loc);
  auto p = std::make_shared<plan_node>();
  p->kind = plan_kind::scan;
  p->relation = r;
  p->columns = r->columns;
  for (size_t i = 0; i < p->columns.size(); ++i) {
    p->columns[i].origin = r->id;
    p->columns[i].origin_column = static_cast<int>(i);
  }
  qualify(*p, alias);
  if (rv.contains("alias") && rv["alias"].contains("colnames"))
    return apply_alias(plan_ptr(p), rv["alias"], loc);
  return plan_ptr(p);
}

result<plan_ptr> binder::bind_view(const relation_info& r, const std::string& alias, int location) {
  if (!r.query) return make_error(errc::internal, location, "view \"{}\" has no query", r.name);
  bind_options o = opt_;
  o.resolved = &r.deps;
  o.column_uses = nullptr;  // the view's text, not the query's
  o.temporal_joins = r.temporal_joins;
  o.params = nullptr;
  binder inner(o);
  auto p = inner.query(*r.query);
  if (!p) {
    auto e = p.error();
    e.message = fmt::format("in view \"{}\": {}", r.name, e.message);
    e.position = location;
    return e;
  }
  auto out = std::make_shared<plan_node>(*p.value());
  // The view's own column names (CREATE VIEW v (a, b)) are in its columns.
  for (size_t i = 0, j = 0; i < out->columns.size(); ++i) {
    if (out->columns[i].hidden) continue;
    out->columns[i].origin = 0;
    out->columns[i].origin_column = -1;
    if (j < r.columns.size()) {
      out->columns[i].origin = r.id;
      out->columns[i].origin_column = static_cast<int>(j);
      out->columns[i].name = r.columns[j++].name;
    }
  }
  qualify(*out, alias);
  return plan_ptr(out);
}

result<plan_ptr> binder::range_function(const json& rf) {
  const json& fns = rf["functions"];
  if (fns.size() != 1)
    return make_error(errc::feature_not_supported, -1, "ROWS FROM is not supported");
  const json& call = fns[0]["List"]["items"][0];
  if (!call.contains("FuncCall"))
    return make_error(errc::feature_not_supported, -1, "only functions in FROM");
  const json& fc = call["FuncCall"];
  std::string name = str_of(fc["funcname"].back());
  int loc = fc.value("location", -1);
  if (name == "tumble" || name == "hop")
    return window_tvf(fc, rf.contains("alias") ? rf["alias"] : json(), loc);
  if (name == "session") return session_tvf(fc, rf.contains("alias") ? rf["alias"] : json(), loc);
  if (name == "generate_series") {
    BOOST_OUTCOME_TRY(auto p, generate_series(fc, loc));
    json alias = rf.contains("alias") ? rf["alias"] : json();
    // A function of one column under an alias without column names: the
    // column takes the alias's name, as PostgreSQL names it.
    if (alias.is_object() && !alias.contains("colnames") && alias.contains("aliasname"))
      alias["colnames"] = json::array({json{{"String", {{"sval", alias["aliasname"]}}}}});
    return apply_alias(p, alias, loc);
  }
  return make_error(errc::feature_not_supported, loc, "function {} in FROM is not supported", name);
}

// generate_series(start, stop [, step]) as PostgreSQL types it: integer for
// integer (and smallint) arguments, bigint when one is bigint; and
// (timestamp[tz], timestamp[tz], interval) of timestamps, timestamptz when
// the bounds are literals (PostgreSQL's preferred type). Constant
// arguments only: the rows are a VALUES list.
result<plan_ptr> binder::generate_series(const json& fc, int loc) {
  const std::string name = "generate_series";
  expr_ctx ctx;
  ctx.clause = "FROM";
  BOOST_OUTCOME_TRY(auto args, list(fc["args"], ctx));
  if (args.size() < 2 || args.size() > 3) return no_function(name, args, loc);
  auto is_time = [](type_id t) { return t == type_id::timestamp || t == type_id::timestamptz; };
  bool times = args.size() == 3 && args[2]->type.id == type_id::interval &&
               (is_time(args[0]->type.id) || is_time(args[1]->type.id) ||
                (args[0]->type.id == type_id::unknown && args[1]->type.id == type_id::unknown));
  type_id out = type_id::int32;
  if (times) {
    out = args[0]->type.id == type_id::timestamp && args[1]->type.id != type_id::timestamptz
              ? type_id::timestamp
          : args[1]->type.id == type_id::timestamp && args[0]->type.id == type_id::unknown
              ? type_id::timestamp
              : type_id::timestamptz;
  } else {
    for (const auto& a : args) {
      type_id t = a->type.id;
      if (t == type_id::int64)
        out = type_id::int64;
      else if (t != type_id::int32 && t != type_id::int16 && t != type_id::unknown)
        return no_function(name, args, loc);
    }
  }
  std::vector<datum> v;
  for (size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    BOOST_OUTCOME_TRY(
        a, coerce(a, times && i == 2 ? sql_type(type_id::interval) : sql_type(out), loc));
    if (!is_constant_expr(*a))
      return make_error(errc::feature_not_supported, loc,
                        "generate_series needs constant arguments");
    arena ar;
    BOOST_OUTCOME_TRY(auto d, fold(*a, ar, opt_.now));
    v.push_back(d);
  }
  auto p = std::make_shared<plan_node>();
  p->kind = plan_kind::values;
  p->columns.push_back({"generate_series", out, "generate_series", false});
  for (const auto& d : v)  // strict: NULL in, no rows out
    if (d.is_null()) return plan_ptr(p);
  auto add_row = [&](datum d) -> result<void> {
    if (p->rows.size() >= 10'000'000)
      return make_error(errc::invalid_parameter, loc, "generate_series: more than 10000000 rows");
    p->rows.push_back({make_constant(out, d)});
    return outcome::success();
  };
  if (times) {
    const interval step = v[2].as_interval();
    if (dt::interval_key(step) == 0)
      return make_error(errc::invalid_parameter, loc, "step size cannot equal zero");
    const bool up = dt::interval_key(step) > 0;
    const int64_t stop = v[1].as_int();
    for (std::optional<int64_t> x = v[0].as_int(); x && (up ? *x <= stop : *x >= stop);
         x = dt::add_interval(*x, step)) {
      BOOST_OUTCOME_TRY(add_row(datum::of_int(*x)));
    }
    return plan_ptr(p);
  }
  const int64_t start = v[0].as_int(), stop = v[1].as_int(),
                step = v.size() > 2 ? v[2].as_int() : 1;
  if (step == 0) return make_error(errc::invalid_parameter, loc, "step size cannot equal zero");
  const int64_t lo = out == type_id::int32 ? std::numeric_limits<int32_t>::min()
                                           : std::numeric_limits<int64_t>::min();
  const int64_t hi = out == type_id::int32 ? std::numeric_limits<int32_t>::max()
                                           : std::numeric_limits<int64_t>::max();
  for (int64_t x = start; step > 0 ? x <= stop : x >= stop;) {
    BOOST_OUTCOME_TRY(add_row(datum::of_int(x)));
    // Past the type's range the series ends, as PostgreSQL's does.
    int64_t next = 0;
    if (__builtin_add_overflow(x, step, &next) || next < lo || next > hi) break;
    x = next;
  }
  return plan_ptr(p);
}

result<plan_ptr> binder::window_tvf(const json& fc, const json& alias, int loc) {
  std::string name = str_of(fc["funcname"].back());
  const json& args = fc["args"];
  size_t want = name == "tumble" ? 3 : 4;
  if (args.size() != want && args.size() != want + 1)
    return make_error(
        errc::undefined_function, loc, "{}",
        name == "tumble"
            ? "TUMBLE(relation, time_column, size [, offset]) takes 3 or 4 arguments"
            : "HOP(relation, time_column, slide, size [, offset]) takes 4 or 5 arguments");
  // The first argument names a relation (or CTE).
  if (!args[0].contains("ColumnRef"))
    return make_error(errc::syntax_error, location_of(args[0]),
                      "{}: the first argument must name a relation", name);
  json rv = {{"relname", str_of(args[0]["ColumnRef"]["fields"].back())},
             {"location", location_of(args[0])}};
  BOOST_OUTCOME_TRY(auto input, range_var(rv));
  expr_ctx ctx;
  ctx.cols = &input->columns;
  ctx.clause = "a window function's arguments";
  BOOST_OUTCOME_TRY(auto time, expression(descriptor_arg(args[1]), ctx));
  if (time->kind != expr_kind::column)
    return make_error(errc::invalid_parameter, time->location,
                      "{}: the time argument must be a column", name);
  if (time->type.id != type_id::timestamp && time->type.id != type_id::timestamptz)
    return make_error(errc::datatype_mismatch, time->location,
                      "{}: the time column must be a timestamp or timestamptz, not {}", name,
                      type_name(time->type));
  std::vector<int64_t> sizes;
  for (size_t i = 2; i < args.size(); ++i) {
    BOOST_OUTCOME_TRY(auto e, expression(args[i], ctx));
    if (e->type.id == type_id::unknown) {
      BOOST_OUTCOME_TRY(e, make_cast(e, type_id::interval, e->location));
    }
    BOOST_OUTCOME_TRY(auto us, constant_micros(e, i + 1 == args.size() && args.size() > want
                                                      ? "the window offset"
                                                      : "the window size"));
    sizes.push_back(us);
  }
  auto p = std::make_shared<plan_node>();
  p->kind = plan_kind::window;
  p->window = name == "tumble" ? window_kind::tumble : window_kind::hop;
  p->time_column = time->column;
  if (name == "tumble") {
    p->size = p->slide = sizes[0];
    p->offset = sizes.size() > 1 ? sizes[1] : 0;
  } else {
    p->slide = sizes[0];
    p->size = sizes[1];
    p->offset = sizes.size() > 2 ? sizes[2] : 0;
  }
  if (p->size <= 0 || p->slide <= 0)
    return make_error(errc::invalid_parameter, loc, "{}: window sizes must be positive", name);
  if (p->window == window_kind::hop && p->size % p->slide != 0)
    return make_error(errc::invalid_parameter, loc,
                      "HOP: the window size must be a multiple of the slide");
  p->inputs = {input};
  p->columns = input->columns;
  std::string q = alias.is_null() ? (input->columns.empty() ? name : input->columns[0].qualifier)
                                  : alias.value("aliasname", name);
  sql_type tt = time->type;
  p->columns.push_back({"window_start", tt, q, false});
  p->columns.push_back({"window_end", tt, q, false});
  for (auto& c : p->columns) c.qualifier = q;
  return plan_ptr(p);
}

// SESSION(TABLE t [PARTITION BY k, ...], DESCRIPTOR(ts), gap): the
// pre-pass turned PARTITION BY into a comma, so the arguments are the
// relation, the partition keys, DESCRIPTOR(ts) and the gap.
result<plan_ptr> binder::session_tvf(const json& fc, const json& alias, int loc) {
  const json& args = fc.contains("args") ? fc["args"] : json::array();
  size_t d = 0;
  while (d < args.size() && !is_descriptor(args[d])) ++d;
  if (args.size() < 3 || d == 0 || d + 2 != args.size())
    return make_error(errc::undefined_function, loc, "{}",
                      "SESSION(TABLE relation [PARTITION BY column, ...], DESCRIPTOR(time_column), "
                      "gap) takes a relation, partition columns, a time column and a gap");
  if (!args[0].contains("ColumnRef"))
    return make_error(errc::syntax_error, location_of(args[0]),
                      "SESSION: the first argument must name a relation");
  json rv = {{"relname", str_of(args[0]["ColumnRef"]["fields"].back())},
             {"location", location_of(args[0])}};
  BOOST_OUTCOME_TRY(auto input, range_var(rv));
  expr_ctx ctx;
  ctx.cols = &input->columns;
  ctx.clause = "a window function's arguments";
  auto p = std::make_shared<plan_node>();
  for (size_t i = 1; i < d; ++i) {
    BOOST_OUTCOME_TRY(auto k, expression(args[i], ctx));
    if (k->kind != expr_kind::column)
      return make_error(errc::invalid_parameter, k->location,
                        "SESSION: PARTITION BY takes columns of the relation");
    p->partition.push_back(k->column);
  }
  const json& darg = args[d]["FuncCall"];
  if (!darg.contains("args") || darg["args"].size() != 1)
    return make_error(errc::syntax_error, location_of(args[d]), "DESCRIPTOR takes one time column");
  BOOST_OUTCOME_TRY(auto time, expression(darg["args"][0], ctx));
  if (time->kind != expr_kind::column)
    return make_error(errc::invalid_parameter, time->location,
                      "SESSION: the time argument must be a column");
  if (time->type.id != type_id::timestamp && time->type.id != type_id::timestamptz)
    return make_error(errc::datatype_mismatch, time->location,
                      "SESSION: the time column must be a timestamp or timestamptz, not {}",
                      type_name(time->type));
  BOOST_OUTCOME_TRY(auto g, expression(args[d + 1], ctx));
  if (g->type.id == type_id::unknown) {
    BOOST_OUTCOME_TRY(g, make_cast(g, type_id::interval, g->location));
  }
  BOOST_OUTCOME_TRY(auto gap, constant_micros(g, "the session gap"));
  if (gap <= 0)
    return make_error(errc::invalid_parameter, g->location, "SESSION: the gap must be positive");
  p->kind = plan_kind::window;
  p->window = window_kind::session;
  p->time_column = time->column;
  p->size = gap;
  p->inputs = {input};
  p->columns = input->columns;
  std::string q = alias.is_null()
                      ? (input->columns.empty() ? "session" : input->columns[0].qualifier)
                      : alias.value("aliasname", "session");
  sql_type tt = time->type;
  p->columns.push_back({"window_start", tt, q, false});
  p->columns.push_back({"window_end", tt, q, false});
  for (auto& c : p->columns) c.qualifier = q;
  return plan_ptr(p);
}

result<plan_ptr> binder::join(const json& j) {
  std::string jt = j.value("jointype", "JOIN_INNER");
  if (j.value("isNatural", false))
    return make_error(errc::feature_not_supported, -1,
                      "NATURAL JOIN is not supported; use USING or ON");
  BOOST_OUTCOME_TRY(auto left, from_item(j["larg"]));
  BOOST_OUTCOME_TRY(auto right, from_item(j["rarg"]));
  bool swapped = false;
  if (jt == "JOIN_RIGHT") {
    std::swap(left, right);
    swapped = true;
  }
  auto n = std::make_shared<plan_node>();
  n->kind = plan_kind::join;
  n->join = (jt == "JOIN_LEFT" || jt == "JOIN_RIGHT") ? join_type::left
            : jt == "JOIN_FULL"                       ? join_type::full
                                                      : join_type::inner;
  if (jt != "JOIN_INNER" && jt != "JOIN_LEFT" && jt != "JOIN_RIGHT" && jt != "JOIN_FULL")
    return make_error(errc::feature_not_supported, -1, "{} is not supported", jt);
  // FOR SYSTEM_TIME AS OF PROCTIME() on the right relation.
  if (j["rarg"].contains("RangeVar")) {
    int rloc = j["rarg"]["RangeVar"].value("location", -1);
    n->temporal =
        std::find(temporal_owners_.begin(), temporal_owners_.end(), rloc) != temporal_owners_.end();
  }
  n->inputs = {left, right};
  n->columns = left->columns;
  n->columns.insert(n->columns.end(), right->columns.begin(), right->columns.end());
  size_t nl = left->columns.size();
  std::vector<expr_ptr> conds;
  if (j.contains("usingClause")) {
    for (const auto& u : j["usingClause"]) {
      std::string col = str_of(u);
      int li = -1, ri = -1;
      for (size_t i = 0; i < nl; ++i)
        if (!left->columns[i].hidden && left->columns[i].name == col) li = static_cast<int>(i);
      for (size_t i = 0; i < right->columns.size(); ++i)
        if (!right->columns[i].hidden && right->columns[i].name == col) ri = static_cast<int>(i);
      if (li < 0 || ri < 0)
        return make_error(errc::undefined_column, -1,
                          "column \"{}\" specified in USING clause does not exist in {} table", col,
                          li < 0 ? "left" : "right");
      BOOST_OUTCOME_TRY(auto eq,
                        make_call("=",
                                  {make_column(li, left->columns[li].type),
                                   make_column(static_cast<int>(nl) + ri, right->columns[ri].type)},
                                  -1));
      conds.push_back(eq);
      // One copy of a USING column: the other is hidden from * and names.
      n->columns[nl + static_cast<size_t>(ri)].hidden = true;
    }
  }
  if (j.contains("quals")) {
    expr_ctx ctx;
    ctx.cols = &n->columns;
    ctx.clause = "JOIN conditions";
    BOOST_OUTCOME_TRY(auto q, expression(j["quals"], ctx));
    auto r = coerce(q, type_id::boolean, q->location);
    if (!r)
      return make_error(errc::datatype_mismatch, q->location,
                        "argument of JOIN/ON must be type boolean, not type {}",
                        type_name(q->type));
    conds.push_back(r.value());
  }
  if (!conds.empty()) n->predicate = conjunction(conds);
  plan_ptr out = n;
  if (swapped) {
    // Back to the written column order: right-side (now left) columns last.
    std::vector<expr_ptr> exprs;
    std::vector<plan_column> cols;
    size_t nr = n->columns.size() - nl;
    for (size_t i = 0; i < nr; ++i) {
      exprs.push_back(make_column(static_cast<int>(nl + i), n->columns[nl + i].type));
      cols.push_back(n->columns[nl + i]);
    }
    for (size_t i = 0; i < nl; ++i) {
      exprs.push_back(make_column(static_cast<int>(i), n->columns[i].type));
      cols.push_back(n->columns[i]);
    }
    out = make_project(out, exprs, cols);
  }
  if (j.contains("alias")) return apply_alias(out, j["alias"], -1);
  return out;
}

}  // namespace runnel::sql
