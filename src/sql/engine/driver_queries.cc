#include "sql/engine/driver_queries.h"

namespace runnel::sql {

namespace {

bool has(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// `text` with each identifier `from` outside quotes spelled `to`.
std::string rename_outside_quotes(std::string_view text, std::string_view from,
                                  std::string_view to) {
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\'') quoted = !quoted;  // '' inside a literal toggles twice
    if (!quoted && text.substr(i).starts_with(from)) {
      out += to;
      i += from.size();
      continue;
    }
    out += text[i++];
  }
  return out;
}

// pgJDBC's getPrimaryKeys: `… FROM pg_catalog.pg_constraint con JOIN
// pg_catalog.pg_class ct … WHERE con.contype = 'p' [AND n.nspname = …]
// [AND ct.relname = …] ) result where result.A_ATTNUM = (result.KEYS).x
// ORDER BY …`.
std::optional<std::string> jdbc_primary_keys(std::string_view sql) {
  constexpr std::string_view where = "WHERE con.contype = 'p'", end = ") result where";
  if (!sql.starts_with("SELECT ") || !has(sql, "information_schema._pg_expandarray(con.conkey)") ||
      !has(sql, "FROM pg_catalog.pg_constraint con"))
    return std::nullopt;
  size_t w = sql.find(where);
  if (w == std::string_view::npos) return std::nullopt;
  w += where.size();
  size_t e = sql.find(end, w);
  if (e == std::string_view::npos) return std::nullopt;
  std::string conditions = rename_outside_quotes(sql.substr(w, e - w), "n.nspname", "table_schema");
  conditions = rename_outside_quotes(conditions, "ct.relname", "table_name");
  return "SELECT current_database() AS \"TABLE_CAT\", table_schema AS \"TABLE_SCHEM\", "
         "table_name AS \"TABLE_NAME\", column_name AS \"COLUMN_NAME\", "
         "ordinal_position AS \"KEY_SEQ\", constraint_name AS \"PK_NAME\" "
         "FROM information_schema.key_column_usage WHERE true " +
         conditions + " ORDER BY 3, 6, 5";
}

// pgJDBC's getIndexInfo: pg_index's key array through _pg_expandarray.
// runnel's only indexes are the primary keys' (`<table>_pkey`, unique
// btrees as PostgreSQL makes them), whose columns key_column_usage has in
// key order; the driver's conditions (`AND n.nspname = …`, `AND
// ct.relname = …`, `AND i.indisunique`) are kept, on its columns.
std::optional<std::string> jdbc_index_info(std::string_view sql) {
  constexpr std::string_view where = "WHERE true", end = ") AS tmp ORDER BY";
  if (!sql.starts_with("SELECT ") || !has(sql, "AS \"INDEX_QUALIFIER\"") ||
      !has(sql, "JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid)"))
    return std::nullopt;
  size_t w = sql.rfind(where);
  size_t e = sql.rfind(end);
  if (w == std::string_view::npos || e == std::string_view::npos || e < w) return std::nullopt;
  w += where.size();
  std::string conditions = rename_outside_quotes(sql.substr(w, e - w), "n.nspname", "table_schema");
  conditions = rename_outside_quotes(conditions, "ct.relname", "table_name");
  conditions = rename_outside_quotes(conditions, "AND i.indisunique", "");
  return "SELECT current_database() AS \"TABLE_CAT\", table_schema AS \"TABLE_SCHEM\", "
         "table_name AS \"TABLE_NAME\", false AS \"NON_UNIQUE\", "
         "NULL::text AS \"INDEX_QUALIFIER\", constraint_name AS \"INDEX_NAME\", 3 AS \"TYPE\", "
         "ordinal_position AS \"ORDINAL_POSITION\", column_name AS \"COLUMN_NAME\", "
         "'A' AS \"ASC_OR_DESC\", 0::real AS \"CARDINALITY\", 1 AS \"PAGES\", "
         "NULL::text AS \"FILTER_CONDITION\", NULL::text AS \"REMARKS\" "
         "FROM information_schema.key_column_usage WHERE true " +
         conditions + " ORDER BY 4, 7, 6, 8";
}

// pgJDBC's getImportedKeys, getExportedKeys and getCrossReference: foreign
// keys from pg_constraint's key arrays. runnel has no foreign keys: the
// same columns, no rows.
std::optional<std::string> jdbc_foreign_keys(std::string_view sql) {
  if (!sql.starts_with("SELECT ") || !has(sql, "AS \"FKTABLE_CAT\"") ||
      !has(sql, "con.contype = 'f'"))
    return std::nullopt;
  return "SELECT current_database() AS \"PKTABLE_CAT\", NULL::text AS \"PKTABLE_SCHEM\", "
         "NULL::text AS \"PKTABLE_NAME\", NULL::text AS \"PKCOLUMN_NAME\", "
         "current_database() AS \"FKTABLE_CAT\", NULL::text AS \"FKTABLE_SCHEM\", "
         "NULL::text AS \"FKTABLE_NAME\", NULL::text AS \"FKCOLUMN_NAME\", "
         "NULL::int AS \"KEY_SEQ\", NULL::int AS \"UPDATE_RULE\", NULL::int AS \"DELETE_RULE\", "
         "NULL::text AS \"FK_NAME\", NULL::text AS \"PK_NAME\", NULL::int AS \"DEFERRABILITY\" "
         "WHERE false";
}

// pgJDBC's getFunctions: FUNCTION_TYPE from pg_get_function_result's text,
// which runnel does not have; pg_proc.proretset says the same (2: returns
// a table or set, 1: a value). The driver's WHERE (prokind, name and
// schema patterns) is kept.
std::optional<std::string> jdbc_functions(std::string_view sql) {
  constexpr std::string_view where = "WHERE true", end = "ORDER BY \"FUNCTION_SCHEM\"";
  if (!sql.starts_with("SELECT ") || !has(sql, "AS \"FUNCTION_CAT\"") ||
      !has(sql, "FROM pg_catalog.pg_proc p"))
    return std::nullopt;
  size_t w = sql.find(where);
  size_t e = sql.find(end);
  if (w == std::string_view::npos || e == std::string_view::npos || e < w) return std::nullopt;
  return "SELECT current_database() AS \"FUNCTION_CAT\", n.nspname AS \"FUNCTION_SCHEM\", "
         "p.proname AS \"FUNCTION_NAME\", d.description AS \"REMARKS\", "
         "CASE WHEN p.proretset THEN 2 ELSE 1 END AS \"FUNCTION_TYPE\", "
         "p.proname || '_' || p.oid AS \"SPECIFIC_NAME\" "
         "FROM pg_catalog.pg_proc p INNER JOIN pg_catalog.pg_namespace n ON p.pronamespace=n.oid "
         "LEFT JOIN pg_catalog.pg_description d ON p.oid=d.objoid " +
         std::string(sql.substr(w, e - w)) + "ORDER BY 2, 3, p.oid";
}

// pgJDBC's getTypeInfo (TypeInfoCache): `t.typrelid = 0 OR (SELECT
// c.relkind = 'c' FROM pg_class c WHERE c.oid = t.typrelid)`, a scalar
// subquery; runnel's pg_type has no row types of relations (typrelid is
// always 0), so the first half alone is the same condition.
std::optional<std::string> jdbc_type_info(std::string_view sql) {
  constexpr std::string_view sub =
      "(t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = "
      "t.typrelid))";
  size_t at = sql.find(sub);
  if (!sql.starts_with("SELECT t.typname,t.oid FROM pg_catalog.pg_type t") ||
      at == std::string_view::npos)
    return std::nullopt;
  return std::string(sql.substr(0, at)) + "(t.typrelid = 0)" +
         std::string(sql.substr(at + sub.size()));
}

}  // namespace

std::optional<std::string> rewrite_driver_query(std::string_view sql) {
  for (auto* rewrite : {jdbc_primary_keys, jdbc_index_info, jdbc_foreign_keys, jdbc_functions,
                        jdbc_type_info})
    if (auto q = rewrite(sql)) return q;
  return std::nullopt;
}

}  // namespace runnel::sql
