// sql_error: what goes wrong in SQL, with the position in the statement it
// points at. Every fallible path of the module returns sql::result<T>
// (DESIGN.md decision 5); the PostgreSQL protocol turns `code` into a
// SQLSTATE in one place (pgwire/sqlstate.cc).
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "model/result.h"

namespace runnel::sql {

enum class errc {
  syntax_error = 1,
  feature_not_supported,
  undefined_table,
  undefined_column,
  undefined_function,
  undefined_object,  // an unknown setting, cursor, prepared statement, ...
  duplicate_object,
  ambiguous_column,
  datatype_mismatch,
  invalid_text_representation,  // '12x'::int
  numeric_out_of_range,
  division_by_zero,
  cardinality_violation,    // a scalar subquery returned more than one row (21000)
  invalid_parameter,        // a bad option or argument value
  invalid_datetime,         // a date/time field or result out of range
  invalid_datetime_format,  // a date/time text that does not read ('x'::date)
  grouping_error,           // a column neither grouped nor aggregated
  dependent_objects,        // DROP of something others depend on
  unique_violation,         // a second row with the same primary key
  not_null_violation,       // NULL in a NOT NULL or primary key column
  wrong_object_type,        // DROP VIEW on a table, INSERT into a view, ...
  query_canceled,
  protocol_violation,
  invalid_cursor,
  invalid_authorization,  // connection refused by the access rules
  undefined_database,
  connection_failure,            // the Kafka cluster cannot be reached
  io_error,                      // state store or catalog could not be read or written
  duplicate_column,              // ALTER TABLE ... RENAME COLUMN to a name the table has
  duplicate_cursor,              // DECLARE of a cursor name the session has
  string_data_right_truncation,  // a string too long for varchar(n) stored into it
  no_active_transaction,         // DECLARE CURSOR (without HOLD) outside BEGIN ... COMMIT
  cant_change_runtime_param,     // SET of a parameter that is fixed (server_version)
  unavailable,  // --share: the relation's pipeline has no process right now (rebalance): retry
  invalid_regular_expression,  // a pattern RE2 cannot compile (2201B)
  internal,
};

const std::error_category& sql_category();

struct sql_error {
  errc code = errc::internal;
  std::string message;
  int position = -1;  // 0-based byte offset in the statement, -1: none
  std::string detail;
  std::string hint;
};

inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), sql_category()};
}
inline std::error_code make_error_code(const sql_error& e) {
  return make_error_code(e.code);
}
[[noreturn]] inline void outcome_throw_as_system_error_with_payload(const sql_error& e) {
  throw std::system_error(make_error_code(e.code), e.message);
}

template <class T>
using result = outcome::std_result<T, sql_error>;

// make_error(errc::undefined_table, pos, "relation \"{}\" does not exist", name)
template <class... A>
sql_error make_error(errc code, int position, fmt::format_string<A...> f, A&&... args) {
  return sql_error{code, fmt::format(f, std::forward<A>(args)...), position, {}, {}};
}

}  // namespace runnel::sql

template <>
struct std::is_error_code_enum<runnel::sql::errc> : std::true_type {};
