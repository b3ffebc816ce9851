// Dates, times, timestamps and intervals as PostgreSQL has them, in UTC.
//
// Internally: date = days since 1970-01-01; time = microseconds since
// midnight; timestamp and timestamptz = microseconds since 1970-01-01
// 00:00:00 UTC (the wire format's 2000-01-01 epoch is applied only by the
// PostgreSQL protocol); interval = months, days and microseconds, kept apart
// as PostgreSQL does (a month is not 30 days until it must be compared).
// The session time zone is always UTC: timestamptz prints with "+00".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sql/types/decimal.h"
#include "sql/types/type.h"

namespace runnel::sql {

constexpr int64_t usecs_per_second = 1'000'000;
constexpr int64_t usecs_per_minute = 60 * usecs_per_second;
constexpr int64_t usecs_per_hour = 60 * usecs_per_minute;
constexpr int64_t usecs_per_day = 24 * usecs_per_hour;

struct interval {
  int32_t months = 0;
  int32_t days = 0;
  int64_t micros = 0;
  friend bool operator==(const interval&, const interval&) = default;
};

// The unit a bare interval literal is in: INTERVAL '5' MINUTE.
enum class interval_unit { none, year, month, day, hour, minute, second };

namespace dt {

int32_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d);

// The ranges: dates and timestamps start at 4713-11-24 BC, as PostgreSQL's
// (year -4712 counted astronomically, 1 BC being year 0); dates end before
// 5874898-01-01, as PostgreSQL's; timestamps before 294247-01-09, where
// microseconds since 1970 run out of 64 bits (PostgreSQL counts from 2000
// and goes on to 294276). Input outside them is an error ("date out of
// range"); arithmetic may leave them.
constexpr int32_t first_day = -2440222;           // 4713-11-24 BC
constexpr int32_t end_of_dates = 2145042906;      // 5874898-01-01
constexpr int32_t end_of_timestamps = 106751990;  // 294247-01-09
bool date_in_range(int64_t days);
bool timestamp_in_range(int64_t micros);

// 'infinity' and '-infinity' as PostgreSQL keeps them: the largest and the
// smallest value of the representation, so that they compare as they
// should. Arithmetic leaves them as they are; subtracting them is an error.
constexpr int64_t date_infinity = INT32_MAX;
constexpr int64_t timestamp_infinity = INT64_MAX;
inline bool finite_date(int64_t d) {
  return d != date_infinity && d != -date_infinity - 1;
}
inline bool finite_timestamp(int64_t t) {
  return t != timestamp_infinity && t != -timestamp_infinity - 1;
}
// Whether date_to_timestamp can take d (PostgreSQL's "date out of range
// for timestamp" otherwise).
inline bool date_fits_timestamp(int64_t d) {
  return !finite_date(d) || (d >= first_day && d < end_of_timestamps);
}
// A date as a timestamp at its midnight (infinities stay infinite).
inline int64_t date_to_timestamp(int64_t d) {
  if (!finite_date(d)) return d > 0 ? timestamp_infinity : -timestamp_infinity - 1;
  return d * usecs_per_day;
}

std::optional<int32_t> parse_date(std::string_view s);
std::optional<int64_t> parse_time(std::string_view s);
// 'YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]' or a date alone; offsets
// are applied (to UTC) for both timestamp kinds, as PostgreSQL does for
// timestamptz (timestamp ignores them).
std::optional<int64_t> parse_timestamp(std::string_view s, bool with_tz);
std::optional<interval> parse_interval(std::string_view s,
                                       interval_unit unit = interval_unit::none);
// True if `s` has the shape of a date, time or timestamp of type `t`
// whether or not its fields are in range: a text that does not parse is
// then PostgreSQL's 22008 (date/time field value out of range,
// '2024-02-30'), otherwise 22007 (invalid input syntax).
bool well_formed(std::string_view s, type_id t);

std::string format_date(int32_t days);
std::string format_time(int64_t micros);
std::string format_timestamp(int64_t micros, bool with_tz);
std::string format_interval(const interval& iv);

// timestamp ± interval, calendar-aware (months clamp the day as PostgreSQL).
std::optional<int64_t> add_interval(int64_t ts, const interval& iv);
interval negate(const interval& iv);
std::optional<interval> add(const interval& a, const interval& b);
// Multiplication/division by a number: fractions spill down (months to days
// at 30 days, days to microseconds at 24 hours), as PostgreSQL does.
std::optional<interval> multiply(const interval& a, double f);
// ts - ts: days and time, as PostgreSQL's timestamp_mi (justify_hours).
interval difference(int64_t a, int64_t b);
// Comparable total: months as 30 days, days as 24 hours (interval_cmp).
int128 interval_key(const interval& iv);
// An interval's length in microseconds, months as 30 days.
double interval_micros(const interval& iv);

// date_trunc(unit, ts): nullopt for an unknown unit.
std::optional<int64_t> trunc_timestamp(std::string_view unit, int64_t ts);
std::optional<interval> trunc_interval(std::string_view unit, const interval& iv);
// extract(field FROM ts) as a decimal string of PostgreSQL's numeric result
// (seconds and epoch keep 6 fractional digits); nullopt for an unknown field.
std::optional<std::string> extract_timestamp(std::string_view field, int64_t ts);
std::optional<std::string> extract_date(std::string_view field, int32_t days);
std::optional<std::string> extract_time(std::string_view field, int64_t micros);
std::optional<std::string> extract_interval(std::string_view field, const interval& iv);
}  // namespace dt
}  // namespace runnel::sql
