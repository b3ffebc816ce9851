// Validators for numeric flags whose failures read as sentences. CLI11's own
// (PositiveNumber, NonNegativeNumber) print their bound as a 300-digit
// double ("Value 0 not in range [2.2e-308 - 17976931348623157...]").
#pragma once

#include <cstdlib>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

namespace runnel::cli {

namespace detail {
inline bool parse_number(const std::string& s, long double& v) {
  char* end = nullptr;
  v = std::strtold(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}
}  // namespace detail

// A whole number >= min: "must be at least 1 (got 0)".
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& s) -> std::string {
        long double v = 0;
        if (!detail::parse_number(s, v)) return fmt::format("'{}' is not a number", s);
        if (v < static_cast<long double>(min))
          return fmt::format("must be at least {} (got {})", min, s);
        return {};
      },
      fmt::format("NUMBER>={}", min));
}

// A number in [min, max]: "must be between 1 and 256 (got 0)".
inline CLI::Validator between(long long min, long long max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        long double v = 0;
        if (!detail::parse_number(s, v)) return fmt::format("'{}' is not a number", s);
        if (v < static_cast<long double>(min) || v > static_cast<long double>(max))
          return fmt::format("must be between {} and {} (got {})", min, max, s);
        return {};
      },
      fmt::format("{}..{}", min, max));
}

// A number > 0, fractions allowed (a rate).
inline CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        long double v = 0;
        if (!detail::parse_number(s, v)) return fmt::format("'{}' is not a number", s);
        if (!(v > 0)) return fmt::format("must be more than 0 (got {})", s);
        return {};
      },
      "NUMBER>0");
}

}  // namespace runnel::cli
