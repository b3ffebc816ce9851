#include "sql/types/datetime.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

namespace runnel::sql::dt {

namespace {

// Howard Hinnant's civil-date algorithms (public domain).
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t floor_mod(int64_t a, int64_t b) {
  return a - floor_div(a, b) * b;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

struct cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  void skip_spaces() {
    while (!done() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  // Up to `max` digits; false if none.
  bool digits(int64_t& out, int max = 18, int* count = nullptr) {
    int n = 0;
    out = 0;
    while (!done() && n < max && s[i] >= '0' && s[i] <= '9') {
      out = out * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    if (count) *count = n;
    return n > 0;
  }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
};

// With check = false the fields' ranges are not checked (nor the value
// computed): the text only has to have the shape (well_formed below).
// `bc`: the year is before the common era (1 BC is year 0).
bool parse_date_part(cursor& c, int32_t& out, bool check = true, bool bc = false) {
  int64_t y, m, d;
  // Up to 7 year digits: dates go on to 5874897.
  if (!c.digits(y, 7) || !c.eat('-') || !c.digits(m, 2) || !c.eat('-') || !c.digits(d, 2))
    return false;
  if (!check) {
    out = 0;
    return true;
  }
  if (y < 1) return false;  // there is no year 0: 1 BC comes before 1 AD
  if (bc) y = 1 - y;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, unsigned(m))) return false;
  out = days_from_civil(y, unsigned(m), unsigned(d));
  return true;
}

std::string lower(std::string_view s);

// A trailing " BC" or " AD" (any case): removed, and whether it was BC.
std::string_view strip_era(std::string_view s, bool& bc) {
  bc = false;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.size() < 3 || s[s.size() - 3] != ' ') return s;
  auto tail = lower(s.substr(s.size() - 2));
  if (tail != "bc" && tail != "ad") return s;
  bc = tail == "bc";
  return s.substr(0, s.size() - 3);
}

// HH:MM[:SS[.ffffff]]
bool parse_time_part(cursor& c, int64_t& out, bool check = true) {
  int64_t h, m, s = 0, frac = 0;
  if (!c.digits(h, 2) || !c.eat(':') || !c.digits(m, 2)) return false;
  if (c.eat(':')) {
    if (!c.digits(s, 2)) return false;
    if (c.eat('.')) {
      int n = 0;
      int64_t f = 0;
      if (!c.digits(f, 9, &n)) return false;
      while (n < 6) {
        f *= 10;
        ++n;
      }
      while (n > 6) {  // round to microseconds
        int64_t last = f % 10;
        f /= 10;
        --n;
        if (n == 6 && last >= 5) ++f;
      }
      frac = f;
    }
  }
  if (check && (h > 24 || m > 59 || s > 60)) return false;
  out = h * usecs_per_hour + m * usecs_per_minute + s * usecs_per_second + frac;
  return true;
}

// Z, ±HH, ±HHMM, ±HH:MM: the offset east of UTC in microseconds.
bool parse_offset(cursor& c, int64_t& out) {
  if (c.eat('Z') || c.eat('z')) {
    out = 0;
    return true;
  }
  char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  ++c.i;
  int64_t h = 0, m = 0;
  int n = 0;
  if (!c.digits(h, 4, &n)) return false;
  if (n == 4) {
    m = h % 100;
    h /= 100;
  } else if (c.eat(':')) {
    if (!c.digits(m, 2)) return false;
  }
  out = (h * 60 + m) * usecs_per_minute * (sign == '-' ? -1 : 1);
  return true;
}

void append_seconds(std::string& out, int64_t micros_of_minute) {
  int64_t s = micros_of_minute / usecs_per_second;
  int64_t f = micros_of_minute % usecs_per_second;
  out += fmt::format("{:02}", s);
  if (f != 0) {
    auto frac = fmt::format("{:06}", f);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += '.';
    out += frac;
  }
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& ch : r) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r;
}

// A number with up to 6 fractional digits as PostgreSQL's numeric prints it.
std::string micros_to_decimal(int64_t v, int scale) {
  bool neg = v < 0;
  uint64_t m = neg ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  uint64_t p = 1;
  for (int i = 0; i < scale; ++i) p *= 10;
  std::string s = fmt::format("{}{}", neg ? "-" : "", m / p);
  if (scale > 0) s += fmt::format(".{:0{}}", m % p, scale);
  return s;
}

}  // namespace

