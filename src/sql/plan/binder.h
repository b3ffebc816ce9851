// The binder: turns libpg_query's parse tree of a query into a typed
// logical plan, resolving names against the catalog, types against the
// function registry, and checking what SQL requires (grouping, ambiguity).
// Every error points at the position of the offending node.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sql/parse/statement.h"
#include "sql/plan/logical.h"
#include "sql/plan/relation.h"

namespace runnel::sql {

// A reference in the query's text to a relation's column (ALTER ...
// RENAME COLUMN rewrites them): a column reference at `location` (its
// first field), or a * (`star`, the select-list item's location) that
// expands to it.
struct column_use {
  int location = -1;
  uint64_t relation = 0;
  int column = -1;
  bool star = false;
};

struct bind_options {
  const catalog_reader* catalog = nullptr;
  int64_t now = 0;  // µs since the epoch: now() in a one-off query
  std::string database = "dev";
  std::string user = "root";
  // Parameter values ($1 ...): typed constants, or nullopt for NULL. Unset
  // (nullptr): describe mode, parameters stay placeholders and their types
  // are inferred.
  const std::vector<std::pair<sql_type, std::optional<std::string>>>* params = nullptr;
  std::vector<sql_type> param_types;  // declared by Parse (unknown where not)
  // FOR SYSTEM_TIME AS OF PROCTIME() positions (statement::temporal_joins).
  std::vector<int> temporal_joins;
  // Names resolved when a view was created (re-binding it after a rename).
  const std::map<std::string, uint64_t>* resolved = nullptr;
  // The query will be maintained (a materialized view or sink): ORDER BY
  // without LIMIT is ignored, now() only in temporal filters.
  bool streaming = false;
  // When set, every reference of the query's own text (not of the plain
  // views it inlines) to a relation's column is added here.
  std::vector<column_use>* column_uses = nullptr;
  // current_setting(name [, missing_ok]) and set_config(name, value,
  // is_local) of the session running a one-off query (the engine's,
  // engine/session_settings.cc), called while binding. Unset (views,
  // EXPLAIN, describe): current_setting answers the server's defaults
  // (server_settings()) and set_config is 0A000.
  std::function<std::optional<std::string>(const std::string& name)> get_setting;
  std::function<result<std::string>(const std::string& name,
                                    const std::optional<std::string>& value, bool is_local)>
      set_setting;
};

// The server's run-time parameters as PostgreSQL 15 names them (SHOW,
// current_setting, pg_settings), with their values in a new session.
// `fixed`: SET cannot change it (55P02).
struct server_setting {
  const char* name;
  const char* value;
  bool fixed;
  const char* description;
};
const std::vector<server_setting>& server_settings();
// By name, any case (PostgreSQL's parameter names are).
const server_setting* find_server_setting(std::string_view name);

struct bound_query {
  plan_ptr root;
  std::map<std::string, uint64_t> deps;  // the names the query used -> relation ids
  std::vector<sql_type> param_types;     // inferred in describe mode
};

result<bound_query> bind_query(const json& select_stmt, const bind_options& options);

// An expression over given columns (a watermark, a DEFAULT, a CHECK).
result<expr_ptr> bind_expression(const json& node, const std::vector<plan_column>& columns,
                                 const bind_options& options);

// A type name node (TypeName) to our type.
result<sql_type> bind_type_name(const json& type_name);

}  // namespace runnel::sql
