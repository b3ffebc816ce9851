// Subqueries in WHERE: [NOT] EXISTS (subquery) and x [NOT] IN (subquery),
// each a conjunct of WHERE's top-level AND, become joins of the outer rows
// against the DISTINCT of the subquery's correlation keys — operators the
// engine already maintains incrementally (src/sql/README.md, "Subqueries
// in WHERE").
//
//   EXISTS:      outer JOIN distinct(keys) ON keys            (semi-join)
//   NOT EXISTS:  outer LEFT JOIN distinct(keys, true AS m) ON keys
//                WHERE m IS NULL                              (anti-join)
//   x IN:        EXISTS with x = y added to the keys
//   x NOT IN:    PostgreSQL's NULL rules, per correlation group S:
//                no y = x in S, no NULL y in S, and x IS NOT NULL or S
//                empty — three anti-joins.
//
// Correlation: conjuncts of the subquery's WHERE that read the outer query
// must be `inner expression = outer expression`; others are refused.
#include <algorithm>

#include <fmt/format.h>

#include "sql/plan/binder_impl.h"
#include "sql/plan/functions.h"

namespace runnel::sql {

namespace {

bool has_aggregate(const json& n) {
  if (n.is_object()) {
    if (n.contains("FuncCall")) {
      const json& f = n["FuncCall"];
      if (f.contains("funcname") && !f["funcname"].empty()) {
        if (is_aggregate_name(str_of(f["funcname"].back())) && !f.contains("over")) return true;
      }
    }
    if (n.contains("SubLink")) return false;  // its own query
    for (const auto& [k, v] : n.items())
      if (has_aggregate(v)) return true;
  } else if (n.is_array()) {
    for (const auto& v : n)
      if (has_aggregate(v)) return true;
  }
  return false;
}

bool contains_sublink(const json& n) {
  if (n.is_object()) {
    if (n.contains("SubLink")) return true;
    for (const auto& [k, v] : n.items())
      if (contains_sublink(v)) return true;
  } else if (n.is_array()) {
    for (const auto& v : n)
      if (contains_sublink(v)) return true;
  }
  return false;
}

// A scalar subquery's value from its row count and (when one) its value:
// PostgreSQL's 21000 when more than one row.
datum one_row(const datum* a, const expr& self, eval_context& c) {
  if (!a[0].is_null() && a[0].as_int() > 1) {
    c.fail(make_error(errc::cardinality_violation, self.location,
                      "more than one row returned by a subquery used as an expression"));
    return datum::null_value();
  }
  return a[1];
}

// The SubLink of a conjunct `[NOT] EXISTS (…)` / `x [NOT] IN (…)`, or null.
const json* sublink_of(const json& n, bool& negated) {
  negated = false;
  const json* cur = &n;
  if (cur->contains("BoolExpr") && (*cur)["BoolExpr"].value("boolop", "") == "NOT_EXPR" &&
      (*cur)["BoolExpr"]["args"].size() == 1) {
    negated = true;
    cur = &(*cur)["BoolExpr"]["args"][0];
  }
  if (!cur->contains("SubLink")) return nullptr;
  const json& sl = (*cur)["SubLink"];
  std::string t = sl.value("subLinkType", "");
  if (t == "EXISTS_SUBLINK") return cur;
  if (t == "ANY_SUBLINK") {
    if (!sl.contains("operName")) return cur;
    if (sl["operName"].size() == 1 && str_of(sl["operName"][0]) == "=") return cur;
  }
  return nullptr;
}

void and_args(const json& n, std::vector<json>& out) {
  if (n.contains("BoolExpr") && n["BoolExpr"].value("boolop", "") == "AND_EXPR") {
    for (const auto& a : n["BoolExpr"]["args"]) and_args(a, out);
    return;
  }
  out.push_back(n);
}

json and_of(const std::vector<json>& parts) {
  if (parts.empty()) return json();
  if (parts.size() == 1) return parts[0];
  json args = json::array();
  for (const auto& p : parts) args.push_back(p);
  return json{{"BoolExpr", {{"boolop", "AND_EXPR"}, {"args", args}, {"location", -1}}}};
}

// A correlated subquery is rewritten into a join on its correlation keys:
// clauses that act on its rows as a whole cannot be kept.
result<void> correlated_shape(const json& s, const char* what, int loc) {
  for (const char* k : {"groupClause", "havingClause", "limitCount", "limitOffset",
                        "distinctClause", "windowClause"})
    if (s.contains(k))
      return make_error(errc::feature_not_supported, loc,
                        "a correlated subquery ({}) with GROUP BY, HAVING, DISTINCT or LIMIT "
                        "is not supported yet",
                        what);
  return outcome::success();
}

// The rewritten subquery's WHERE: its conditions other than the
// correlations (none: no WHERE); its ORDER BY goes (a join has no order).
void set_where(json& sub, const std::vector<json>& plain) {
  json w = and_of(plain);
  if (w.is_null())
    sub.erase("whereClause");
  else
    sub["whereClause"] = w;
  sub.erase("sortClause");
}

expr_ptr is_null_of(expr_ptr e) {
  auto n = std::make_shared<expr>();
  n->kind = expr_kind::is_null;
  n->type = type_id::boolean;
  n->args = {std::move(e)};
  return n;
}

expr_ptr or_of(expr_ptr a, expr_ptr b) {
  auto n = std::make_shared<expr>();
  n->kind = expr_kind::or_;
  n->type = type_id::boolean;
  n->args = {std::move(a), std::move(b)};
  return n;
}

bool all_below(const expr& e, int n) {
  std::vector<int> cols;
  collect_columns(e, cols);
  return std::all_of(cols.begin(), cols.end(), [&](int c) { return c < n; });
}

// outer [LEFT] JOIN distinct(inner's `keys` columns [, true]) ON
// outer_keys[i] = key i. Returns the join (outer columns, then the
// distinct's, hidden) and sets `marker` to the marker column (left join).
result<plan_ptr> join_distinct(const plan_ptr& outer, const std::vector<expr_ptr>& outer_keys,
                               const plan_ptr& inner, const std::vector<int>& keys, bool anti,
                               int& marker, int location) {
  const std::string q = "$subquery";
  std::vector<expr_ptr> ex;
  std::vector<plan_column> cols;
  for (size_t j = 0; j < keys.size(); ++j) {
    const auto& t = inner->columns[static_cast<size_t>(keys[j])].type;
    ex.push_back(make_column(keys[j], t));
    cols.push_back({fmt::format("$k{}", j), t, q, true});
  }
  if (anti || keys.empty()) {
    ex.push_back(make_bool(true));
    cols.push_back({"$m", type_id::boolean, q, true});
  }
  auto d = std::make_shared<plan_node>();
  d->kind = plan_kind::aggregate;
  d->columns = cols;
  for (size_t i = 0; i < cols.size(); ++i) d->group_keys.push_back(static_cast<int>(i));
  d->inputs = {make_project(inner, ex, cols)};
  auto j = std::make_shared<plan_node>();
  j->kind = plan_kind::join;
  j->join = anti ? join_type::left : join_type::inner;
  j->columns = outer->columns;
  j->columns.insert(j->columns.end(), cols.begin(), cols.end());
  j->inputs = {outer, d};
  int n = static_cast<int>(outer->columns.size());
  std::vector<expr_ptr> eqs;
  for (size_t i = 0; i < outer_keys.size(); ++i) {
    BOOST_OUTCOME_TRY(
        auto eq,
        make_call("=",
                  {outer_keys[i], make_column(n + static_cast<int>(i), cols[i].type, location)},
                  location));
    eqs.push_back(eq);
  }
  if (!eqs.empty()) j->predicate = conjunction(eqs);
  marker = n + static_cast<int>(cols.size()) - 1;
  return plan_ptr(j);
}

plan_ptr back_to(const plan_ptr& p, const std::vector<plan_column>& cols) {
  std::vector<expr_ptr> ex;
  for (size_t i = 0; i < cols.size(); ++i)
    ex.push_back(make_column(static_cast<int>(i), cols[i].type));
  return make_project(p, ex, cols);
}

}  // namespace

result<void> binder::correlations(const json& s, const std::vector<plan_column>& outer_cols,
                                  const char* what, int loc, std::vector<json>& inner_sides,
                                  std::vector<json>& outer_sides, std::vector<json>& plain) {
  // Correlated conjuncts of the subquery's WHERE: bind each against the
  // subquery's FROM with the outer columns behind it.
  bool simple = s.value("op", "SETOP_NONE") == "SETOP_NONE" && s.contains("fromClause") &&
                !s.contains("valuesLists");
  if (simple && s.contains("whereClause")) {
    size_t uses = opt_.column_uses ? opt_.column_uses->size() : 0;
    BOOST_OUTCOME_TRY(plan_ptr from, from_list(s["fromClause"]));
    int ni = static_cast<int>(from->columns.size());
    std::vector<json> conj;
    and_args(s["whereClause"], conj);
    for (const auto& c : conj) {
      bool neg = false;
      if (sublink_of(c, neg) || contains_sublink(c)) {
        plain.push_back(c);
        continue;
      }
      expr_ctx ctx;
      ctx.cols = &from->columns;
      ctx.outer = &outer_cols;
      ctx.clause = "WHERE";
      BOOST_OUTCOME_TRY(auto e, expression(c, ctx));
      if (all_below(*e, ni)) {
        plain.push_back(c);
        continue;
      }
      // inner = outer (either way round)
      bool ok = false;
      if (c.contains("A_Expr") && c["A_Expr"].value("kind", "") == "AEXPR_OP" &&
          c["A_Expr"]["name"].size() == 1 && str_of(c["A_Expr"]["name"][0]) == "=") {
        const json& l = c["A_Expr"]["lexpr"];
        const json& r = c["A_Expr"]["rexpr"];
        BOOST_OUTCOME_TRY(auto le, expression(l, ctx));
        BOOST_OUTCOME_TRY(auto re, expression(r, ctx));
        std::vector<int> lc, rc;
        collect_columns(*le, lc);
        collect_columns(*re, rc);
        auto inner_only = [&](const std::vector<int>& v) {
          return !v.empty() && std::all_of(v.begin(), v.end(), [&](int x) { return x < ni; });
        };
        auto outer_only = [&](const std::vector<int>& v) {
          return !v.empty() && std::all_of(v.begin(), v.end(), [&](int x) { return x >= ni; });
        };
        if (inner_only(lc) && outer_only(rc)) {
          inner_sides.push_back(l);
          outer_sides.push_back(r);
          ok = true;
        } else if (outer_only(lc) && inner_only(rc)) {
          inner_sides.push_back(r);
          outer_sides.push_back(l);
          ok = true;
        }
      }
      if (!ok)
        return make_error(errc::feature_not_supported, location_of(c) >= 0 ? location_of(c) : loc,
                          "a correlated condition in a subquery ({}) must be an equality "
                          "inner expression = outer expression; other correlations are not "
                          "supported yet",
                          what);
    }
    if (opt_.column_uses) opt_.column_uses->resize(uses);
  }
  return outcome::success();
}

result<plan_ptr> binder::bind_subquery(const json& sub, const std::vector<plan_column>& outer_cols,
                                       std::vector<int>& visible) {
  const auto* saved_scope = outer_scope_;
  outer_scope_ = &outer_cols;
  auto bound = query(json{{"SelectStmt", sub}});
  outer_scope_ = saved_scope;
  BOOST_OUTCOME_TRY(plan_ptr inner, std::move(bound));
  for (size_t i = 0; i < inner->columns.size(); ++i)
    if (!inner->columns[i].hidden) visible.push_back(static_cast<int>(i));
  return inner;
}

result<plan_ptr> binder::where_subqueries(plan_ptr input, const json& where, json& rest) {
  std::vector<json> parts, left;
  and_args(where, parts);
  bool any = false;
  for (const auto& p : parts) {
    bool negated = false;
    const json* sl = sublink_of(p, negated);
    if (!sl) {
      left.push_back(p);
      continue;
    }
    BOOST_OUTCOME_TRY(input, subquery_join(input, (*sl)["SubLink"], negated));
    any = true;
  }
  rest = any ? and_of(left) : where;  // untouched when there is no subquery
  return input;
}

result<plan_ptr> binder::subquery_join(plan_ptr input, const json& sl, bool negated,
                                       bool as_value) {
  int loc = sl.value("location", -1);
  bool in = sl.value("subLinkType", "") == "ANY_SUBLINK";
  const char* what =
      in ? (negated ? "NOT IN (subquery)" : "IN (subquery)") : (negated ? "NOT EXISTS" : "EXISTS");
  const json& stmt = sl["subselect"];
  const json& s = stmt.contains("SelectStmt") ? stmt["SelectStmt"] : stmt;
  const std::vector<plan_column> outer_cols = input->columns;

  std::vector<json> inner_sides, outer_sides, plain;
  BOOST_OUTCOME_TRY(correlations(s, outer_cols, what, loc, inner_sides, outer_sides, plain));
  bool correlated = !inner_sides.empty();

  // The subquery to bind: for a correlated one its WHERE without the
  // correlations and its select list [IN's column,] inner keys.
  json sub = s;
  size_t first_key = in ? 1 : 0;
  if (correlated) {
    BOOST_OUTCOME_TRY(correlated_shape(s, what, loc));
    if (has_aggregate(s["targetList"]))
      return make_error(errc::feature_not_supported, loc,
                        "a correlated subquery ({}) with an aggregate is not supported yet", what);
    json targets = json::array();
    if (in) {
      if (s["targetList"].size() != 1)
        return make_error(errc::syntax_error, loc, "subquery has too many columns");
      targets.push_back(s["targetList"][0]);
    }
    for (const auto& k : inner_sides)
      targets.push_back(json{{"ResTarget", {{"val", k}, {"location", -1}}}});
    sub["targetList"] = targets;
    set_where(sub, plain);
  }
  std::vector<int> visible;
  BOOST_OUTCOME_TRY(plan_ptr inner, bind_subquery(sub, outer_cols, visible));
  if (in && visible.size() != first_key + inner_sides.size())
    return make_error(
        errc::syntax_error, loc, "{}",
        visible.size() < 1 ? "subquery must return a column" : "subquery has too many columns");

  // Outer sides, bound against the outer query.
  expr_ctx octx;
  octx.cols = &outer_cols;
  octx.clause = "WHERE";
  std::vector<expr_ptr> okeys;
  std::vector<int> ikeys;
  for (size_t i = 0; i < outer_sides.size(); ++i) {
    BOOST_OUTCOME_TRY(auto e, expression(outer_sides[i], octx));
    okeys.push_back(e);
    ikeys.push_back(visible[first_key + i]);
  }
  int marker = -1;
  if (!in) {
    BOOST_OUTCOME_TRY(auto j, join_distinct(input, okeys, inner, ikeys, negated, marker, loc));
    if (negated) j = make_filter(j, is_null_of(make_column(marker, type_id::boolean)));
    return back_to(j, outer_cols);
  }
  BOOST_OUTCOME_TRY(auto x, expression(sl["testexpr"], octx));
  int y = visible[0];
  std::vector<expr_ptr> okx = okeys;
  okx.insert(okx.begin(), x);
  std::vector<int> ikx = ikeys;
  ikx.insert(ikx.begin(), y);
  if (as_value) {
    // true if some y = x in the group; false if none and the group is
    // empty; NULL if none and x is NULL or a y is NULL; false otherwise.
    int m1 = -1, m2 = -1, m3 = -1;
    BOOST_OUTCOME_TRY(auto j1, join_distinct(input, okx, inner, ikx, true, m1, loc));
    BOOST_OUTCOME_TRY(auto j2, join_distinct(j1, okeys, inner, ikeys, true, m2, loc));
    plan_ptr nulls =
        make_filter(inner, is_null_of(make_column(y, inner->columns[static_cast<size_t>(y)].type)));
    BOOST_OUTCOME_TRY(auto j3, join_distinct(j2, okeys, nulls, ikeys, true, m3, loc));
    auto not_null = [](expr_ptr e) {
      auto n = std::make_shared<expr>();
      n->kind = expr_kind::is_not_null;
      n->type = type_id::boolean;
      n->args = {std::move(e)};
      return expr_ptr(n);
    };
    auto c = std::make_shared<expr>();
    c->kind = expr_kind::case_;
    c->type = type_id::boolean;
    c->location = loc;
    c->has_else = true;
    c->args = {not_null(make_column(m1, type_id::boolean)),
               make_bool(true),
               is_null_of(make_column(m2, type_id::boolean)),
               make_bool(false),
               or_of(is_null_of(x), not_null(make_column(m3, type_id::boolean))),
               make_null(type_id::boolean),
               make_bool(false)};
    value_subs_[loc] = {j3->columns.size(), c};
    return j3;
  }
  if (!negated) {
    BOOST_OUTCOME_TRY(auto j, join_distinct(input, okx, inner, ikx, false, marker, loc));
    return back_to(j, outer_cols);
  }
  // NOT IN: no y = x in the group, no NULL y in it, x not NULL or the group empty.
  BOOST_OUTCOME_TRY(auto j1, join_distinct(input, okx, inner, ikx, true, marker, loc));
  plan_ptr p =
      back_to(make_filter(j1, is_null_of(make_column(marker, type_id::boolean))), outer_cols);
  plan_ptr nulls =
      make_filter(inner, is_null_of(make_column(y, inner->columns[static_cast<size_t>(y)].type)));
  BOOST_OUTCOME_TRY(auto j2, join_distinct(p, okeys, nulls, ikeys, true, marker, loc));
  p = back_to(make_filter(j2, is_null_of(make_column(marker, type_id::boolean))), outer_cols);
  BOOST_OUTCOME_TRY(auto j3, join_distinct(p, okeys, inner, ikeys, true, marker, loc));
  auto ok = or_of(std::make_shared<expr>([&] {
                    expr n;
                    n.kind = expr_kind::is_not_null;
                    n.type = type_id::boolean;
                    n.args = {x};
                    return n;
                  }()),
                  is_null_of(make_column(marker, type_id::boolean)));
  return back_to(make_filter(j3, ok), outer_cols);
}

result<plan_ptr> binder::value_subqueries(plan_ptr input, const json& node) {
  if (node.is_array()) {
    for (const auto& v : node) {
      BOOST_OUTCOME_TRY(input, value_subqueries(input, v));
    }
    return input;
  }
  if (!node.is_object()) return input;
  if (node.contains("SubLink")) {
    const json& sl = node["SubLink"];
    std::string t = sl.value("subLinkType", "");
    if (t == "EXPR_SUBLINK" || t == "EXISTS_SUBLINK") return value_subquery(input, sl);
    bool negated = false;
    if (sublink_of(node, negated)) return subquery_join(input, sl, false, true);
    return input;  // refused by expression()
  }
  for (const auto& [k, v] : node.items()) {
    BOOST_OUTCOME_TRY(input, value_subqueries(input, v));
  }
  return input;
}

result<plan_ptr> binder::value_subquery(plan_ptr input, const json& sl) {
  int loc = sl.value("location", -1);
  bool exists = sl.value("subLinkType", "") == "EXISTS_SUBLINK";
  const char* what = exists ? "EXISTS" : "a scalar subquery";
  const json& stmt = sl["subselect"];
  const json& s = stmt.contains("SelectStmt") ? stmt["SelectStmt"] : stmt;
  const std::vector<plan_column> outer_cols = input->columns;
  const int n = static_cast<int>(outer_cols.size());
  std::vector<json> inner_sides, outer_sides, plain;
  BOOST_OUTCOME_TRY(correlations(s, outer_cols, what, loc, inner_sides, outer_sides, plain));
  bool correlated = !inner_sides.empty();
  if (!exists && s.contains("targetList") && s["targetList"].size() != 1)
    return make_error(errc::syntax_error, loc, "subquery must return only one column");
  json sub = s;
  bool aggregate = false;
  std::string agg_name;
  if (correlated) {
    BOOST_OUTCOME_TRY(correlated_shape(s, what, loc));
    json targets = json::array();
    json groups = json::array();
    if (!exists) {
      const json& t = s["targetList"][0]["ResTarget"]["val"];
      aggregate = has_aggregate(t);
      if (aggregate) {
        // Only an aggregate call itself: its value over no rows is known
        // (count: 0, the others NULL).
        if (!t.contains("FuncCall") || t["FuncCall"].contains("over") ||
            t["FuncCall"].contains("agg_filter"))
          return make_error(errc::feature_not_supported, loc,
                            "a correlated scalar subquery must select one aggregate call or a "
                            "plain expression; an expression over aggregates is not supported yet");
        agg_name = str_of(t["FuncCall"]["funcname"].back());
      }
      targets.push_back(s["targetList"][0]);
    } else if (has_aggregate(s["targetList"])) {
      return make_error(errc::feature_not_supported, loc,
                        "a correlated subquery ({}) with an aggregate is not supported yet", what);
    }
    for (const auto& k : inner_sides) {
      targets.push_back(json{{"ResTarget", {{"val", k}, {"location", -1}}}});
      groups.push_back(k);
    }
    sub["targetList"] = targets;
    if (aggregate) sub["groupClause"] = groups;
    set_where(sub, plain);
  }
  std::vector<int> visible;
  BOOST_OUTCOME_TRY(plan_ptr inner, bind_subquery(sub, outer_cols, visible));
  size_t first_key = exists ? 0 : 1;
  if (!exists && visible.size() != first_key + inner_sides.size())
    return make_error(errc::syntax_error, loc, "subquery must return only one column");
  expr_ctx octx;
  octx.cols = &outer_cols;
  octx.clause = "WHERE";
  std::vector<expr_ptr> okeys;
  std::vector<int> ikeys;
  for (size_t i = 0; i < outer_sides.size(); ++i) {
    BOOST_OUTCOME_TRY(auto e, expression(outer_sides[i], octx));
    okeys.push_back(e);
    ikeys.push_back(visible[first_key + i]);
  }
  int marker = -1;
  if (exists) {
    BOOST_OUTCOME_TRY(auto j, join_distinct(input, okeys, inner, ikeys, true, marker, loc));
    auto v = std::make_shared<expr>();
    v->kind = expr_kind::is_not_null;
    v->type = type_id::boolean;
    v->location = loc;
    v->args = {make_column(marker, type_id::boolean)};
    value_subs_[loc] = {j->columns.size(), v};
    return j;
  }
  const int y = visible[0];
  const sql_type yt = inner->columns[static_cast<size_t>(y)].type;
  plan_ptr right;
  expr_ptr value;
  std::vector<plan_column> rcols;
  if (aggregate) {
    // Grouped by the keys: one row per key; LEFT JOIN on them.
    std::vector<expr_ptr> ex{make_column(y, yt)};
    rcols.push_back({"$v", yt, "$subquery", true});
    for (size_t j = 0; j < ikeys.size(); ++j) {
      const auto& t = inner->columns[static_cast<size_t>(ikeys[j])].type;
      ex.push_back(make_column(ikeys[j], t));
      rcols.push_back({fmt::format("$k{}", j), t, "$subquery", true});
    }
    right = make_project(inner, ex, rcols);
    expr_ptr col = make_column(n, yt, loc);
    if (agg_name == "count") {
      auto c = std::make_shared<expr>();
      c->kind = expr_kind::coalesce;
      c->type = yt;
      c->location = loc;
      c->args = {col, make_constant(yt, datum::of_int(0))};
      value = c;
    } else {
      value = col;
    }
    for (size_t j = 0; j < ikeys.size(); ++j) ikeys[j] = static_cast<int>(j) + 1;
  } else {
    // count(*) and min(value) per key group: the value when one row,
    // 21000 when more, NULL (no match in the LEFT JOIN) when none.
    if (yt.id == type_id::jsonb || yt.id == type_id::text_array)
      return make_error(errc::feature_not_supported, loc,
                        "a scalar subquery of type {} is not supported yet", type_name(yt));
    std::vector<expr_ptr> ex;
    std::vector<plan_column> pcols;
    for (size_t j = 0; j < ikeys.size(); ++j) {
      const auto& t = inner->columns[static_cast<size_t>(ikeys[j])].type;
      ex.push_back(make_column(ikeys[j], t));
      pcols.push_back({fmt::format("$k{}", j), t, "$subquery", true});
    }
    ex.push_back(make_column(y, yt));
    pcols.push_back({"$v", yt, "$subquery", true});
    auto a = std::make_shared<plan_node>();
    a->kind = plan_kind::aggregate;
    a->inputs = {make_project(inner, ex, pcols)};
    for (size_t j = 0; j < ikeys.size(); ++j) a->group_keys.push_back(static_cast<int>(j));
    agg_call cnt;
    cnt.func = "count";
    cnt.type = type_id::int64;
    cnt.arg_type = type_id::int64;
    agg_call mn;
    mn.func = "min";
    mn.arg = static_cast<int>(ikeys.size());
    mn.arg_type = yt;
    mn.type = yt;
    a->aggs = {cnt, mn};
    a->columns.assign(pcols.begin(), pcols.end() - 1);
    a->columns.push_back({"$n", type_id::int64, "$subquery", true});
    a->columns.push_back({"$v", yt, "$subquery", true});
    right = a;
    rcols = a->columns;
    for (size_t j = 0; j < ikeys.size(); ++j) ikeys[j] = static_cast<int>(j);
    int nk = static_cast<int>(ikeys.size());
    auto v = std::make_shared<expr>();
    v->kind = expr_kind::call;
    v->type = yt;
    v->location = loc;
    v->name = "scalar_subquery";
    v->fn = &one_row;
    v->strict = false;
    v->args = {make_column(n + nk, type_id::int64), make_column(n + nk + 1, yt)};
    value = v;
  }
  auto j = std::make_shared<plan_node>();
  j->kind = plan_kind::join;
  j->join = join_type::left;
  j->columns = outer_cols;
  j->columns.insert(j->columns.end(), rcols.begin(), rcols.end());
  j->inputs = {input, right};
  std::vector<expr_ptr> eqs;
  for (size_t i = 0; i < okeys.size(); ++i) {
    BOOST_OUTCOME_TRY(
        auto eq, make_call("=",
                           {okeys[i], make_column(n + ikeys[i],
                                                  rcols[static_cast<size_t>(ikeys[i])].type, loc)},
                           loc));
    eqs.push_back(eq);
  }
  if (!eqs.empty()) j->predicate = conjunction(eqs);
  value_subs_[loc] = {j->columns.size(), value};
  return plan_ptr(j);
}

}  // namespace runnel::sql
