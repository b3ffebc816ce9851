// csv_row: a row as one CSV line — what ENCODE CSV means for a Kafka
// source's record values (one record, one row) and a Kafka sink's values.
//
// Fields are separated by `delimiter` (',' unless ENCODE CSV (delimiter =
// '|')), may be double-quoted (RFC 4180: a quote inside is doubled, and a
// quoted field may hold the delimiter and line breaks), and are read as the
// column type's PostgreSQL text form. An empty unquoted field is NULL; a
// quoted empty one ("") is the empty string.
//
// With a header (RisingWave's default; `without_header = 'true'` turns it
// off) a record whose fields are exactly the value columns' names (in any
// order, case-insensitively) is the header of its partition: it is not a
// row, and the records after it in that partition give their fields in its
// order. Until a partition has shown one (e.g. a source that started after
// the header, or a restart that resumes past it), fields are in the
// columns' order, as without a header.
//
// Thread-safety: a decoder belongs to one thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sql/error.h"
#include "sql/plan/logical.h"
#include "sql/types/arena.h"
#include "sql/types/datum.h"

namespace runnel::sql {

// The fields of one CSV line (a final line break is ignored); an error for
// a quote that does not close or text after a closing quote. `quoted[i]`:
// whether field i was quoted.
result<void> split_csv(std::string_view line, char delimiter, std::vector<std::string>& fields,
                       std::vector<bool>& quoted);

class csv_row_decoder {
 public:
  csv_row_decoder(std::vector<plan_column> columns, char delimiter, bool header);

  // Fills row[0 .. columns) from `text`, a record of `partition`, copying
  // strings into `a`. Returns false (and fills nothing) when the record is
  // its partition's header. An error (a field count that is not the
  // columns', a field its column's type cannot read) names the column.
  result<bool> decode(int32_t partition, std::string_view text, datum* row, arena& a);

 private:
  std::vector<plan_column> columns_;
  char delimiter_;
  bool header_;
  std::map<int32_t, std::vector<int>> order_;  // per partition: field i -> column
  std::vector<std::string> fields_;
  std::vector<bool> quoted_;
};

// Appends `row` (the given columns of it) as one CSV line without a line
// break: text forms, quoted when they hold the delimiter, a quote, a line
// break or nothing at all (so that "" is the empty string); NULL as an
// empty field.
void append_csv_row(const std::vector<plan_column>& columns, const datum* row,
                    const std::vector<int>& which, char delimiter, std::string& out);

}  // namespace runnel::sql