int32_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int32_t>(era * 146097 + static_cast<int64_t>(doe) - 719468);
}

bool date_in_range(int64_t days) {
  return days >= first_day && days < end_of_dates;
}

bool timestamp_in_range(int64_t micros) {
  return micros >= int64_t{first_day} * usecs_per_day &&
         micros < int64_t{end_of_timestamps} * usecs_per_day;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::optional<int64_t> parse_timestamp_checked(std::string_view s, bool with_tz, bool check);

std::optional<int32_t> parse_date_checked(std::string_view text, bool check) {
  bool bc = false;
  std::string_view s = strip_era(text, bc);
  cursor c{s};
  c.skip_spaces();
  int32_t d;
  if (!parse_date_part(c, d, check, bc)) return std::nullopt;
  c.skip_spaces();
  if (c.done()) return d;
  // A time and a zone after the date are read and dropped, as PostgreSQL
  // does ('2024-03-11 +00' is how pgJDBC sends a java.sql.Date).
  auto ts = parse_timestamp_checked(text, false, check);
  if (!ts) return std::nullopt;
  return static_cast<int32_t>(floor_div(*ts, usecs_per_day));
}

std::optional<int64_t> parse_time_checked(std::string_view s, bool check) {
  cursor c{s};
  c.skip_spaces();
  int64_t t;
  if (!parse_time_part(c, t, check)) return std::nullopt;
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  return t;
}

std::optional<int32_t> parse_date(std::string_view s) {
  return parse_date_checked(s, true);
}

std::optional<int64_t> parse_time(std::string_view s) {
  return parse_time_checked(s, true);
}

std::optional<int64_t> parse_timestamp(std::string_view s, bool with_tz) {
  return parse_timestamp_checked(s, with_tz, true);
}

bool well_formed(std::string_view s, type_id t) {
  switch (t) {
    case type_id::date:
      return parse_date_checked(s, false).has_value();
    case type_id::time:
      return parse_time_checked(s, false).has_value();
    case type_id::timestamp:
    case type_id::timestamptz:
      return parse_timestamp_checked(s, t == type_id::timestamptz, false).has_value();
    default:
      return false;
  }
}

std::optional<int64_t> parse_timestamp_checked(std::string_view text, bool with_tz, bool check) {
  bool bc = false;
  std::string_view s = strip_era(text, bc);
  cursor c{s};
  c.skip_spaces();
  int32_t d;
  if (!parse_date_part(c, d, check, bc)) return std::nullopt;
  // Past what a timestamp holds either way: kept just outside the range
  // (timestamp_in_range says no) rather than overflowing.
  d = static_cast<int32_t>(std::clamp<int64_t>(d, first_day - 1, end_of_timestamps));
  int64_t t = 0;
  if (c.eat('T') || c.eat('t') || c.eat(' ')) {
    c.skip_spaces();
    // A zone may follow the date alone ('2024-03-11 +00').
    if (!c.done() && c.peek() != '+' && c.peek() != '-' && !parse_time_part(c, t, check))
      return std::nullopt;
  }
  c.skip_spaces();
  int64_t offset = 0;
  if (!c.done()) {
    if (!parse_offset(c, offset)) {
      // A zone name: only UTC is known.
      auto rest = lower(s.substr(c.i));
      if (rest != "utc" && rest != "gmt") return std::nullopt;
      c.i = s.size();
    }
  }
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  int64_t ts = int64_t(d) * usecs_per_day + t;
  if (with_tz) ts -= offset;
  return ts;
}

std::optional<interval> parse_interval(std::string_view s, interval_unit unit) {
  // ISO 8601: P[nY][nM][nD][T[nH][nM][nS]]
  std::string text = lower(s);
  interval out;
  if (!text.empty() && text[0] == 'p') {
    bool in_time = false;
    size_t i = 1;
    while (i < text.size()) {
      if (text[i] == 't') {
        in_time = true;
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                                 text[j] == '.' || text[j] == '-'))
        ++j;
      if (j == i || j >= text.size()) return std::nullopt;
      double v = std::strtod(text.substr(i, j - i).c_str(), nullptr);
      char u = text[j];
      if (!in_time && u == 'y')
        out.months += static_cast<int32_t>(v * 12);
      else if (!in_time && u == 'm')
        out.months += static_cast<int32_t>(v);
      else if (!in_time && u == 'w')
        out.days += static_cast<int32_t>(v * 7);
      else if (!in_time && u == 'd')
        out.days += static_cast<int32_t>(v);
      else if (in_time && u == 'h')
        out.micros += static_cast<int64_t>(std::llround(v * usecs_per_hour));
      else if (in_time && u == 'm')
        out.micros += static_cast<int64_t>(std::llround(v * usecs_per_minute));
      else if (in_time && u == 's')
        out.micros += static_cast<int64_t>(std::llround(v * usecs_per_second));
      else
        return std::nullopt;
      i = j + 1;
    }
    return out;
  }
  // PostgreSQL's format: [@] number unit ... [hh:mm[:ss]] [ago]
  std::vector<std::string> tokens;
  {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ',')) ++i;
      if (i >= text.size()) break;
      size_t j = i;
      // A number and a unit may be written together: "5min", "10s".
      if (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '-' || text[j] == '+' ||
          text[j] == '.') {
        ++j;
        while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                                   text[j] == '.' || text[j] == ':'))
          ++j;
      } else {
        while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
        if (j == i) return std::nullopt;
      }
      tokens.push_back(text.substr(i, j - i));
      i = j;
    }
  }
  if (!tokens.empty() && tokens[0] == "@") tokens.erase(tokens.begin());
  bool ago = false;
  if (!tokens.empty() && tokens.back() == "ago") {
    ago = true;
    tokens.pop_back();
  }
  if (tokens.empty()) return std::nullopt;
  double month_frac = 0, day_frac = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t.find(':') != std::string::npos) {
      bool neg = t[0] == '-';
      std::string_view body(t);
      if (t[0] == '-' || t[0] == '+') body.remove_prefix(1);
      cursor c{body};
      int64_t v = 0;
      // h:m, h:m:s, or m:s.f with a SECOND qualifier
      if (!parse_time_part(c, v)) {
        int64_t h = 0, m = 0;
        cursor c2{body};
        if (!c2.digits(h) || !c2.eat(':') || !c2.digits(m) || !c2.done()) return std::nullopt;
        v = h * usecs_per_hour + m * usecs_per_minute;
      } else if (!c.done()) {
        return std::nullopt;
      }
      out.micros += neg ? -v : v;
      continue;
    }
    double v = 0;
    {
      const char* b = t.c_str();
      char* e = nullptr;
      v = std::strtod(b, &e);
      if (e == b || *e != '\0') return std::nullopt;
    }
    std::string u;
    if (i + 1 < tokens.size() && std::isalpha(static_cast<unsigned char>(tokens[i + 1][0]))) {
      u = tokens[++i];
    } else {
      switch (unit) {
        case interval_unit::year:
          u = "year";
          break;
        case interval_unit::month:
          u = "month";
          break;
        case interval_unit::day:
          u = "day";
          break;
        case interval_unit::hour:
          u = "hour";
          break;
        case interval_unit::minute:
          u = "minute";
          break;
        default:
          u = "second";
          break;
      }
    }
    auto is = [&](std::initializer_list<const char*> names) {
      for (auto* n : names)
        if (u == n) return true;
      return false;
    };
    double months = 0, days = 0, micros = 0;
    if (is({"microsecond", "microseconds", "us", "usec", "usecs", "microsecon"}))
      micros = v;
    else if (is({"millisecond", "milliseconds", "ms", "msec", "msecs"}))
      micros = v * 1000;
    else if (is({"second", "seconds", "s", "sec", "secs"}))
      micros = v * usecs_per_second;
    else if (is({"minute", "minutes", "m", "min", "mins"}))
      micros = v * usecs_per_minute;
    else if (is({"hour", "hours", "h", "hr", "hrs"}))
      micros = v * usecs_per_hour;
    else if (is({"day", "days", "d"}))
      days = v;
    else if (is({"week", "weeks", "w"}))
      days = v * 7;
    else if (is({"month", "months", "mon", "mons"}))
      months = v;
    else if (is({"year", "years", "y", "yr", "yrs"}))
      months = v * 12;
    else if (is({"decade", "decades"}))
      months = v * 120;
    else if (is({"century", "centuries"}))
      months = v * 1200;
    else if (is({"millennium", "millennia", "millenniums"}))
      months = v * 12000;
    else
      return std::nullopt;
    double wm = std::trunc(months);
    out.months += static_cast<int32_t>(wm);
    month_frac += months - wm;
    double wd = std::trunc(days);
    out.days += static_cast<int32_t>(wd);
    day_frac += days - wd;
    out.micros += static_cast<int64_t>(std::llround(micros));
  }
  // Fractions spill down: a month is 30 days, a day 24 hours.
  double extra_days = month_frac * 30;
  double wd = std::trunc(extra_days);
  out.days += static_cast<int32_t>(wd);
  day_frac += extra_days - wd;
  out.micros += static_cast<int64_t>(std::llround(day_frac * usecs_per_day));
  if (ago) out = negate(out);
  return out;
}

