// Helpers over rows: memcomparable keys of whole rows or chosen columns,
// and consolidation (merging identical rows of a batch).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "sql/exec/row_batch.h"
#include "sql/types/codec.h"

namespace runnel::sql {

using schema_types = std::vector<sql_type>;

inline void append_row_key(const schema_types& t, const datum* row, std::string& out) {
  for (size_t i = 0; i < t.size(); ++i) codec::append_key(t[i], row[i], out);
}
inline void append_cols_key(const schema_types& t, const datum* row, const std::vector<int>& cols,
                            std::string& out) {
  for (int c : cols) codec::append_key(t[static_cast<size_t>(c)], row[c], out);
}

// Copies every string of `b` into its own arena, so that the batch no
// longer needs what its rows pointed into (a plan's constants, other
// batches): for rows that outlive the query that made them.
void own_strings(row_batch& b, const schema_types& types);

// Appends the rows of `from` with a positive weight to `to`, their strings
// copied into `to`'s arena.
void append_owned(row_batch& to, const row_batch& from, const schema_types& types);

// Merges identical rows (by key) summing weights, drops zero weights.
void consolidate(row_batch& b, const schema_types& types);

// Encodes a row for state values (exact: numeric scales kept) and reads it back.
inline void encode_row(const schema_types& t, const datum* row, std::string& out) {
  codec::append_row(t, row, out);
}
bool decode_row(const schema_types& t, std::string_view in, size_t& pos, datum* row, arena& a);

}  // namespace runnel::sql
