#include "connect/postgres/text_format.h"

#include <cstdio>

namespace runnel::connect::postgres::text {

namespace {

constexpr double days_per_month_avg = 365.25 / 12.0;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

}  // namespace

// "YYYY-MM-DD[ BC]" → days since the epoch.
std::optional<std::int64_t> parse_date(std::string_view s) {
  bool bc = false;
  if (s.size() > 3 && s.substr(s.size() - 3) == " BC") {
    bc = true;
    s.remove_suffix(3);
  }
  auto d1 = s.find('-', 1);
  auto d2 = d1 == std::string_view::npos ? d1 : s.find('-', d1 + 1);
  if (d2 == std::string_view::npos) {
    return std::nullopt;
  }
  auto y = parse_int<std::int64_t>(s.substr(0, d1));
  auto m = parse_int<unsigned>(s.substr(d1 + 1, d2 - d1 - 1));
  auto d = parse_int<unsigned>(s.substr(d2 + 1));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) {
    return std::nullopt;
  }
  // 1 BC is year 0 of the proleptic calendar.
  return days_from_civil(bc ? 1 - *y : *y, *m, *d);
}

// "HH:MM:SS[.ffffff]" → microseconds of the day (24:00:00 allowed).
std::optional<std::int64_t> parse_time(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') {
    return std::nullopt;
  }
  auto h = parse_int<int>(s.substr(0, 2));
  auto mi = parse_int<int>(s.substr(3, 2));
  auto se = parse_int<int>(s.substr(6, 2));
  if (!h || !mi || !se) {
    return std::nullopt;
  }
  std::int64_t frac = 0;
  if (s.size() > 8) {
    if (s[8] != '.' || s.size() > 15 || s.size() == 9) {
      return std::nullopt;
    }
    auto digits = s.substr(9);
    auto f = parse_int<std::int64_t>(digits);
    if (!f) {
      return std::nullopt;
    }
    frac = *f;
    for (auto n = digits.size(); n < 6; ++n) {
      frac *= 10;
    }
  }
  return ((static_cast<std::int64_t>(*h) * 60 + *mi) * 60 + *se) * 1'000'000 + frac;
}

// A zone offset "+HH[:MM[:SS]]" → seconds east of UTC.
std::optional<std::int64_t> parse_offset(std::string_view s) {
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) {
    return std::nullopt;
  }
  int sign = s[0] == '-' ? -1 : 1;
  std::int64_t secs = 0;
  int part = 0;
  for (std::size_t i = 1; i < s.size(); i += 3, ++part) {
    auto v = parse_int<int>(s.substr(i, 2));
    if (!v || part > 2 || (i + 2 < s.size() && s[i + 2] != ':')) {
      return std::nullopt;
    }
    secs += *v * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  return sign * secs;
}

// Splits "time+zz" at the zone's sign (after the seconds).
std::optional<std::pair<std::string_view, std::string_view>> split_zone(std::string_view s) {
  auto at = s.find_first_of("+-", 8);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{s.substr(0, at), s.substr(at)};
}

// "YYYY-MM-DD HH:MM:SS[.f][ BC]" → microseconds since the epoch.
std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  bool bc = false;
  if (s.size() > 3 && s.substr(s.size() - 3) == " BC") {
    bc = true;
    s.remove_suffix(3);
  }
  auto sp = s.find(' ');
  if (sp == std::string_view::npos) {
    return std::nullopt;
  }
  auto date = std::string(s.substr(0, sp)) + (bc ? " BC" : "");
  auto d = parse_date(date);
  auto t = parse_time(s.substr(sp + 1));
  if (!d || !t) {
    return std::nullopt;
  }
  return *d * 86'400'000'000LL + *t;
}

std::string fraction(std::int64_t micros_of_second) {
  if (micros_of_second == 0) {
    return "";
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros_of_second));
  std::string f = buf;
  while (f.back() == '0') {
    f.pop_back();
  }
  return f;
}

