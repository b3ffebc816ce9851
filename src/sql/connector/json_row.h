// json_row: a row as one JSON object — what ENCODE JSON means for a Kafka
// source's record values and a Kafka sink's keys and values.
//
// Decoding matches fields to columns by name (case-insensitively, as
// unquoted SQL names are), takes a missing field or JSON null as NULL and
// ignores fields no column names. Strings are parsed as the column type's
// text form ('2024-03-15 10:00:00' into a timestamp), numbers from their
// exact digits (a numeric keeps every digit), and a jsonb column takes any
// JSON value. Encoding writes numbers and booleans as JSON numbers and
// booleans, jsonb as itself, everything else as its PostgreSQL text form in
// a JSON string.
//
// Thread-safety: a decoder belongs to one thread (it reuses its parser).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sql/error.h"
#include "sql/plan/logical.h"
#include "sql/types/arena.h"
#include "sql/types/datum.h"

namespace runnel::sql {

class json_row_decoder {
 public:
  // Decodes into the first columns.size() datums of a row.
  explicit json_row_decoder(std::vector<plan_column> columns);
  ~json_row_decoder();
  json_row_decoder(json_row_decoder&&) noexcept;
  json_row_decoder& operator=(json_row_decoder&&) noexcept;

  // Fills row[0 .. columns) from `text`, copying strings into `a`. An
  // error (not JSON, not an object, a value the column's type cannot take)
  // names the field; the row is then unspecified.
  result<void> decode(std::string_view text, datum* row, arena& a);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Appends `row` (the given columns of it) as a JSON object.
void append_json_row(const std::vector<plan_column>& columns, const datum* row,
                     const std::vector<int>& which, std::string& out);

}  // namespace runnel::sql
