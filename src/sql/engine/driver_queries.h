// driver_queries: catalog queries that drivers send and runnel's SQL cannot
// run as written, rewritten into equivalent queries it can (psql's \d
// queries, which need more, are answered whole by psql_describe.h).
//
// pgJDBC's DatabaseMetaData.getPrimaryKeys (42.x) reads pg_constraint's
// key array through information_schema._pg_expandarray, a set-returning
// function of records; the same rows come from
// information_schema.key_column_usage, which runnel has, filtered by the
// same schema and table conditions (its parameters are already literals
// when the engine sees the text: pgwire/params.h). Likewise pgJDBC's
// getIndexInfo, its foreign-key calls (no rows), getFunctions and
// getTypeInfo, and psql 15's \df, \l, \du/\dg, \di, \dT and \dx.
//
// Thread-safety: a pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace runnel::sql {

// The query to run instead of `sql`, if `sql` is one of those queries.
std::optional<std::string> rewrite_driver_query(std::string_view sql);

}  // namespace runnel::sql
