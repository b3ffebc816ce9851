#include "sql/error.h"

namespace runnel::sql {

namespace {

class category : public std::error_category {
 public:
  const char* name() const noexcept override { return "sql"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::syntax_error:
        return "syntax error";
      case errc::feature_not_supported:
        return "feature not supported";
      case errc::undefined_table:
        return "undefined table";
      case errc::undefined_column:
        return "undefined column";
      case errc::undefined_function:
        return "undefined function";
      case errc::undefined_object:
        return "undefined object";
      case errc::duplicate_object:
        return "duplicate object";
      case errc::duplicate_column:
        return "duplicate column";
      case errc::duplicate_cursor:
        return "duplicate cursor";
      case errc::string_data_right_truncation:
        return "string data right truncation";
      case errc::no_active_transaction:
        return "no active SQL transaction";
      case errc::cant_change_runtime_param:
        return "cannot change runtime parameter";
      case errc::ambiguous_column:
        return "ambiguous column";
      case errc::datatype_mismatch:
        return "datatype mismatch";
      case errc::invalid_text_representation:
        return "invalid text representation";
      case errc::numeric_out_of_range:
        return "numeric value out of range";
      case errc::division_by_zero:
        return "division by zero";
      case errc::cardinality_violation:
        return "cardinality violation";
      case errc::invalid_parameter:
        return "invalid parameter value";
      case errc::invalid_datetime:
        return "invalid datetime";
      case errc::invalid_datetime_format:
        return "invalid datetime format";
      case errc::grouping_error:
        return "grouping error";
      case errc::dependent_objects:
        return "dependent objects still exist";
      case errc::unique_violation:
        return "unique violation";
      case errc::not_null_violation:
        return "not null violation";
      case errc::wrong_object_type:
        return "wrong object type";
      case errc::query_canceled:
        return "query canceled";
      case errc::protocol_violation:
        return "protocol violation";
      case errc::invalid_cursor:
        return "invalid cursor";
      case errc::invalid_authorization:
        return "invalid authorization";
      case errc::undefined_database:
        return "undefined database";
      case errc::connection_failure:
        return "connection failure";
      case errc::io_error:
        return "I/O error";
      case errc::unavailable:
        return "unavailable";
      case errc::invalid_regular_expression:
        return "invalid regular expression";
      case errc::internal:
        return "internal error";
    }
    return "unknown sql error";
  }
};

}  // namespace

const std::error_category& sql_category() {
  static const category c;
  return c;
}

}  // namespace runnel::sql