std::string format_date(int32_t days) {
  if (!finite_date(days)) return days > 0 ? "infinity" : "-infinity";
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y <= 0) return fmt::format("{:04}-{:02}-{:02} BC", 1 - y, m, d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string format_time(int64_t micros) {
  std::string out =
      fmt::format("{:02}:{:02}:", micros / usecs_per_hour, (micros / usecs_per_minute) % 60);
  append_seconds(out, micros % usecs_per_minute);
  return out;
}

std::string format_timestamp(int64_t micros, bool with_tz) {
  if (!finite_timestamp(micros)) return micros > 0 ? "infinity" : "-infinity";
  int64_t days = floor_div(micros, usecs_per_day);
  int64_t t = floor_mod(micros, usecs_per_day);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::string out = fmt::format("{:04}-{:02}-{:02} ", y <= 0 ? 1 - y : y, m, d);
  out += format_time(t);
  if (with_tz) out += "+00";
  if (y <= 0) out += " BC";
  return out;
}

std::string format_interval(const interval& iv) {
  // PostgreSQL's EncodeInterval, IntervalStyle = postgres.
  std::string out;
  bool is_zero = true, is_before = false;
  auto part = [&](int64_t value, const char* unit) {
    if (value == 0) return;
    out += fmt::format("{}{}{} {}{}", is_zero ? "" : " ", (is_before && value > 0) ? "+" : "",
                       value, unit, value != 1 ? "s" : "");
    is_before = value < 0;
    is_zero = false;
  };
  part(iv.months / 12, "year");
  part(iv.months % 12, "mon");
  part(iv.days, "day");
  if (is_zero || iv.micros != 0) {
    bool minus = iv.micros < 0;
    uint64_t m = minus ? uint64_t(0) - uint64_t(iv.micros) : uint64_t(iv.micros);
    out += fmt::format("{}{}{:02}:{:02}:", is_zero ? "" : " ", minus ? "-" : (is_before ? "+" : ""),
                       m / usecs_per_hour, (m / usecs_per_minute) % 60);
    append_seconds(out, static_cast<int64_t>(m % usecs_per_minute));
  }
  return out;
}

std::optional<int64_t> add_interval(int64_t ts, const interval& iv) {
  if (!finite_timestamp(ts)) return ts;
  int64_t r = ts;
  if (iv.months != 0) {
    int64_t days = floor_div(r, usecs_per_day);
    int64_t t = floor_mod(r, usecs_per_day);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    int64_t total = y * 12 + (m - 1) + iv.months;
    y = floor_div(total, 12);
    m = static_cast<unsigned>(floor_mod(total, 12) + 1);
    d = std::min(d, days_in_month(y, m));
    r = int64_t(days_from_civil(y, m, d)) * usecs_per_day + t;
  }
  int64_t add;
  if (__builtin_mul_overflow(int64_t(iv.days), usecs_per_day, &add) ||
      __builtin_add_overflow(r, add, &r) || __builtin_add_overflow(r, iv.micros, &r))
    return std::nullopt;
  return r;
}

interval negate(const interval& iv) {
  return interval{-iv.months, -iv.days, -iv.micros};
}

std::optional<interval> add(const interval& a, const interval& b) {
  interval r;
  if (__builtin_add_overflow(a.months, b.months, &r.months) ||
      __builtin_add_overflow(a.days, b.days, &r.days) ||
      __builtin_add_overflow(a.micros, b.micros, &r.micros))
    return std::nullopt;
  return r;
}

std::optional<interval> multiply(const interval& a, double f) {
  if (!std::isfinite(f)) return std::nullopt;
  double months = a.months * f;
  double days = a.days * f;
  double wm = std::trunc(months);
  days += (months - wm) * 30;
  double wd = std::trunc(days);
  double micros = a.micros * f + (days - wd) * usecs_per_day;
  if (std::fabs(wm) > 2e9 || std::fabs(wd) > 2e9 || std::fabs(micros) > 9e18) return std::nullopt;
  return interval{static_cast<int32_t>(wm), static_cast<int32_t>(wd),
                  static_cast<int64_t>(std::llround(micros))};
}

interval difference(int64_t a, int64_t b) {
  int64_t d = a - b;
  interval r;
  r.days = static_cast<int32_t>(d / usecs_per_day);
  r.micros = d % usecs_per_day;
  return r;
}

int128 interval_key(const interval& iv) {
  return (int128(iv.months) * 30 + iv.days) * usecs_per_day + iv.micros;
}

double interval_micros(const interval& iv) {
  return (double(iv.months) * 30 + iv.days) * double(usecs_per_day) + double(iv.micros);
}

std::optional<int64_t> trunc_timestamp(std::string_view unit_in, int64_t ts) {
  auto unit = lower(unit_in);
  int64_t days = floor_div(ts, usecs_per_day);
  int64_t t = floor_mod(ts, usecs_per_day);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  auto at = [](int64_t yy, unsigned mm, unsigned dd) {
    return int64_t(days_from_civil(yy, mm, dd)) * usecs_per_day;
  };
  if (unit == "microseconds" || unit == "microsecond") return ts;
  if (unit == "milliseconds" || unit == "millisecond") return ts - floor_mod(ts, 1000);
  if (unit == "second" || unit == "seconds") return ts - floor_mod(ts, usecs_per_second);
  if (unit == "minute" || unit == "minutes") return ts - floor_mod(ts, usecs_per_minute);
  if (unit == "hour" || unit == "hours") return ts - floor_mod(ts, usecs_per_hour);
  if (unit == "day" || unit == "days") return ts - t;
  if (unit == "week" || unit == "weeks") {
    int64_t dow = floor_mod(days + 3, 7);  // 1970-01-01 was a Thursday; Monday = 0
    return (days - dow) * usecs_per_day;
  }
  if (unit == "month" || unit == "months") return at(y, m, 1);
  if (unit == "quarter") return at(y, ((m - 1) / 3) * 3 + 1, 1);
  if (unit == "year" || unit == "years") return at(y, 1, 1);
  if (unit == "decade") return at(y - floor_mod(y, 10), 1, 1);
  if (unit == "century") return at(y > 0 ? ((y - 1) / 100) * 100 + 1 : y, 1, 1);
  if (unit == "millennium") return at(y > 0 ? ((y - 1) / 1000) * 1000 + 1 : y, 1, 1);
  return std::nullopt;
}

std::optional<interval> trunc_interval(std::string_view unit_in, const interval& iv) {
  auto unit = lower(unit_in);
  interval r = iv;
  if (unit == "year") return interval{iv.months - iv.months % 12, 0, 0};
  if (unit == "quarter") return interval{iv.months - iv.months % 3, 0, 0};
  if (unit == "month") return interval{iv.months, 0, 0};
  if (unit == "day") return interval{iv.months, iv.days, 0};
  if (unit == "hour")
    r.micros -= r.micros % usecs_per_hour;
  else if (unit == "minute")
    r.micros -= r.micros % usecs_per_minute;
  else if (unit == "second")
    r.micros -= r.micros % usecs_per_second;
  else if (unit == "milliseconds")
    r.micros -= r.micros % 1000;
  else if (unit != "microseconds")
    return std::nullopt;
  return r;
}

std::optional<std::string> extract_timestamp(std::string_view field_in, int64_t ts) {
  auto f = lower(field_in);
  int64_t days = floor_div(ts, usecs_per_day);
  int64_t t = floor_mod(ts, usecs_per_day);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  auto n = [](int64_t v) { return std::to_string(v); };
  if (f == "year" || f == "years") return n(y);
  if (f == "month" || f == "months") return n(m);
  if (f == "day" || f == "days") return n(d);
  if (f == "hour" || f == "hours") return n(t / usecs_per_hour);
  if (f == "minute" || f == "minutes") return n((t / usecs_per_minute) % 60);
  if (f == "second" || f == "seconds") return micros_to_decimal(t % usecs_per_minute, 6);
  if (f == "milliseconds" || f == "millisecond") return micros_to_decimal(t % usecs_per_minute, 3);
  if (f == "microseconds" || f == "microsecond") return n(t % usecs_per_minute);
  if (f == "epoch") return micros_to_decimal(ts, 6);
  if (f == "dow") return n(floor_mod(days + 4, 7));  // Sunday = 0
  if (f == "isodow") return n(floor_mod(days + 3, 7) + 1);
  if (f == "doy") return n(days - days_from_civil(y, 1, 1) + 1);
  if (f == "quarter") return n((m - 1) / 3 + 1);
  if (f == "decade") return n(floor_div(y, 10));
  if (f == "century") return n(y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100));
  if (f == "millennium") return n(y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000));
  if (f == "week" || f == "isoyear") {
    // ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday.
    int64_t dow = floor_mod(days + 3, 7);  // Monday = 0
    int64_t thursday = days - dow + 3;     // the Thursday of this week
    int64_t ty;
    unsigned tm, td;
    civil_from_days(thursday, ty, tm, td);
    if (f == "isoyear") return n(ty);
    return n((thursday - days_from_civil(ty, 1, 1)) / 7 + 1);
  }
  if (f == "julian") return micros_to_decimal(ts + int64_t(2440588) * usecs_per_day, 6);
  return std::nullopt;
}

