// java.text.SimpleDateFormat patterns, in UTC, for TimestampConverter's
// `format` and TimestampRouter's `timestamp.format` (and the directory
// sink's path.format), so Kafka users' patterns work as written.
//
// Supported letters: G y M d H k K h m s S E a D u z Z X, quoted literals
// ('T', '' for a quote) and any other character as itself. Parsing reads
// exactly the pattern's width for a number that abuts another number
// ("yyyyMMdd"), else as many digits as there are. Other letters (w, W, F,
// Y, L …) are refused when the pattern is compiled.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect {

class date_format {
 public:
  static result<date_format> compile(std::string_view pattern);

  std::string format(int64_t epoch_ms) const;
  result<int64_t> parse(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct token {
    char letter = 0;  // 0: literal
    int count = 0;
    std::string literal;
  };
  std::string pattern_;
  std::vector<token> tokens_;
};

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d);

}  // namespace runnel::connect
