#include "observe/log_level.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

namespace runnel::observe {

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  using L = spdlog::level::level_enum;
  if (s == "trace") return L::trace;
  if (s == "debug") return L::debug;
  if (s == "info") return L::info;
  if (s == "warn" || s == "warning") return L::warn;
  if (s == "error" || s == "err") return L::err;
  if (s == "critical" || s == "fatal") return L::critical;
  if (s == "off") return L::off;
  return std::nullopt;
}

std::string level_name(spdlog::level::level_enum l) {
  using L = spdlog::level::level_enum;
  switch (l) {
    case L::trace:
      return "trace";
    case L::debug:
      return "debug";
    case L::info:
      return "info";
    case L::warn:
      return "warn";
    case L::err:
      return "error";
    case L::critical:
      return "critical";
    default:
      return "off";
  }
}

spdlog::level::level_enum current_level() {
  return spdlog::get_level();
}

void set_level(spdlog::level::level_enum l) {
  spdlog::set_level(l);
}

}  // namespace runnel::observe
