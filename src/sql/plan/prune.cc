// Which columns of a join's inputs the query above it never reads
// (plan_node::unread): found top-down from the root, which reads all of
// its columns. The join stores and emits those columns as NULL, so its
// state holds only what the query reads (q7's join no longer keeps every
// bid's url and extra). Widths and column numbers stay as they are: no
// operator above has to be renumbered.
//
// What counts as read, per node (conservative where a value could change
// a result): a projection reads every column of every expression, a filter
// its predicate's, an aggregate its group keys and arguments, a join its
// keys and residual condition, a TUMBLE/HOP its time column; ROW_NUMBER,
// ORDER BY, SESSION and anything else read every column (ties are broken
// by whole rows, so a column nobody selects can still pick a row).
#include <vector>

#include "sql/plan/logical.h"

namespace runnel::sql {

namespace {

void read_expr(const expr_ptr& e, std::vector<bool>& read) {
  if (!e) return;
  std::vector<int> cols;
  collect_columns(*e, cols);
  for (int c : cols)
    if (c >= 0 && static_cast<size_t>(c) < read.size()) read[static_cast<size_t>(c)] = true;
}

plan_ptr prune(const plan_ptr& n, const std::vector<bool>& needed) {
  auto out = std::make_shared<plan_node>(*n);
  const size_t width = n->columns.size();
  auto all = [](const plan_node& in) { return std::vector<bool>(in.columns.size(), true); };
  std::vector<std::vector<bool>> reads;  // per input
  switch (n->kind) {
    case plan_kind::filter: {
      std::vector<bool> r = needed;
      read_expr(n->predicate, r);
      reads.push_back(r);
      break;
    }
    case plan_kind::project: {
      std::vector<bool> r(n->inputs[0]->columns.size(), false);
      for (const auto& e : n->exprs) read_expr(e, r);
      reads.push_back(r);
      break;
    }
    case plan_kind::aggregate: {
      std::vector<bool> r(n->inputs[0]->columns.size(), false);
      for (int k : n->group_keys) r[static_cast<size_t>(k)] = true;
      for (const auto& a : n->aggs)
        if (a.arg >= 0) r[static_cast<size_t>(a.arg)] = true;
      reads.push_back(r);
      break;
    }
    case plan_kind::join: {
      const size_t nl = n->inputs[0]->columns.size();
      std::vector<bool> r = needed;
      r.resize(width, true);
      for (auto [l, rc] : n->equi) {
        r[static_cast<size_t>(l)] = true;
        r[nl + static_cast<size_t>(rc)] = true;
      }
      read_expr(n->predicate, r);
      out->unread.clear();
      for (size_t c = 0; c < width; ++c)
        if (!r[c]) out->unread.push_back(static_cast<int>(c));
      reads.emplace_back(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(nl));
      reads.emplace_back(r.begin() + static_cast<std::ptrdiff_t>(nl), r.end());
      break;
    }
    case plan_kind::union_all:
      for (size_t i = 0; i < n->inputs.size(); ++i) reads.push_back(needed);
      break;
    case plan_kind::window:
      if (n->window != window_kind::session) {
        std::vector<bool> r(needed.begin(),
                            needed.begin() + static_cast<std::ptrdiff_t>(width - 2));
        r[static_cast<size_t>(n->time_column)] = true;
        reads.push_back(r);
        break;
      }
      [[fallthrough]];
    default:
      for (const auto& in : n->inputs) reads.push_back(all(*in));
      break;
  }
  for (size_t i = 0; i < out->inputs.size(); ++i) {
    std::vector<bool> r = i < reads.size() ? reads[i] : all(*out->inputs[i]);
    r.resize(out->inputs[i]->columns.size(), true);
    out->inputs[i] = prune(out->inputs[i], r);
  }
  return out;
}

}  // namespace

plan_ptr mark_unread_columns(const plan_ptr& root) {
  return prune(root, std::vector<bool>(root->columns.size(), true));
}

}  // namespace runnel::sql