std::optional<std::string> extract_date(std::string_view field, int32_t days) {
  auto f = lower(field);
  if (f == "hour" || f == "minute" || f == "second" || f == "milliseconds" || f == "microseconds")
    return std::nullopt;
  auto r = extract_timestamp(field, int64_t(days) * usecs_per_day);
  if (r && f == "epoch") return std::to_string(int64_t(days) * 86400);
  return r;
}

std::optional<std::string> extract_time(std::string_view field, int64_t micros) {
  auto f = lower(field);
  if (f == "hour") return std::to_string(micros / usecs_per_hour);
  if (f == "minute") return std::to_string((micros / usecs_per_minute) % 60);
  if (f == "second") return micros_to_decimal(micros % usecs_per_minute, 6);
  if (f == "milliseconds") return micros_to_decimal(micros % usecs_per_minute, 3);
  if (f == "microseconds") return std::to_string(micros % usecs_per_minute);
  if (f == "epoch") return micros_to_decimal(micros, 6);
  return std::nullopt;
}

std::optional<std::string> extract_interval(std::string_view field, const interval& iv) {
  auto f = lower(field);
  if (f == "year" || f == "years") return std::to_string(iv.months / 12);
  if (f == "month" || f == "months") return std::to_string(iv.months % 12);
  if (f == "day" || f == "days") return std::to_string(iv.days);
  if (f == "hour") return std::to_string(iv.micros / usecs_per_hour);
  if (f == "minute") return std::to_string((iv.micros / usecs_per_minute) % 60);
  if (f == "second") return micros_to_decimal(iv.micros % usecs_per_minute, 6);
  if (f == "milliseconds") return micros_to_decimal(iv.micros % usecs_per_minute, 3);
  if (f == "microseconds") return std::to_string(iv.micros % usecs_per_minute);
  if (f == "epoch") {
    // PostgreSQL: years as 365.25 days, months as 30 days.
    int64_t years = iv.months / 12, months = iv.months % 12;
    int128 micros = int128(years) * 36525 * usecs_per_day / 100 +
                    int128(months) * 30 * usecs_per_day + int128(iv.days) * usecs_per_day +
                    iv.micros;
    return micros_to_decimal(static_cast<int64_t>(micros), 6);
  }
  return std::nullopt;
}

}  // namespace runnel::sql::dt
