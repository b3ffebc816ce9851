// EXPLAIN: the logical plan as an indented tree.
#include <fmt/format.h>

#include "sql/plan/logical.h"
#include "sql/plan/relation.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

std::string interval_text(int64_t us) {
  return dt::format_interval(interval{0, 0, us});
}

void walk(const plan_node& n, int depth, std::string& out) {
  std::string pad(static_cast<size_t>(depth) * 2, ' ');
  std::vector<std::string> in_names;
  if (!n.inputs.empty()) in_names = n.inputs[0]->names();
  auto keys = [&](const std::vector<int>& cols, const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i) s += ", ";
      s += cols[i] < static_cast<int>(names.size()) ? names[static_cast<size_t>(cols[i])]
                                                    : fmt::format("${}", cols[i]);
    }
    return s;
  };
  std::string line;
  switch (n.kind) {
    case plan_kind::scan:
      line = fmt::format("Scan {} ({})", n.relation ? n.relation->name : "?",
                         n.relation ? relation_kind_name(n.relation->kind) : "");
      break;
    case plan_kind::values:
      line = fmt::format("Values ({} rows)", n.rows.size());
      break;
    case plan_kind::filter:
      line = "Filter " + n.predicate->describe(&in_names);
      break;
    case plan_kind::project: {
      line = "Project ";
      for (size_t i = 0; i < n.exprs.size(); ++i) {
        if (i) line += ", ";
        line += n.exprs[i]->describe(&in_names);
      }
      break;
    }
    case plan_kind::aggregate: {
      line =
          fmt::format("{}Aggregate keys=[{}]", n.emit_on_window_close ? "EmitOnWindowClose " : "",
                      keys(n.group_keys, in_names));
      for (const auto& a : n.aggs)
        line += fmt::format(" {}({}{})", a.func, a.distinct ? "DISTINCT " : "",
                            a.arg < 0 ? "*" : in_names[static_cast<size_t>(a.arg)]);
      break;
    }
    case plan_kind::join: {
      const char* t = n.join == join_type::inner  ? "Inner"
                      : n.join == join_type::left ? "Left"
                                                  : "Full";
      std::vector<std::string> l = n.inputs[0]->names(), r = n.inputs[1]->names();
      std::string on;
      for (size_t i = 0; i < n.equi.size(); ++i) {
        if (i) on += " AND ";
        on += l[static_cast<size_t>(n.equi[i].first)] + " = " +
              r[static_cast<size_t>(n.equi[i].second)];
      }
      line = fmt::format("{}{}Join on [{}]", n.temporal ? "Temporal " : "", t, on);
      if (n.predicate) line += " filter " + n.predicate->describe();
      break;
    }
    case plan_kind::union_all:
      line = "UnionAll";
      break;
    case plan_kind::window:
      if (n.window == window_kind::session)
        line = fmt::format("Session partition=[{}] time={} gap={}", keys(n.partition, in_names),
                           in_names[static_cast<size_t>(n.time_column)], interval_text(n.size));
      else if (n.window == window_kind::tumble)
        line = fmt::format("Tumble time={} size={}", in_names[static_cast<size_t>(n.time_column)],
                           interval_text(n.size));
      else
        line = fmt::format("Hop time={} slide={} size={}",
                           in_names[static_cast<size_t>(n.time_column)], interval_text(n.slide),
                           interval_text(n.size));
      break;
    case plan_kind::row_number: {
      std::vector<int> order;
      for (const auto& k : n.order) order.push_back(k.column);
      line = fmt::format("TopN{} partition=[{}] order=[{}] limit={}{}",
                         n.ranking == rank_kind::rank         ? " rank"
                         : n.ranking == rank_kind::dense_rank ? " dense_rank"
                                                              : "",
                         keys(n.partition, in_names), keys(order, in_names),
                         n.limit < 0 ? std::string("none") : std::to_string(n.limit),
                         n.skip ? fmt::format(" offset={}", n.skip) : "");
      break;
    }
    case plan_kind::temporal_filter:
      line = fmt::format("TemporalFilter{}{}",
                         n.bound.lower ? " from " + n.bound.lower->describe(&in_names) : "",
                         n.bound.upper ? " until " + n.bound.upper->describe(&in_names) : "");
      break;
    case plan_kind::sort: {
      std::vector<int> order;
      for (const auto& k : n.order) order.push_back(k.column);
      line = fmt::format("Sort [{}]{}", keys(order, in_names),
                         n.limit >= 0 ? fmt::format(" limit {}", n.limit) : "");
      break;
    }
  }
  if (n.append_only) line += "  (append-only)";
  out += pad + line + "\n";
  for (const auto& in : n.inputs) walk(*in, depth + 1, out);
}

}  // namespace

std::string explain(const plan_node& n) {
  std::string out;
  walk(n, 0, out);
  return out;
}

}  // namespace runnel::sql
