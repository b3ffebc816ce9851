#include "connect/objstore/time_format.h"

#include <curl/curl.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace runnel::connect::objstore {

std::optional<time_point> parse_iso8601(std::string_view s) {
  std::string text(s);
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                  &consumed) != 6) {
    return std::nullopt;
  }
  std::chrono::milliseconds frac{0};
  std::string_view rest = std::string_view(text).substr(size_t(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0, ms = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) ms = ms * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (int i = digits; i < 3; ++i) ms *= 10;
    frac = std::chrono::milliseconds(ms);
  }
  if (rest != "Z" && rest != "+00:00" && !rest.empty()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  if (t == time_t(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t) + frac;
}

std::optional<time_point> parse_http_date(std::string_view s) {
  std::string text(s);
  time_t t = curl_getdate(text.c_str(), nullptr);
  if (t == time_t(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace runnel::connect::objstore