// Microseconds since the epoch → "2026-12-03T08:00:00.5Z" (ISO-8601 in UTC,
// as Java's ISO_OFFSET_DATE_TIME prints it: fraction digits only as needed).
std::string iso_utc(std::int64_t us) {
  auto day = us >= 0 ? us / 86'400'000'000LL : -((-us + 86'399'999'999LL) / 86'400'000'000LL);
  auto rest = us - day * 86'400'000'000LL;
  std::int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(day, y, m, d);
  auto secs = rest / 1'000'000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y),
                m, d, static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf + fraction(rest % 1'000'000) + "Z";
}

// PostgreSQL's default interval output ("1 year 2 mons -3 days
// +04:05:06.5") → microseconds, a month counted as 365.25/12 days.
std::optional<std::int64_t> parse_interval(std::string_view s) {
  double months = 0;
  double days = 0;
  std::int64_t micros = 0;
  while (!s.empty()) {
    while (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);
    }
    if (s.empty()) {
      break;
    }
    auto end = s.find(' ');
    auto tok = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view{} : s.substr(end + 1);
    if (tok.find(':') != std::string_view::npos) {
      int sign = 1;
      if (tok.front() == '-' || tok.front() == '+') {
        sign = tok.front() == '-' ? -1 : 1;
        tok.remove_prefix(1);
      }
      // Hours may exceed two digits ("100:00:00").
      auto c1 = tok.find(':');
      auto h = parse_int<std::int64_t>(tok.substr(0, c1));
      auto rest = std::string("00") + std::string(tok.substr(c1));
      auto t = parse_time(rest);
      if (!h || !t) {
        return std::nullopt;
      }
      micros += sign * (*h * 3'600'000'000LL + *t);
      continue;
    }
    auto n = parse_int<std::int64_t>(tok);
    auto unit_end = s.find(' ');
    auto unit = s.substr(0, unit_end);
    s = unit_end == std::string_view::npos ? std::string_view{} : s.substr(unit_end + 1);
    if (!n) {
      return std::nullopt;
    }
    if (unit == "year" || unit == "years") {
      months += static_cast<double>(*n) * 12;
    } else if (unit == "mon" || unit == "mons") {
      months += static_cast<double>(*n);
    } else if (unit == "day" || unit == "days") {
      days += static_cast<double>(*n);
    } else {
      return std::nullopt;
    }
  }
  double total_days = months * days_per_month_avg + days;
  return static_cast<std::int64_t>(total_days * 86'400'000'000.0) + micros;
}

// "\x00ff" → the bytes (bytea_output = hex, PostgreSQL's default).
std::optional<std::string> parse_bytea(std::string_view s) {
  if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve((s.size() - 2) / 2);
  for (std::size_t i = 2; i < s.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc{} || p != s.data() + i + 2) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

// A one-dimensional array literal → its elements (nullopt for NULL).
std::optional<std::vector<std::optional<std::string>>> parse_array(std::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') {
    return std::nullopt;
  }
  s = s.substr(1, s.size() - 2);
  std::vector<std::optional<std::string>> out;
  if (s.empty()) {
    return out;
  }
  std::size_t i = 0;
  for (;;) {
    std::string el;
    bool quoted = false;
    if (i < s.size() && s[i] == '"') {
      quoted = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          ++i;
        }
        el.push_back(s[i]);
      }
      if (i >= s.size()) {
        return std::nullopt;
      }
      ++i;
    } else {
      for (; i < s.size() && s[i] != ','; ++i) {
        if (s[i] == '{' || s[i] == '"') {
          return std::nullopt;  // a nested (multi-dimensional) array
        }
        el.push_back(s[i]);
      }
    }
    if (!quoted && el == "NULL") {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(std::move(el));
    }
    if (i == s.size()) {
      return out;
    }
    if (s[i] != ',') {
      return std::nullopt;
    }
    ++i;
  }
}

}  // namespace runnel::connect::postgres::text
