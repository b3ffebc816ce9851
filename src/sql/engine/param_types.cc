// The types of a prepared statement's parameters ($1, $2, ...), inferred
// as PostgreSQL does when it parses one: drivers that prepare first (pgx,
// pgJDBC) read them from ParameterDescription and encode their arguments
// as those types, most in binary.
#include <algorithm>
#include <mutex>

#include "sql/engine/relation_state.h"
#include "sql/parse/statement.h"
#include "sql/plan/binder.h"

namespace runnel::sql {

namespace {

// Records the type of each $n of `e` into `types` (the first one that is
// known wins: a parameter used twice keeps its first context's type).
void collect_param_types(const expr_ptr& e, std::vector<sql_type>& types) {
  if (!e) return;
  if (e->kind == expr_kind::param && e->column >= 0 && e->type.id != type_id::unknown) {
    auto i = static_cast<size_t>(e->column);
    if (i < types.size() && types[i].id == type_id::unknown) types[i] = e->type;
  }
  for (const auto& a : e->args) collect_param_types(a, types);
}

void collect_param_types(const plan_node& n, std::vector<sql_type>& types) {
  for (const auto& row : n.rows)
    for (const auto& e : row) collect_param_types(e, types);
  collect_param_types(n.predicate, types);
  for (const auto& e : n.exprs) collect_param_types(e, types);
  collect_param_types(n.bound.lower, types);
  collect_param_types(n.bound.upper, types);
  for (const auto& in : n.inputs) collect_param_types(*in, types);
}

}  // namespace

std::vector<sql_type> engine::param_types(std::string_view sql, std::vector<sql_type> declared,
                                          int n) {
  std::vector<sql_type> types = std::move(declared);
  types.resize(static_cast<size_t>(std::max(n, 0)), sql_type(type_id::unknown));
  auto infer = [&]() -> result<void> {
    BOOST_OUTCOME_TRY(auto stmts, parse_sql(sql));
    if (stmts.size() != 1 || stmts[0].kind != stmt_kind::pg) return outcome::success();
    const statement& s = stmts[0];
    const json& node = s.node;
    bind_options opt;  // no values: describe mode, $n stay parameters
    opt.catalog = this;
    opt.param_types = types;
    opt.temporal_joins = s.temporal_joins;
    std::lock_guard lock(mu_);
    if (node.contains("SelectStmt")) {
      BOOST_OUTCOME_TRY(auto q, bind_query(node["SelectStmt"], opt));
      collect_param_types(*q.root, types);
    } else if (node.contains("DeleteStmt")) {
      const json& del = node["DeleteStmt"];
      json sel =
          star_select(del["relation"], del.contains("whereClause") ? &del["whereClause"] : nullptr);
      BOOST_OUTCOME_TRY(auto q, bind_query(sel, opt));
      collect_param_types(*q.root, types);
    } else if (node.contains("UpdateStmt")) {
      // SET col = $1: the column's type; in WHERE, as in a SELECT.
      const json& upd = node["UpdateStmt"];
      relation* r = lookup(upd["relation"].value("relname", ""));
      if (!r) return outcome::success();
      for (const auto& t : upd["targetList"]) {
        const json& rt = t["ResTarget"];
        if (!rt.contains("val") || !rt["val"].contains("ParamRef")) continue;
        int num = rt["val"]["ParamRef"].value("number", 0);
        auto i = static_cast<size_t>(num - 1);
        for (size_t c = 0; c < r->info.columns.size(); ++c)
          if (r->info.columns[c].name == rt.value("name", "") && num >= 1 && i < types.size() &&
              types[i].id == type_id::unknown)
            types[i] = r->types[c];
      }
      opt.param_types = types;
      BOOST_OUTCOME_TRY(auto sel, update_select(upd, r->info));
      BOOST_OUTCOME_TRY(auto q, bind_query(sel, opt));
      collect_param_types(*q.root, types);
    } else if (node.contains("InsertStmt")) {
      const json& ins = node["InsertStmt"];
      relation* r = lookup(ins["relation"].value("relname", ""));
      if (!r || !ins.contains("selectStmt")) return outcome::success();
      std::vector<int> targets;
      if (ins.contains("cols")) {
        for (const auto& c : ins["cols"]) {
          std::string col = c["ResTarget"].value("name", "");
          int found = -1;
          for (size_t i = 0; i < r->info.columns.size(); ++i)
            if (r->info.columns[i].name == col) found = static_cast<int>(i);
          targets.push_back(found);
        }
      } else {
        for (size_t i = 0; i < r->types.size(); ++i) targets.push_back(static_cast<int>(i));
      }
      // VALUES ($1, $2): a bare parameter takes its column's type.
      const json& sel = ins["selectStmt"].contains("SelectStmt") ? ins["selectStmt"]["SelectStmt"]
                                                                 : ins["selectStmt"];
      if (sel.contains("valuesLists"))
        for (const auto& row : sel["valuesLists"]) {
          const json& items = row["List"]["items"];
          for (size_t k = 0; k < items.size() && k < targets.size(); ++k) {
            if (!items[k].contains("ParamRef") || targets[k] < 0) continue;
            int num = items[k]["ParamRef"].value("number", 0);
            auto i = static_cast<size_t>(num - 1);
            if (num >= 1 && i < types.size() && types[i].id == type_id::unknown)
              types[i] = r->types[static_cast<size_t>(targets[k])];
          }
        }
      opt.param_types = types;
      BOOST_OUTCOME_TRY(auto q, bind_query(ins["selectStmt"], opt));
      collect_param_types(*q.root, types);
    }
    return outcome::success();
  };
  (void)infer();
  for (auto& t : types)
    if (t.id == type_id::unknown) t = type_id::text;
  return types;
}

}  // namespace runnel::sql
