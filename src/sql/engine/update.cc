// engine::update(): UPDATE t SET col = expr, … [WHERE cond] on a table
// written with INSERT, as PostgreSQL runs it: every matching row is
// replaced by the row its SET expressions compute from it (each value
// cast to its column's type, as an INSERT's are), checked against NOT
// NULL and the primary key before anything changes, and the whole change
// (the old rows out, the new ones in) goes through the views at once.
#include <map>
#include <string>
#include <vector>

#include "sql/engine/relation_state.h"
#include "sql/exec/rows.h"
#include "sql/plan/functions.h"

namespace runnel::sql {

result<json> update_select(const json& upd, const relation_info& r) {
  const json& rel = upd["relation"];
  const std::string name = rel.value("relname", "");
  if (upd.contains("fromClause") && !upd["fromClause"].empty())
    return make_error(errc::feature_not_supported, rel.value("location", -1),
                      "UPDATE … FROM is not supported yet");
  if (upd.contains("returningList") && !upd["returningList"].empty())
    return make_error(errc::feature_not_supported, rel.value("location", -1),
                      "UPDATE … RETURNING is not supported yet");
  // Each column's new value: its SET expression, or itself.
  std::vector<json> values(r.columns.size());
  for (const auto& t : upd["targetList"]) {
    const json& rt = t["ResTarget"];
    const std::string col = rt.value("name", "");
    const int loc = rt.value("location", -1);
    if (rt.contains("indirection") && !rt["indirection"].empty())
      return make_error(errc::feature_not_supported, loc,
                        "assigning to a field or element of column \"{}\" is not supported", col);
    if (rt["val"].contains("MultiAssignRef"))
      return make_error(errc::feature_not_supported, loc,
                        "UPDATE … SET (a, b) = (…) is not supported yet: assign each column");
    size_t i = 0;
    while (i < r.columns.size() && r.columns[i].name != col) ++i;
    if (i == r.columns.size())
      return make_error(errc::undefined_column, loc,
                        "column \"{}\" of relation \"{}\" does not exist", col, name);
    if (!values[i].is_null())
      return make_error(errc::syntax_error, loc, "multiple assignments to same column \"{}\"", col);
    // SET col = DEFAULT: runnel's columns have no defaults, so NULL.
    values[i] = rt["val"].contains("SetToDefault")
                    ? json{{"A_Const", {{"isnull", true}, {"location", loc}}}}
                    : rt["val"];
  }
  // The old row, then the new one: old columns 0..n-1, new n..2n-1.
  json targets = json::array();
  auto column_ref = [](const std::string& c) {
    return json{{"ColumnRef", {{"fields", json::array({{{"String", {{"sval", c}}}}})}}}};
  };
  for (const auto& c : r.columns) targets.push_back({{"ResTarget", {{"val", column_ref(c.name)}}}});
  for (size_t i = 0; i < r.columns.size(); ++i)
    targets.push_back(
        {{"ResTarget",
          {{"val", values[i].is_null() ? column_ref(r.columns[i].name) : values[i]}}}});
  json sel = star_select(rel, upd.contains("whereClause") ? &upd["whereClause"] : nullptr);
  sel["targetList"] = std::move(targets);
  return sel;
}

result<statement_result> engine::update(const statement& s, int64_t now) {
  const json& upd = s.node["UpdateStmt"];
  const std::string name = upd["relation"].value("relname", "");
  const int loc = upd["relation"].value("location", -1);
  relation* r = lookup(name);
  if (!r) return make_error(errc::undefined_table, loc, "relation \"{}\" does not exist", name);
  if (r->info.kind != relation_kind::table)
    return make_error(errc::wrong_object_type, loc, "cannot update {} \"{}\"",
                      relation_kind_name(r->info.kind), name);
  if (r->source)
    return make_error(errc::wrong_object_type, loc,
                      "cannot update table \"{}\": its rows come from a Kafka topic", name);
  BOOST_OUTCOME_TRY(auto sel, update_select(upd, r->info));
  BOOST_OUTCOME_TRY(auto found, select(sel, s, now));
  const size_t n = r->types.size();
  // Each new value cast to its column's type.
  std::vector<expr_ptr> casts(n);
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(casts[i],
                      make_cast(make_column(static_cast<int>(n + i), found.columns[n + i].type),
                                r->types[i], -1));
  }
  row_batch changes(static_cast<uint32_t>(n));
  changes.keep_alive(found.rows);
  eval_context ctx;
  ctx.strings = &changes.strings();
  ctx.now = now;
  std::vector<datum> fresh(n);
  int64_t count = 0;
  for (size_t k = 0; k < found.rows.size(); ++k) {
    const datum* row = found.rows.row(k);
    const int64_t w = found.rows.weight(k);
    for (size_t i = 0; i < n; ++i) {
      fresh[i] = casts[i]->eval(row, ctx);
      if (ctx.error) return *ctx.error;
      if (r->not_null[i] && fresh[i].is_null())
        return make_error(
            errc::not_null_violation, -1,
            "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
            r->info.columns[i].name, name);
    }
    changes.add(row, -w);  // the old row: its first n columns
    changes.add(fresh.data(), w);
    count += w;
  }
  // A SET of a key column may make two rows share a key: every key of the
  // table once the change is made must be unique.
  bool key_set = false;
  for (const auto& t : upd["targetList"])
    for (int c : r->info.primary_key)
      if (t["ResTarget"].value("name", "") == r->info.columns[static_cast<size_t>(c)].name)
        key_set = true;
  if (key_set && count > 0) {
    BOOST_OUTCOME_TRY(auto all, select(star_select(upd["relation"], nullptr), s, now));
    std::map<std::string, int64_t> keys;
    std::string key;
    auto count_key = [&](const datum* row, int64_t w) {
      key.clear();
      append_cols_key(r->types, row, r->info.primary_key, key);
      keys[key] += w;
    };
    for (size_t i = 0; i < all.rows.size(); ++i) count_key(all.rows.row(i), all.rows.weight(i));
    for (size_t i = 0; i < changes.size(); ++i) count_key(changes.row(i), changes.weight(i));
    for (const auto& [k, c] : keys)
      if (c > 1)
        return make_error(errc::unique_violation, -1,
                          "duplicate key value violates unique constraint \"{}_pkey\"", name);
  }
  BOOST_OUTCOME_TRY(log_changes(*r, changes));  // --share: into the table's topic first
  apply(*r, std::move(changes), now);
  return statement_result{{}, row_batch(0), "UPDATE " + std::to_string(count)};
}

}  // namespace runnel::sql
