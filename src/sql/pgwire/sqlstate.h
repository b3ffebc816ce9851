// The one place where SQL errors become PostgreSQL's SQLSTATE codes
// (like src/broker/errors.cc for Kafka's error codes).
#pragma once

#include <string_view>

#include "sql/error.h"

namespace runnel::sql {

std::string_view sqlstate(errc code);

}  // namespace runnel::sql
