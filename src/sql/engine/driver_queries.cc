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

}  // namespace

std::optional<std::string> rewrite_driver_query(std::string_view sql) {
  return jdbc_primary_keys(sql);
}

}  // namespace runnel::sql
