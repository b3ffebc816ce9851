#include "sql/pgwire/sqlstate.h"

namespace runnel::sql {

std::string_view sqlstate(errc code) {
  switch (code) {
    case errc::syntax_error:
      return "42601";
    case errc::feature_not_supported:
      return "0A000";
    case errc::undefined_table:
      return "42P01";
    case errc::undefined_column:
      return "42703";
    case errc::undefined_function:
      return "42883";
    case errc::undefined_object:
      return "42704";
    case errc::duplicate_object:
      return "42P07";
    case errc::duplicate_column:
      return "42701";
    case errc::duplicate_cursor:
      return "42P03";
    case errc::string_data_right_truncation:
      return "22001";
    case errc::no_active_transaction:
      return "25P01";
    case errc::cant_change_runtime_param:
      return "55P02";
    case errc::ambiguous_column:
      return "42702";
    case errc::datatype_mismatch:
      return "42804";
    case errc::invalid_text_representation:
      return "22P02";
    case errc::numeric_out_of_range:
      return "22003";
    case errc::division_by_zero:
      return "22012";
    case errc::cardinality_violation:
      return "21000";
    case errc::invalid_parameter:
      return "22023";
    case errc::invalid_regular_expression:
      return "2201B";
    case errc::invalid_datetime:
      return "22008";
    case errc::invalid_datetime_format:
      return "22007";
    case errc::grouping_error:
      return "42803";
    case errc::dependent_objects:
      return "2BP01";
    case errc::unique_violation:
      return "23505";
    case errc::not_null_violation:
      return "23502";
    case errc::wrong_object_type:
      return "42809";
    case errc::query_canceled:
      return "57014";
    case errc::protocol_violation:
      return "08P01";
    case errc::invalid_cursor:
      return "34000";
    case errc::invalid_authorization:
      return "28000";
    case errc::undefined_database:
      return "3D000";
    case errc::connection_failure:
      return "08006";
    case errc::io_error:
      return "58030";
    case errc::unavailable:
      return "57P03";  // cannot_connect_now: PostgreSQL's "starting up, retry"
    case errc::internal:
      return "XX000";
  }
  return "XX000";
}

}  // namespace runnel::sql
