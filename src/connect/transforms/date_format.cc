#include "connect/transforms/date_format.h"

#include <array>
#include <cctype>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

constexpr std::array<std::string_view, 12> months = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> weekdays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                      "Friday", "Saturday", "Sunday"};

bool numeric_letter(char c) {
  return std::string_view("ydHkKhmsSDuM").find(c) != std::string_view::npos;
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = int64_t(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

result<date_format> date_format::compile(std::string_view p) {
  date_format f;
  f.pattern_ = std::string(p);
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (c == '\'') {
      // Quoted text; '' inside or outside quotes is one quote.
      std::string lit;
      if (i + 1 < p.size() && p[i + 1] == '\'') {
        lit = "'";
        i += 2;
      } else {
        ++i;
        for (;;) {
          if (i >= p.size())
            return make_error(errc::invalid_config,
                              fmt::format("Unterminated quote in date pattern {}", p));
          if (p[i] == '\'') {
            if (i + 1 < p.size() && p[i + 1] == '\'') {
              lit += '\'';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          lit += p[i++];
        }
      }
      f.tokens_.push_back({0, 0, std::move(lit)});
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      if (std::string_view("GyMdHkKhmsSEaDuzZX").find(c) == std::string_view::npos)
        return make_error(errc::invalid_config,
                          fmt::format("Unsupported date pattern letter '{}' in {}", c, p));
      int n = 0;
      while (i < p.size() && p[i] == c) ++n, ++i;
      f.tokens_.push_back({c, n, {}});
      continue;
    }
    f.tokens_.push_back({0, 0, std::string(1, c)});
    ++i;
  }
  return f;
}

std::string date_format::format(int64_t ms) const {
  const int64_t days = floor_div(ms, 86400000);
  const int64_t in_day = ms - days * 86400000;
  int64_t y;
  unsigned mo, d;
  civil_from_days(days, y, mo, d);
  const int hour = int(in_day / 3600000), minute = int(in_day / 60000 % 60),
            second = int(in_day / 1000 % 60), milli = int(in_day % 1000);
  const int weekday = int(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday (index 3)
  const int64_t doy = days - days_from_civil(y, 1, 1) + 1;
  std::string out;
  auto num = [&](int64_t v, int width) { out += fmt::format("{:0{}}", v, width); };
  for (const auto& t : tokens_) {
    switch (t.letter) {
      case 0:
        out += t.literal;
        break;
      case 'G':
        out += y > 0 ? "AD" : "BC";
        break;
      case 'y':
        if (t.count == 2)
          num(((y % 100) + 100) % 100, 2);
        else
          num(y, t.count);
        break;
      case 'M':
        if (t.count >= 4)
          out += months[mo - 1];
        else if (t.count == 3)
          out += months[mo - 1].substr(0, 3);
        else
          num(mo, t.count);
        break;
      case 'd':
        num(d, t.count);
        break;
      case 'H':
        num(hour, t.count);
        break;
      case 'k':
        num(hour == 0 ? 24 : hour, t.count);
        break;
      case 'K':
        num(hour % 12, t.count);
        break;
      case 'h':
        num(hour % 12 == 0 ? 12 : hour % 12, t.count);
        break;
      case 'm':
        num(minute, t.count);
        break;
      case 's':
        num(second, t.count);
        break;
      case 'S':
        num(milli, t.count);
        break;
      case 'D':
        num(doy, t.count);
        break;
      case 'u':
        num(weekday + 1, t.count);
        break;
      case 'E':
        out += t.count >= 4 ? weekdays[weekday] : weekdays[weekday].substr(0, 3);
        break;
      case 'a':
        out += hour < 12 ? "AM" : "PM";
        break;
      case 'z':
        out += t.count >= 4 ? "Coordinated Universal Time" : "UTC";
        break;
      case 'Z':
        out += "+0000";
        break;
      case 'X':
        out += "Z";
        break;
    }
  }
  return out;
}

result<int64_t> date_format::parse(std::string_view text) const {
  int64_t year = 1970;
  unsigned month = 1, day = 1;
  int hour = 0, minute = 0, second = 0, milli = 0;
  int pm = -1, hour12 = -1;
  int64_t offset_ms = 0;
  size_t pos = 0;
  auto fail = [&] {
    return make_error(errc::data, fmt::format("Could not parse timestamp: value ({}) does not "
                                              "match pattern ({})",
                                              text, pattern_));
  };
  for (size_t ti = 0; ti < tokens_.size(); ++ti) {
    const auto& t = tokens_[ti];
    if (t.letter == 0) {
      if (text.substr(pos, t.literal.size()) != t.literal) return fail();
      pos += t.literal.size();
      continue;
    }
    const bool abuts =
        ti + 1 < tokens_.size() && tokens_[ti + 1].letter && numeric_letter(tokens_[ti + 1].letter);
    auto read_number = [&](int64_t& out) -> bool {
      bool neg = false;
      if (pos < text.size() && (text[pos] == '-' || text[pos] == '+') && t.letter == 'y') {
        neg = text[pos] == '-';
        ++pos;
      }
      size_t start = pos;
      const size_t limit = abuts ? size_t(t.count) : text.size();
      while (pos < text.size() && pos - start < limit &&
             std::isdigit(static_cast<unsigned char>(text[pos])))
        ++pos;
      if (pos == start) return false;
      int64_t v = 0;
      for (size_t i = start; i < pos; ++i) v = v * 10 + (text[i] - '0');
      out = neg ? -v : v;
      return true;
    };
    auto read_name = [&](auto& names, size_t& index) -> bool {
      for (size_t i = 0; i < names.size(); ++i) {
        std::string_view full = names[i];
        for (std::string_view n : {full, full.substr(0, 3)}) {
          if (text.size() - pos >= n.size()) {
            bool eq = true;
            for (size_t k = 0; k < n.size(); ++k)
              if (std::tolower(static_cast<unsigned char>(text[pos + k])) !=
                  std::tolower(static_cast<unsigned char>(n[k])))
                eq = false;
            if (eq) {
              pos += n.size();
              index = i;
              return true;
            }
          }
        }
      }
      return false;
    };
    int64_t v = 0;
    switch (t.letter) {
      case 'G':
        if (text.substr(pos, 2) == "AD" || text.substr(pos, 2) == "BC")
          pos += 2;
        else
          return fail();
        break;
      case 'y':
        if (!read_number(v)) return fail();
        year = (t.count == 2 && v < 100) ? 2000 + v : v;
        break;
      case 'M':
        if (t.count >= 3) {
          size_t idx = 0;
          if (!read_name(months, idx)) return fail();
          month = unsigned(idx + 1);
        } else {
          if (!read_number(v) || v < 1 || v > 12) return fail();
          month = unsigned(v);
        }
        break;
      case 'd':
        if (!read_number(v) || v < 1 || v > 31) return fail();
        day = unsigned(v);
        break;
      case 'H':
      case 'k':
        if (!read_number(v) || v > 24) return fail();
        hour = int(v % 24);
        break;
      case 'K':
      case 'h':
        if (!read_number(v) || v > 12) return fail();
        hour12 = int(v % 12);
        break;
      case 'm':
        if (!read_number(v) || v > 59) return fail();
        minute = int(v);
        break;
      case 's':
        if (!read_number(v) || v > 60) return fail();
        second = int(v);
        break;
      case 'S':
        if (!read_number(v)) return fail();
        milli = int(v);
        break;
      case 'D':
      case 'u':
        if (!read_number(v)) return fail();
        break;
      case 'E': {
        size_t idx = 0;
        if (!read_name(weekdays, idx)) return fail();
        break;
      }
      case 'a':
        if (text.substr(pos, 2) == "AM" || text.substr(pos, 2) == "am")
          pm = 0;
        else if (text.substr(pos, 2) == "PM" || text.substr(pos, 2) == "pm")
          pm = 1;
        else
          return fail();
        pos += 2;
        break;
      case 'z':
        if (text.substr(pos, 3) == "UTC" || text.substr(pos, 3) == "GMT")
          pos += 3;
        else
          return fail();
        break;
      case 'Z':
      case 'X': {
        if (pos < text.size() && text[pos] == 'Z') {
          ++pos;
          break;
        }
        if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return fail();
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        auto two = [&](int& out) {
          if (pos + 2 > text.size() || !std::isdigit(static_cast<unsigned char>(text[pos])) ||
              !std::isdigit(static_cast<unsigned char>(text[pos + 1])))
            return false;
          out = (text[pos] - '0') * 10 + (text[pos + 1] - '0');
          pos += 2;
          return true;
        };
        int hh = 0, mm = 0;
        if (!two(hh)) return fail();
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) && !two(mm))
          return fail();
        offset_ms = sign * (int64_t(hh) * 3600000 + int64_t(mm) * 60000);
        break;
      }
    }
  }
  if (pos != text.size()) return fail();
  if (hour12 >= 0) hour = hour12 + (pm == 1 ? 12 : 0);
  return days_from_civil(year, month, day) * 86400000 + int64_t(hour) * 3600000 +
         int64_t(minute) * 60000 + int64_t(second) * 1000 + milli - offset_ms;
}

}  // namespace runnel::connect
