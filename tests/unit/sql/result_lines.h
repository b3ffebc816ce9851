// result_lines: a statement's result as text lines, for the engine tests to
// compare with what they expect.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sql/engine/engine.h"
#include "sql/types/text_format.h"

namespace runnel::sql::testing {

// Each row as "a|b" (NULL for a null), once per copy of it, in the order
// the result holds them.
inline std::vector<std::string> result_lines(const statement_result& r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    std::string line;
    for (size_t c = 0; c < r.columns.size(); ++c) {
      if (c) line += '|';
      const datum& d = r.rows.row(i)[c];
      line += d.is_null() ? "NULL" : to_text(r.columns[c].type, d);
    }
    for (int64_t n = 0; n < r.rows.weight(i); ++n) out.push_back(line);
  }
  return out;
}

// The last statement's lines of `e.execute(sql, now, session)`, sorted
// when `sorted` (a failed statement fails the test and gives none).
inline std::vector<std::string> last_lines(engine& e, std::string_view sql, int64_t now = 0,
                                           uint64_t session = 0, bool sorted = true) {
  auto r = e.execute(sql, now, session);
  EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
  if (!r || r.value().empty()) return {};
  auto out = result_lines(r.value().back());
  if (sorted) std::sort(out.begin(), out.end());
  return out;
}

}  // namespace runnel::sql::testing
