// psql_describe: psql's \d name — the catalog queries psql 15 sends to
// describe one relation (describeTableDetails in psql's describe.c),
// recognised by their text and answered from the engine's relations:
//  - which relations the name (a pattern) matches: pg_class joined to
//    pg_namespace, OPERATOR(pg_catalog.~), pg_table_is_visible;
//  - the relation's kind and flags (relchecks, relkind, relhasindex, ...);
//  - its columns: attname, format_type, the default and collation
//    subqueries, attnotnull, attidentity, attgenerated;
//  - the footers psql asks about: the index of a declared primary key
//    (as PostgreSQL's `<name>_pkey`); no policies, statistics,
//    publications, inheritance, partitions, rules or triggers; a source's
//    (a foreign table's) server and options: "kafka" and its topic.
// runnel's SQL has no pg_policy, pg_inherits or pg_publication, nor the
// correlated subqueries of these shapes (a subquery with ORDER BY/LIMIT,
// collations), so these queries could not run as SQL; answering them
// by their shape keeps psql's output exactly PostgreSQL's for the columns
// and types of tables, sources and views. \d+ (verbose) gets the same
// columns with its extra ones empty.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "sql/engine/engine.h"

namespace runnel::sql {

struct described_relation {
  const relation_info* info = nullptr;
  std::vector<bool> not_null;  // per column
};

// The answer to `sql` if it is one of psql's \d queries, else nullopt.
std::optional<statement_result> psql_describe(std::string_view sql,
                                              const std::vector<described_relation>& relations);

}  // namespace runnel::sql
