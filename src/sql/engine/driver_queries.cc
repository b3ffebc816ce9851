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

// `text` with every `from` replaced by `to` (quotes not considered: the
// fragments replaced are whole expressions of a known query).
std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// psql 15's meta-commands (psql -E shows their queries), by their text.

// \df [pattern]: pg_proc without signatures (pg_get_function_result and
// _arguments are not there): NULL types.
std::optional<std::string> psql_functions(std::string_view sql) {
  if (!sql.starts_with("SELECT n.nspname as \"Schema\",") ||
      !has(sql, "pg_catalog.pg_get_function_result(p.oid) as \"Result data type\"") ||
      !has(sql, "FROM pg_catalog.pg_proc p"))
    return std::nullopt;
  std::string q =
      replace_all(std::string(sql), "pg_catalog.pg_get_function_result(p.oid)", "NULL::text");
  q = replace_all(q, "pg_catalog.pg_get_function_arguments(p.oid)", "NULL::text");
  return q;
}

// \l: the one database, with PostgreSQL's columns (owner, UTF8, C locale).
std::optional<std::string> psql_databases(std::string_view sql) {
  if (!sql.starts_with("SELECT d.datname as \"Name\",") ||
      !has(sql, "FROM pg_catalog.pg_database d") || !has(sql, "as \"Encoding\""))
    return std::nullopt;
  return "SELECT d.datname AS \"Name\", pg_catalog.pg_get_userbyid(10) AS \"Owner\", "
         "'UTF8' AS \"Encoding\", 'C' AS \"Collate\", 'C' AS \"Ctype\", "
         "NULL::text AS \"ICU Locale\", 'libc' AS \"Locale Provider\", "
         "NULL::text AS \"Access privileges\" FROM pg_catalog.pg_database d ORDER BY 1";
}

// \du, \dg: one role, the session's user (any user may connect), a
// superuser; psql's own WHERE (its name pattern) over it.
std::optional<std::string> psql_roles(std::string_view sql) {
  constexpr std::string_view from = "FROM pg_catalog.pg_roles r";
  if (!sql.starts_with("SELECT r.rolname, r.rolsuper,") || !has(sql, from)) return std::nullopt;
  size_t f = sql.find(from);
  return "SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, "
         "r.rolcanlogin, r.rolconnlimit, r.rolvaliduntil, r.memberof, r.rolreplication, "
         "r.rolbypassrls FROM (SELECT current_user AS rolname, true AS rolsuper, "
         "true AS rolinherit, true AS rolcreaterole, true AS rolcreatedb, true AS rolcanlogin, "
         "-1 AS rolconnlimit, NULL::timestamptz AS rolvaliduntil, '{}'::text[] AS memberof, "
         "true AS rolreplication, true AS rolbypassrls) r" +
         std::string(sql.substr(f + from.size()));
}

// \di [pattern]: the primary keys' indexes (`<table>_pkey`), with psql's
// name pattern on the index name.
std::optional<std::string> psql_indexes(std::string_view sql) {
  if (!sql.starts_with("SELECT n.nspname as \"Schema\",") ||
      !has(sql, "LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid") ||
      !has(sql, "WHERE c.relkind IN ('i','I',"))
    return std::nullopt;
  std::string pattern;
  constexpr std::string_view name = "c.relname OPERATOR(pg_catalog.~) ";
  if (size_t p = sql.find(name); p != std::string_view::npos) {
    size_t e = sql.find("COLLATE pg_catalog.default", p);
    if (e == std::string_view::npos) return std::nullopt;
    pattern = " AND constraint_name OPERATOR(pg_catalog.~) " +
              std::string(sql.substr(p + name.size(), e - p - name.size()));
  }
  return "SELECT table_schema AS \"Schema\", constraint_name AS \"Name\", 'index' AS \"Type\", "
         "pg_catalog.pg_get_userbyid(10) AS \"Owner\", table_name AS \"Table\" "
         "FROM information_schema.table_constraints WHERE constraint_type = 'PRIMARY KEY'" +
         pattern + " ORDER BY 1, 2";
}

// \dT: the scalar subquery over pg_class as in getTypeInfo, and the
// NOT EXISTS that leaves out array types: here, the types with an element.
std::optional<std::string> psql_types(std::string_view sql) {
  constexpr std::string_view sub =
      "(t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = "
      "t.typrelid))";
  constexpr std::string_view arrays =
      "NOT EXISTS(SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = "
      "t.oid)";
  if (!sql.starts_with("SELECT n.nspname as \"Schema\",") ||
      !has(sql, "FROM pg_catalog.pg_type t") || !has(sql, sub))
    return std::nullopt;
  return replace_all(replace_all(std::string(sql), sub, "(t.typrelid = 0)"), arrays,
                     "t.typelem = 0");
}

// \dx: no extensions.
std::optional<std::string> psql_extensions(std::string_view sql) {
  if (!sql.starts_with("SELECT e.extname AS \"Name\"") ||
      !has(sql, "FROM pg_catalog.pg_extension e"))
    return std::nullopt;
  return "SELECT NULL::text AS \"Name\", NULL::text AS \"Version\", NULL::text AS \"Schema\", "
         "NULL::text AS \"Description\" WHERE false";
}

}  // namespace

std::optional<std::string> rewrite_driver_query(std::string_view sql) {
  for (auto* rewrite :
       {jdbc_primary_keys, jdbc_index_info, jdbc_foreign_keys, jdbc_functions, jdbc_type_info,
        psql_functions, psql_databases, psql_roles, psql_indexes, psql_types, psql_extensions})
    if (auto q = rewrite(sql)) return q;
  return std::nullopt;
}

}  // namespace runnel::sql
