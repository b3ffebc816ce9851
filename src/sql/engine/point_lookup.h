// point_lookup: which rows of a relation a one-off query needs, when that
// is fewer than all of them. A query that scans the relation once, right
// under a filter fixing each column of a key to a constant (`WHERE k = 5`,
// `… AND k2 = 'x'`), can only pass rows with that key: the engine reads
// them with a seek of the state store (durable.cc) instead of a scan. The
// filter still runs over what the seek returns, so a seek that returns
// more (or the whole relation, when no key is fixed) changes nothing but
// the cost.
//
// Thread-safety: a pure function of the plan.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sql/exec/rows.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

// A row of the relation's width holding the constant of each column of
// `key` (the rest NULL), if `root` scans relation `relation_id` exactly
// once, directly under a filter with a conjunct `column = constant` for
// every column of `key`, each of a type whose memcomparable key is equal
// exactly when the values are (integers, text, bytea, boolean, dates and
// times — not floats, numerics or intervals, where 1.5 = 1.50). The datums
// point into the plan's constants.
std::optional<std::vector<datum>> key_lookup(const plan_node& root, uint64_t relation_id,
                                             const std::vector<int>& key,
                                             const schema_types& types);

}  // namespace runnel::sql
