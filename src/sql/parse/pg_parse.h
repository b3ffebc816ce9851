// pg_parse: libpg_query behind one call. The only file that includes
// pg_query.h.
#pragma once

#include <string_view>
#include <vector>

#include "sql/parse/statement.h"

namespace runnel::sql {

// The parse trees of the statements in `text` (RawStmt.stmt nodes), with
// byte positions relative to `text`. A syntax error points at its byte.
result<std::vector<json>> pg_parse(std::string_view text);

// A byte offset into `text` from a 1-based character position (what
// PostgreSQL's error cursor counts), and back.
int byte_offset(std::string_view text, int char_pos_1based);
int char_position(std::string_view text, int byte_offset_0based);

}  // namespace runnel::sql
