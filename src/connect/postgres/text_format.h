// PostgreSQL's text output forms, parsed: what pgoutput sends for each
// column (DateStyle ISO, IntervalStyle postgres, bytea_output hex — the
// server defaults, which a replication connection does not change).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runnel::connect::postgres::text {

template <class T>
std::optional<T> parse_int(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// "YYYY-MM-DD[ BC]" → days since 1970-01-01 (proleptic Gregorian).
std::optional<std::int64_t> parse_date(std::string_view s);
// "HH:MM:SS[.ffffff]" → microseconds of the day.
std::optional<std::int64_t> parse_time(std::string_view s);
// "YYYY-MM-DD HH:MM:SS[.f][ BC]" → microseconds since the epoch.
std::optional<std::int64_t> parse_timestamp(std::string_view s);
// A zone offset "+HH[:MM[:SS]]" → seconds east of UTC.
std::optional<std::int64_t> parse_offset(std::string_view s);
// "time+zz" split at the zone's sign (after the seconds).
std::optional<std::pair<std::string_view, std::string_view>> split_zone(std::string_view s);
// Microseconds since the epoch → "2026-12-03T08:00:00.5Z".
std::string iso_utc(std::int64_t us);
// ".5" for 500000 µs; "" for 0: fraction digits only as needed.
std::string fraction(std::int64_t micros_of_second);
// "1 year 2 mons -3 days +04:05:06.5" → microseconds, a month counted as
// 365.25/12 days (Debezium's MicroDuration).
std::optional<std::int64_t> parse_interval(std::string_view s);
// "\x00ff" → the bytes.
std::optional<std::string> parse_bytea(std::string_view s);
// A one-dimensional array literal → its elements (nullopt for NULL).
std::optional<std::vector<std::optional<std::string>>> parse_array(std::string_view s);

}  // namespace runnel::connect::postgres::text
