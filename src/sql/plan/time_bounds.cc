#include "sql/plan/time_bounds.h"

#include <algorithm>

#include "sql/types/datetime.h"

namespace runnel::sql {

namespace {

void flatten_and(const expr_ptr& e, std::vector<expr_ptr>& out) {
  if (e->kind == expr_kind::and_) {
    for (const auto& a : e->args) flatten_and(a, out);
    return;
  }
  out.push_back(e);
}

bool is_time(const sql_type& t) {
  return t.id == type_id::timestamp || t.id == type_id::timestamptz;
}

// A constant interval without months, in µs.
bool constant_offset(const expr& e, int64_t& us) {
  if (!is_constant_expr(e) || e.type.id != type_id::interval) return false;
  arena a;
  auto d = fold(e, a, 0);
  if (!d || d.value().is_null()) return false;
  auto iv = d.value().as_interval();
  if (iv.months != 0) return false;
  us = iv.days * usecs_per_day + iv.micros;
  return true;
}

// rhs = column, column + c, c + column or column - c.
void find_rhs_column(join_time_bound& b) {
  const expr& r = *b.rhs;
  if (r.kind == expr_kind::column) {
    b.rhs_column = r.column;
    b.rhs_offset = 0;
    return;
  }
  if (r.kind != expr_kind::call || r.args.size() != 2 || (r.name != "+" && r.name != "-")) return;
  const auto& x = r.args[0];
  const auto& y = r.args[1];
  int64_t us = 0;
  if (x->kind == expr_kind::column && is_time(x->type) && constant_offset(*y, us)) {
    b.rhs_column = x->column;
    b.rhs_offset = r.name == "+" ? us : -us;
  } else if (r.name == "+" && y->kind == expr_kind::column && is_time(y->type) &&
             constant_offset(*x, us)) {
    b.rhs_column = y->column;
    b.rhs_offset = us;
  }
}

}  // namespace

std::vector<join_time_bound> find_join_time_bounds(const std::vector<sql_type>& left,
                                                   const std::vector<sql_type>& right,
                                                   const std::vector<std::pair<int, int>>& equi,
                                                   const expr_ptr& residual,
                                                   const std::vector<int>& left_watermarks,
                                                   const std::vector<int>& right_watermarks) {
  std::vector<join_time_bound> bounds;
  const int nl = static_cast<int>(left.size());
  const int nr = static_cast<int>(right.size());
  const std::vector<int>* wms[2] = {&left_watermarks, &right_watermarks};
  auto side_of = [&](const expr& e) {
    std::vector<int> cols;
    collect_columns(e, cols);
    if (cols.empty() || uses_now(e)) return -1;
    int s = cols[0] < nl ? 0 : 1;
    for (int c : cols)
      if ((c < nl ? 0 : 1) != s) return -1;
    return s;
  };
  auto watermarked = [&](int s, int col) {
    return std::find(wms[s]->begin(), wms[s]->end(), col) != wms[s]->end();
  };
  // Joined-row columns -> one side's own columns.
  auto local = [&](const expr_ptr& e, int s) {
    std::vector<int> map(static_cast<size_t>(nl + nr), 0);
    for (int i = 0; i < nl + nr; ++i) map[static_cast<size_t>(i)] = s == 0 ? i : i - nl;
    return remap_columns(e, map);
  };
  auto add = [&](const expr_ptr& lhs, const expr_ptr& rhs, bool strict) {
    if (!is_time(lhs->type) || lhs->type.id != rhs->type.id) return;
    // lhs: a column of one side, or that column plus or minus a constant.
    const expr* col = nullptr;
    if (lhs->kind == expr_kind::column) {
      col = lhs.get();
    } else if (lhs->kind == expr_kind::call && lhs->args.size() == 2 &&
               (lhs->name == "+" || lhs->name == "-")) {
      const auto& a = lhs->args[0];
      const auto& b = lhs->args[1];
      if (a->kind == expr_kind::column && is_constant_expr(*b))
        col = a.get();
      else if (lhs->name == "+" && b->kind == expr_kind::column && is_constant_expr(*a))
        col = b.get();
    }
    if (!col || !is_time(col->type)) return;
    int ws = col->column < nl ? 0 : 1;
    int rs = side_of(*rhs);
    if (rs != 1 - ws) return;
    int wcol = ws == 0 ? col->column : col->column - nl;
    if (!watermarked(ws, wcol)) return;
    join_time_bound b;
    b.clean = rs;
    b.wm_column = wcol;
    b.lhs = local(lhs, ws);
    b.rhs = local(rhs, rs);
    b.strict = strict;
    find_rhs_column(b);
    bounds.push_back(std::move(b));
  };
  if (residual) {
    std::vector<expr_ptr> parts;
    flatten_and(residual, parts);
    for (const auto& p : parts) {
      if (p->kind != expr_kind::call || p->args.size() != 2) continue;
      const auto& a = p->args[0];
      const auto& b = p->args[1];
      if (p->name == "<=" || p->name == "<") add(a, b, p->name == "<");
      if (p->name == ">=" || p->name == ">") add(b, a, p->name == ">");
      if (p->name == "=") {
        add(a, b, false);
        add(b, a, false);
      }
    }
  }
  // Equal keys: each side's column bounds the other's.
  for (auto [l, r] : equi) {
    if (l < 0 || r < 0 || l >= nl || r >= nr) continue;
    auto lc = make_column(l, left[static_cast<size_t>(l)]);
    auto rc = make_column(nl + r, right[static_cast<size_t>(r)]);
    add(lc, rc, false);
    add(rc, lc, false);
  }
  return bounds;
}

std::vector<int> join_output_watermarks(const std::vector<join_time_bound>& bounds, int left_width,
                                        const std::vector<int>& left_watermarks,
                                        const std::vector<int>& right_watermarks) {
  std::vector<int> out;
  const std::vector<int>* wms[2] = {&left_watermarks, &right_watermarks};
  for (int s = 0; s < 2; ++s)
    for (int c : *wms[s]) {
      bool kept = std::any_of(bounds.begin(), bounds.end(), [&](const join_time_bound& b) {
        return b.clean == s && b.rhs_column == c;
      });
      int joined = s == 0 ? c : left_width + c;
      if (kept && std::find(out.begin(), out.end(), joined) == out.end()) out.push_back(joined);
    }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace runnel::sql
