// statement: one parsed SQL statement. PostgreSQL's own statements keep
// libpg_query's parse tree (`node`, its JSON form); the streaming extensions
// are read by the pre-pass (prepass.cc) into the fields below, and whatever
// part of them is PostgreSQL (a column list, a query) is parsed by
// libpg_query too, at the same byte positions as in the statement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sql/error.h"

namespace runnel::sql {

using json = nlohmann::json;

// WITH (key = value, ...): keys may be dotted (properties.bootstrap.server).
struct with_options {
  std::vector<std::pair<std::string, std::string>> items;
  int position = -1;
  std::optional<std::string> get(std::string_view key) const {
    for (const auto& [k, v] : items)
      if (k == key) return v;
    return std::nullopt;
  }
};

// FORMAT PLAIN|UPSERT ENCODE JSON|CSV|BYTES [( options )]
struct format_spec {
  std::string format;  // lower case; empty if absent
  std::string encode;
  with_options options;
  int position = -1;
};

// WATERMARK FOR column AS expression
struct watermark_spec {
  std::string column;
  int column_pos = -1;
  json expr;  // the expression's parse tree (positions in the statement)
};

// INCLUDE key|partition|offset|timestamp|header 'name' [varchar|bytea]|header|headers [AS alias]
struct include_spec {
  std::string what;    // "headers" for all of them (INCLUDE header without a name, too)
  std::string header;  // INCLUDE header 'name'
  std::string type;    // INCLUDE header 'name' varchar: "varchar" (default: bytea)
  std::string alias;
  int position = -1;
};

enum class stmt_kind {
  pg,             // parsed by libpg_query: SELECT, INSERT, EXPLAIN, SET, BEGIN, ...
  create_source,  // CREATE SOURCE, or CREATE TABLE ... WITH (connector = ...)
  create_view,    // CREATE [MATERIALIZED] VIEW
  create_sink,
  drop,
  alter_rename,
  show,
  describe,
  flush,
  subscribe,
  declare,  // DECLARE name CURSOR FOR SUBSCRIBE ... | SELECT ...
  fetch,
  close_cursor,
};

struct statement {
  stmt_kind kind = stmt_kind::pg;
  std::string sql;    // the statement's text as the client wrote it
  size_t offset = 0;  // where it starts in the query string the client sent

  // pg: the statement node; create_source: the CreateStmt (columns and
  // constraints); create_view, create_sink AS, subscribe, declare: the
  // query (a SelectStmt), or null when they name a relation.
  json node;

  std::string name;  // the object created, dropped, renamed, described, subscribed, the cursor
  int name_pos = -1;
  bool if_not_exists = false;

  // create_source
  bool is_table = false;  // CREATE TABLE ... WITH (connector = ...): materialized
  std::vector<watermark_spec> watermarks;
  std::vector<include_spec> includes;
  with_options with;
  format_spec format;

  // create_view
  bool materialized = false;
  bool emit_on_window_close = false;
  std::vector<std::string> column_names;  // CREATE VIEW v (a, b) AS ...

  // FOR SYSTEM_TIME AS OF PROCTIME() after a table reference: the byte
  // position of FOR (the reference is the last one before it).
  std::vector<int> temporal_joins;

  // create_sink (FROM relation), subscribe (TO relation)
  std::string from;
  int from_pos = -1;

  // drop, alter_rename: "table", "source", "sink", "view", "materialized view"
  std::string object_kind;
  std::vector<std::string> names;
  bool if_exists = false;
  bool cascade = false;
  std::string new_name;
  std::string column;  // alter_rename: RENAME COLUMN column TO new_name
  int column_pos = -1;

  // show: "tables", "sources", "sinks", "views", "materialized views",
  // "columns", "create", "all", "parameter"; show_arg: the relation or setting
  std::string show_what;
  std::string show_arg;

  // fetch: rows wanted (-1: ALL); timeout in ms (-1: wait for a row)
  int64_t fetch_count = 1;
  int64_t timeout_ms = -1;
  // fetch: MOVE (skips the rows, returns none)
  bool move = false;
  // declare: the cursor's query is SUBSCRIBE (else a SELECT); WITH HOLD
  // (a SELECT cursor that outlives its transaction)
  bool declare_subscribe = false;
  bool hold = false;
  // subscribe: COPY (SUBSCRIBE ...) TO STDOUT (else SUBSCRIBE alone; both
  // stream over COPY out)
  bool copy_out = false;
  // subscribe: the SUBSCRIBE alone (inside COPY's parentheses), as written:
  // what --share forwards to the process that runs the relation
  std::string subscribe_sql;
};

// Splits a query string into statements and parses each. Errors point at
// their byte position in `query`.
result<std::vector<statement>> parse_sql(std::string_view query);

// Parses one expression (a DEFAULT, a WATERMARK, a test) alone.
result<json> parse_expression(std::string_view expr);

}  // namespace runnel::sql
