// The values of the extended query protocol: Bind's parameters, which are
// written into the statement's text as typed literals ($1 becomes
// '42'::bigint, as a client-side driver would do, so that every statement
// the engine runs takes parameters), and result columns in PostgreSQL's
// binary format for the clients that ask for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/error.h"
#include "sql/types/datum.h"
#include "sql/types/type.h"

namespace runnel::sql {

struct bind_param {
  std::optional<std::string> value;  // nullopt: NULL
  bool binary = false;
  uint32_t oid = 0;  // the type Parse declared (0: unspecified)
};

// The highest $n in `query` (outside strings and comments); 0 if none.
int count_params(std::string_view query);

// `query` with every $n replaced by parameter n as a literal of its
// declared type (an untyped literal when it has none, so that it takes its
// neighbour's type, as PostgreSQL infers it). Errors: a $n without a value,
// a binary value of a type this server cannot read.
result<std::string> substitute_params(std::string_view query,
                                      const std::vector<bind_param>& params);

// Appends `d` (not NULL) in PostgreSQL's binary format; false if this
// server has no binary form for the type (the caller reports an error).
bool append_binary(const sql_type& t, const datum& d, std::string& out);

}  // namespace runnel::sql
