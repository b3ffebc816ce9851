// Plan rewrites and derived properties. Small, local, always applied:
// filters move down into joins and through projections, equalities become
// join keys, a rank filter limits ROW_NUMBER (Top-N), and comparisons with
// now() in a maintained query become a temporal filter.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sql/plan/binder_impl.h"
#include "sql/plan/functions.h"
#include "sql/plan/relation.h"
#include "sql/plan/time_bounds.h"

namespace runnel::sql {

namespace {

bool only_columns_in(const expr& e, int lo, int hi) {
  std::vector<int> cols;
  collect_columns(e, cols);
  for (int c : cols)
    if (c < lo || c >= hi) return false;
  return true;
}

expr_ptr shift_columns(const expr_ptr& e, int delta, int from = 0) {
  if (e->kind == expr_kind::column) {
    if (e->column < from) return e;
    auto c = std::make_shared<expr>(*e);
    c->column += delta;
    return c;
  }
  if (e->args.empty()) return e;
  auto c = std::make_shared<expr>(*e);
  for (auto& a : c->args) a = shift_columns(a, delta, from);
  return c;
}

// Splits a join's ON predicate into equi keys and a residual; key
// expressions that are not plain columns are computed by projections below
// the join and dropped above it.
result<plan_ptr> plan_join(plan_ptr j) {
  if (!j->predicate) return j;
  auto& left = j->inputs[0];
  auto& right = j->inputs[1];
  int nl = static_cast<int>(left->columns.size());
  int nr = static_cast<int>(right->columns.size());
  std::vector<expr_ptr> parts, residual;
  conjuncts(j->predicate, parts);
  std::vector<expr_ptr> lkeys, rkeys;
  for (auto& p : parts) {
    if (p->kind == expr_kind::call && p->name == "=" && p->args.size() == 2) {
      const auto& a = p->args[0];
      const auto& b = p->args[1];
      bool a_left = only_columns_in(*a, 0, nl), a_right = only_columns_in(*a, nl, nl + nr);
      bool b_left = only_columns_in(*b, 0, nl), b_right = only_columns_in(*b, nl, nl + nr);
      std::vector<int> ca, cb;
      collect_columns(*a, ca);
      collect_columns(*b, cb);
      if (!ca.empty() && !cb.empty() && !uses_now(*a) && !uses_now(*b)) {
        if (a_left && b_right) {
          lkeys.push_back(a);
          rkeys.push_back(shift_columns(b, -nl));
          continue;
        }
        if (b_left && a_right) {
          lkeys.push_back(b);
          rkeys.push_back(shift_columns(a, -nl));
          continue;
        }
      }
    }
    residual.push_back(p);
  }
  // Keys found before stay: a WHERE pushed into a join whose ON was already
  // planned arrives here with only the ON's residual in the predicate.
  if (lkeys.empty()) return j;
  // Computed keys: extra columns at the end of each side.
  std::vector<expr_ptr> lex, rex;
  std::vector<plan_column> lcols = left->columns, rcols = right->columns;
  for (int i = 0; i < nl; ++i)
    lex.push_back(make_column(i, left->columns[static_cast<size_t>(i)].type));
  for (int i = 0; i < nr; ++i)
    rex.push_back(make_column(i, right->columns[static_cast<size_t>(i)].type));
  std::vector<std::pair<int, int>> equi = j->equi;
  int extra_l = 0, extra_r = 0;
  for (size_t k = 0; k < lkeys.size(); ++k) {
    int li, ri;
    if (lkeys[k]->kind == expr_kind::column) {
      li = lkeys[k]->column;
    } else {
      lex.push_back(lkeys[k]);
      lcols.push_back({fmt::format("$jk{}", k), lkeys[k]->type, "", true});
      li = static_cast<int>(lex.size() - 1);
      ++extra_l;
    }
    if (rkeys[k]->kind == expr_kind::column) {
      ri = rkeys[k]->column;
    } else {
      rex.push_back(rkeys[k]);
      rcols.push_back({fmt::format("$jk{}", k), rkeys[k]->type, "", true});
      ri = static_cast<int>(rex.size() - 1);
      ++extra_r;
    }
    equi.emplace_back(li, ri);
  }
  if (extra_l == 0 && extra_r == 0) {
    j->equi = equi;
    j->predicate = residual.empty() ? nullptr : conjunction(residual);
    return j;
  }
  auto nj = std::make_shared<plan_node>(*j);
  nj->inputs = {extra_l ? make_project(left, lex, lcols) : left,
                extra_r ? make_project(right, rex, rcols) : right};
  nj->columns = lcols;
  nj->columns.insert(nj->columns.end(), rcols.begin(), rcols.end());
  nj->equi = equi;
  // Residual: right columns move by the left's extra columns.
  std::vector<expr_ptr> res;
  for (auto& r : residual) res.push_back(shift_columns(r, extra_l, nl));
  nj->predicate = res.empty() ? nullptr : conjunction(res);
  // Drop the extra columns again.
  std::vector<expr_ptr> out;
  std::vector<plan_column> out_cols;
  int total_l = nl + extra_l;
  for (int i = 0; i < nl; ++i) {
    out.push_back(make_column(i, nj->columns[static_cast<size_t>(i)].type));
    out_cols.push_back(nj->columns[static_cast<size_t>(i)]);
  }
  for (int i = 0; i < nr; ++i) {
    out.push_back(make_column(total_l + i, nj->columns[static_cast<size_t>(total_l + i)].type));
    out_cols.push_back(nj->columns[static_cast<size_t>(total_l + i)]);
  }
  return make_project(nj, out, out_cols);
}

// now() ± constant interval: the interval (as micros, sign applied), or nullopt.
std::optional<expr_ptr> now_offset(const expr_ptr& e) {
  if (e->kind == expr_kind::now)
    return make_constant(type_id::interval, datum::of_interval(interval{}));
  if (e->kind == expr_kind::call && e->name == "cast" && e->args.size() == 1)
    return now_offset(e->args[0]);
  if (e->kind == expr_kind::call && (e->name == "+" || e->name == "-") && e->args.size() == 2 &&
      e->args[0]->kind == expr_kind::now && is_constant_expr(*e->args[1]) &&
      e->args[1]->type.id == type_id::interval) {
    if (e->name == "+") return e->args[1];
    arena a;
    auto v = fold(*e->args[1], a, 0);
    if (!v || v.value().is_null()) return std::nullopt;
    return make_constant(type_id::interval,
                         datum::of_interval(dt::negate(v.value().as_interval())));
  }
  return std::nullopt;
}

// X op (now() + iv): the bound on now() this conjunct puts on the row.
result<bool> temporal_conjunct(const expr_ptr& c, temporal_bound& b) {
  if (c->kind != expr_kind::call || c->args.size() != 2) return false;
  std::string op = c->name;
  expr_ptr x = c->args[0], n = c->args[1];
  if (uses_now(*x)) {
    std::swap(x, n);
    if (op == "<")
      op = ">";
    else if (op == "<=")
      op = ">=";
    else if (op == ">")
      op = "<";
    else if (op == ">=")
      op = "<=";
  }
  if (uses_now(*x)) return false;
  auto iv = now_offset(n);
  if (!iv || (op != "<" && op != "<=" && op != ">" && op != ">=")) return false;
  // X op now() + iv  <=>  now() op' X - iv
  BOOST_OUTCOME_TRY(auto when, make_call("-", {x, *iv}, c->location));
  BOOST_OUTCOME_TRY(when, coerce(when, type_id::timestamptz, c->location));
  auto plus_one = [&](expr_ptr e) {
    return make_call("+",
                     {e, make_constant(type_id::interval, datum::of_interval(interval{0, 0, 1}))},
                     c->location);
  };
  if (op == ">") {  // visible while now < X - iv
    b.upper = when;
  } else if (op == ">=") {  // while now <= X - iv
    BOOST_OUTCOME_TRY(b.upper, plus_one(when));
  } else if (op == "<") {  // from now > X - iv
    BOOST_OUTCOME_TRY(b.lower, plus_one(when));
  } else {  // from now >= X - iv
    b.lower = when;
  }
  return true;
}

// rank <= N, rank < N, rank = N (N = 1), N >= rank: the limit, or -1.
int64_t rank_limit(const expr_ptr& c, int rank_col) {
  if (c->kind != expr_kind::call || c->args.size() != 2) return -1;
  std::string op = c->name;
  expr_ptr a = c->args[0], b = c->args[1];
  auto is_rank = [&](const expr_ptr& e) {
    if (e->kind == expr_kind::column) return e->column == rank_col;
    if (e->kind == expr_kind::call && e->name == "cast" && e->args[0]->kind == expr_kind::column)
      return e->args[0]->column == rank_col;
    return false;
  };
  if (!is_rank(a)) {
    std::swap(a, b);
    if (op == "<")
      op = ">";
    else if (op == "<=")
      op = ">=";
    else if (op == ">")
      op = "<";
    else if (op == ">=")
      op = "<=";
  }
  if (!is_rank(a) || !is_constant_expr(*b)) return -1;
  arena ar;
  auto v = fold(*b, ar, 0);
  if (!v || v.value().is_null()) return -1;
  int64_t n = is_integer(b->type.id) ? v.value().as_int()
                                     : static_cast<int64_t>(dec::to_double(v.value().as_decimal()));
  if (op == "<=") return n;
  if (op == "<") return n - 1;
  if (op == "=" && n == 1) return 1;
  return -1;
}

result<plan_ptr> rewrite_node(plan_ptr n, bool streaming);
result<plan_ptr> finish_filter(plan_ptr f, bool streaming);

result<plan_ptr> push_filter(plan_ptr f, bool streaming) {
  plan_ptr input = f->inputs[0];
  std::vector<expr_ptr> parts;
  conjuncts(f->predicate, parts);
  // Into an inner join (and the left side of a left join).
  if (input->kind == plan_kind::join && !input->temporal) {
    auto j = std::make_shared<plan_node>(*input);
    int nl = static_cast<int>(j->inputs[0]->columns.size());
    int nr = static_cast<int>(j->inputs[1]->columns.size());
    std::vector<expr_ptr> keep, to_left, to_right, to_join;
    for (auto& p : parts) {
      if (uses_now(*p)) {
        keep.push_back(p);
        continue;
      }
      bool l = only_columns_in(*p, 0, nl), r = only_columns_in(*p, nl, nl + nr);
      if (l && j->join != join_type::full)
        to_left.push_back(p);
      else if (r && j->join == join_type::inner)
        to_right.push_back(shift_columns(p, -nl));
      else if (j->join == join_type::inner)
        to_join.push_back(p);
      else
        keep.push_back(p);
    }
    if (!to_left.empty()) j->inputs[0] = make_filter(j->inputs[0], conjunction(to_left));
    if (!to_right.empty()) j->inputs[1] = make_filter(j->inputs[1], conjunction(to_right));
    if (!to_join.empty()) {
      std::vector<expr_ptr> all;
      if (j->predicate) conjuncts(j->predicate, all);
      all.insert(all.end(), to_join.begin(), to_join.end());
      j->predicate = conjunction(all);
    }
    BOOST_OUTCOME_TRY(plan_ptr nj, rewrite_node(j, streaming));
    if (keep.empty()) return nj;
    // What stays above the join stays there: pushing it again would meet
    // the same join and recurse until the stack ran out (a filter on the
    // nullable side of a LEFT JOIN, a now() comparison).
    return finish_filter(make_filter(nj, conjunction(keep)), streaming);
  }
  // Through a projection of plain columns.
  if (input->kind == plan_kind::project) {
    std::vector<int> map(input->columns.size(), -1);
    for (size_t i = 0; i < input->exprs.size(); ++i)
      if (input->exprs[i]->kind == expr_kind::column) map[i] = input->exprs[i]->column;
    std::vector<expr_ptr> below, keep;
    for (auto& p : parts) {
      std::vector<int> cols;
      collect_columns(*p, cols);
      bool ok = std::all_of(cols.begin(), cols.end(),
                            [&](int c) { return map[static_cast<size_t>(c)] >= 0; });
      if (ok)
        below.push_back(remap_columns(p, map));
      else
        keep.push_back(p);
    }
    if (!below.empty()) {
      auto np = std::make_shared<plan_node>(*input);
      BOOST_OUTCOME_TRY(np->inputs[0],
                        rewrite_node(make_filter(input->inputs[0], conjunction(below)), streaming));
      if (keep.empty()) return plan_ptr(np);
      auto nf = std::make_shared<plan_node>(*f);
      nf->inputs[0] = np;
      nf->predicate = conjunction(keep);
      return finish_filter(nf, streaming);
    }
  }
  // Onto a ROW_NUMBER: a rank limit makes it a Top-N.
  if (input->kind == plan_kind::row_number && input->with_rank) {
    int rank_col = static_cast<int>(input->columns.size() - 1);
    std::vector<expr_ptr> keep;
    auto rn = std::make_shared<plan_node>(*input);
    for (auto& p : parts) {
      int64_t n = rank_limit(p, rank_col);
      if (n >= 0)
        rn->limit = rn->limit < 0 ? n : std::min(rn->limit, n);
      else
        keep.push_back(p);
    }
    if (keep.size() != parts.size()) {
      if (keep.empty()) return plan_ptr(rn);
      auto nf = std::make_shared<plan_node>(*f);
      nf->inputs[0] = rn;
      nf->predicate = conjunction(keep);
      return finish_filter(nf, streaming);
    }
  }
  return finish_filter(f, streaming);
}

// A filter that stays: comparisons with now() become a temporal filter in
// a maintained query.
result<plan_ptr> finish_filter(plan_ptr f, bool streaming) {
  if (!streaming || !uses_now(*f->predicate)) return f;
  std::vector<expr_ptr> parts, rest;
  conjuncts(f->predicate, parts);
  temporal_bound b;
  for (auto& p : parts) {
    if (!uses_now(*p)) {
      rest.push_back(p);
      continue;
    }
    temporal_bound one;
    BOOST_OUTCOME_TRY(bool ok, temporal_conjunct(p, one));
    if (!ok || (one.lower && b.lower) || (one.upper && b.upper))
      return make_error(errc::feature_not_supported, p->location,
                        "now() in a materialized view must be compared with a column: col > now() "
                        "- INTERVAL '...' "
                        "(at most one lower and one upper bound)");
    if (one.lower) b.lower = one.lower;
    if (one.upper) b.upper = one.upper;
  }
  plan_ptr input = f->inputs[0];
  if (!rest.empty()) input = make_filter(input, conjunction(rest));
  auto t = std::make_shared<plan_node>();
  t->kind = plan_kind::temporal_filter;
  t->columns = f->columns;
  t->inputs = {input};
  t->bound = b;
  return plan_ptr(t);
}

// A projection over TUMBLE or HOP: the window copies every column of a row
// into each window the row falls in (five for Nexmark q5's HOP), so the
// columns the projection does not read are dropped below the window first.
// Only the projection above reads the window's columns, so renumbering
// stops there.
plan_ptr narrow_window(plan_ptr proj) {
  const plan_ptr& w = proj->inputs[0];
  if (w->kind != plan_kind::window || w->window == window_kind::session) return proj;
  const plan_node& x = *w->inputs[0];
  const size_t n = x.columns.size();
  if (w->columns.size() != n + 2 || w->time_column < 0) return proj;
  std::vector<bool> read(n, false);
  read[static_cast<size_t>(w->time_column)] = true;
  for (const auto& e : proj->exprs) {
    std::vector<int> cols;
    collect_columns(*e, cols);
    for (int c : cols)
      if (c >= 0 && static_cast<size_t>(c) < n) read[static_cast<size_t>(c)] = true;
  }
  if (std::all_of(read.begin(), read.end(), [](bool r) { return r; })) return proj;
  auto narrow = std::make_shared<plan_node>();
  narrow->kind = plan_kind::project;
  narrow->inputs = {w->inputs[0]};
  std::vector<int> map(n + 2, -1);
  for (size_t c = 0; c < n; ++c) {
    if (!read[c]) continue;
    map[c] = static_cast<int>(narrow->exprs.size());
    narrow->exprs.push_back(make_column(static_cast<int>(c), x.columns[c].type));
    narrow->columns.push_back(x.columns[c]);
  }
  map[n] = static_cast<int>(narrow->columns.size());
  map[n + 1] = map[n] + 1;
  auto nw = std::make_shared<plan_node>(*w);
  nw->inputs = {narrow};
  nw->time_column = map[static_cast<size_t>(w->time_column)];
  nw->columns = narrow->columns;
  nw->columns.push_back(w->columns[n]);
  nw->columns.push_back(w->columns[n + 1]);
  auto np = std::make_shared<plan_node>(*proj);
  np->inputs = {nw};
  for (auto& e : np->exprs) e = remap_columns(e, map);
  return np;
}

result<plan_ptr> rewrite_node(plan_ptr n, bool streaming) {
  auto out = std::make_shared<plan_node>(*n);
  for (auto& in : out->inputs) {
    BOOST_OUTCOME_TRY(in, rewrite_node(in, streaming));
  }
  if (out->kind == plan_kind::filter) return push_filter(out, streaming);
  if (out->kind == plan_kind::join) return plan_join(out);
  if (streaming && out->kind == plan_kind::project)
    for (const auto& e : out->exprs)
      if (uses_now(*e))
        return make_error(errc::feature_not_supported, e->location,
                          "now() can only be used in a WHERE comparison in a materialized view (a "
                          "temporal filter)");
  if (out->kind == plan_kind::project && out->inputs.size() == 1) return narrow_window(out);
  return plan_ptr(out);
}

}  // namespace

result<plan_ptr> rewrite(plan_ptr root, bool streaming) {
  BOOST_OUTCOME_TRY(auto r, rewrite_node(root, streaming));
  r = mark_unread_columns(r);
  derive_properties(*r);
  return r;
}

result<void> set_emit_on_window_close(plan_node& root) {
  plan_node* n = &root;
  while ((n->kind == plan_kind::project || n->kind == plan_kind::filter) && !n->inputs.empty())
    n = n->inputs[0].get();
  if (n->kind != plan_kind::aggregate || n->group_keys.empty())
    return make_error(errc::feature_not_supported, -1,
                      "EMIT ON WINDOW CLOSE needs a query that ends in a GROUP BY over a window");
  n->emit_on_window_close = true;
  derive_properties(root);
  return outcome::success();
}

void derive_properties(plan_node& n) {
  for (auto& in : n.inputs) derive_properties(*in);
  auto in = [&](size_t i) -> const plan_node& { return *n.inputs[i]; };
  n.append_only = false;
  n.unique_key.clear();
  n.watermarks.clear();
  switch (n.kind) {
    case plan_kind::scan:
      if (n.relation) {
        n.append_only = n.relation->append_only;
        n.unique_key = n.relation->primary_key;
        n.watermarks = n.relation->watermarks;
      }
      break;
    case plan_kind::values:
      n.append_only = true;
      break;
    case plan_kind::filter:
    case plan_kind::sort:
      n.append_only = in(0).append_only;
      n.unique_key = in(0).unique_key;
      n.watermarks = in(0).watermarks;
      break;
    case plan_kind::temporal_filter:
      n.unique_key = in(0).unique_key;
      break;
    case plan_kind::project: {
      n.append_only = in(0).append_only;
      std::vector<int> where(in(0).columns.size(), -1);
      for (size_t i = 0; i < n.exprs.size(); ++i)
        if (n.exprs[i]->kind == expr_kind::column &&
            where[static_cast<size_t>(n.exprs[i]->column)] < 0)
          where[static_cast<size_t>(n.exprs[i]->column)] = static_cast<int>(i);
      bool all = !in(0).unique_key.empty();
      std::vector<int> key;
      for (int k : in(0).unique_key) {
        if (where[static_cast<size_t>(k)] < 0)
          all = false;
        else
          key.push_back(where[static_cast<size_t>(k)]);
      }
      if (all) n.unique_key = key;
      for (int w : in(0).watermarks)
        if (where[static_cast<size_t>(w)] >= 0)
          n.watermarks.push_back(where[static_cast<size_t>(w)]);
      break;
    }
    case plan_kind::aggregate:
      n.append_only = n.emit_on_window_close;
      for (size_t i = 0; i < n.group_keys.size(); ++i) {
        n.unique_key.push_back(static_cast<int>(i));
        int src = n.group_keys[i];
        if (std::find(in(0).watermarks.begin(), in(0).watermarks.end(), src) !=
            in(0).watermarks.end())
          n.watermarks.push_back(static_cast<int>(i));
      }
      if (n.group_keys.empty()) n.unique_key.clear();
      break;
    case plan_kind::join: {
      n.append_only =
          in(0).append_only && (n.temporal || (in(1).append_only && n.join == join_type::inner));
      if (n.temporal) {
        n.watermarks = in(0).watermarks;  // only left rows make output, in their order
        break;
      }
      std::vector<sql_type> lt, rt;
      for (const auto& c : in(0).columns) lt.push_back(c.type);
      for (const auto& c : in(1).columns) rt.push_back(c.type);
      n.watermarks = join_output_watermarks(
          find_join_time_bounds(lt, rt, n.equi, n.predicate, in(0).watermarks, in(1).watermarks),
          static_cast<int>(lt.size()), in(0).watermarks, in(1).watermarks);
      break;
    }
    case plan_kind::union_all: {
      n.append_only = true;
      for (auto& i : n.inputs) n.append_only &= i->append_only;
      std::vector<int> w = in(0).watermarks;
      for (size_t k = 1; k < n.inputs.size(); ++k) {
        std::vector<int> keep;
        for (int c : w)
          if (std::find(in(k).watermarks.begin(), in(k).watermarks.end(), c) !=
              in(k).watermarks.end())
            keep.push_back(c);
        w = keep;
      }
      n.watermarks = w;
      break;
    }
    case plan_kind::window: {
      if (n.window == window_kind::session) {
        // Sessions merge and split, so rows are retracted; only window_end
        // has a watermark (every session still open ends at or after it).
        if (std::find(in(0).watermarks.begin(), in(0).watermarks.end(), n.time_column) !=
            in(0).watermarks.end())
          n.watermarks.push_back(static_cast<int>(n.columns.size() - 1));
        break;
      }
      n.append_only = in(0).append_only;
      n.watermarks = in(0).watermarks;
      if (std::find(in(0).watermarks.begin(), in(0).watermarks.end(), n.time_column) !=
          in(0).watermarks.end()) {
        n.watermarks.push_back(static_cast<int>(n.columns.size() - 2));
        n.watermarks.push_back(static_cast<int>(n.columns.size() - 1));
      }
      break;
    }
    case plan_kind::row_number:
      break;
  }
}

}  // namespace runnel::sql
