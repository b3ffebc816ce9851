#include "sql/engine/point_lookup.h"

#include "sql/plan/relation.h"

namespace runnel::sql {

namespace {

bool exact_key(type_id t) {
  switch (t) {
    case type_id::boolean:
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::text:
    case type_id::bytea:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz:
      return true;
    default:
      return false;
  }
}

// The scans of `relation_id` under `n`, each with the node right above it.
void find_scans(const plan_node& n, const plan_node* parent, uint64_t relation_id,
                std::vector<std::pair<const plan_node*, const plan_node*>>& out) {
  if (n.kind == plan_kind::scan && n.relation && n.relation->id == relation_id)
    out.emplace_back(&n, parent);
  for (const auto& in : n.inputs) find_scans(*in, &n, relation_id, out);
}

void conjuncts(const expr_ptr& e, std::vector<const expr*>& out) {
  if (e->kind == expr_kind::and_) {
    for (const auto& a : e->args) conjuncts(a, out);
    return;
  }
  out.push_back(e.get());
}

}  // namespace

std::optional<std::vector<datum>> key_lookup(const plan_node& root, uint64_t relation_id,
                                             const std::vector<int>& key,
                                             const schema_types& types) {
  if (key.empty()) return std::nullopt;
  std::vector<std::pair<const plan_node*, const plan_node*>> scans;
  find_scans(root, nullptr, relation_id, scans);
  if (scans.size() != 1) return std::nullopt;
  const plan_node* filter = scans[0].second;
  if (!filter || filter->kind != plan_kind::filter || !filter->predicate) return std::nullopt;
  std::vector<const expr*> parts;
  conjuncts(filter->predicate, parts);
  std::vector<datum> row(types.size(), datum::null_value());
  std::vector<bool> fixed(types.size(), false);
  for (const expr* e : parts) {
    if (e->kind != expr_kind::call || e->name != "=" || e->args.size() != 2) continue;
    const expr* col = e->args[0].get();
    const expr* value = e->args[1].get();
    if (col->kind != expr_kind::column) std::swap(col, value);
    if (col->kind != expr_kind::column || value->kind != expr_kind::constant) continue;
    if (col->column < 0 || static_cast<size_t>(col->column) >= types.size()) continue;
    const size_t c = static_cast<size_t>(col->column);
    // A NULL never equals anything: the filter passes no row, and a seek
    // for the NULL key returns none either.
    if (value->type.id != types[c].id || !exact_key(types[c].id)) continue;
    row[c] = value->value;
    fixed[c] = true;
  }
  for (int k : key)
    if (k < 0 || static_cast<size_t>(k) >= types.size() || !fixed[static_cast<size_t>(k)])
      return std::nullopt;
  return row;
}

}  // namespace runnel::sql
