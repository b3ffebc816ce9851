#include "connect/postgres/xid_snapshot.h"

#include <algorithm>
#include <charconv>

namespace runnel::connect::postgres {

namespace {

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<xid_snapshot> xid_snapshot::parse(std::string_view text) {
  auto c1 = text.find(':');
  if (c1 == std::string_view::npos) {
    return std::nullopt;
  }
  auto c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) {
    return std::nullopt;
  }
  auto xmin = parse_u64(text.substr(0, c1));
  auto xmax = parse_u64(text.substr(c1 + 1, c2 - c1 - 1));
  if (!xmin || !xmax || *xmin > *xmax) {
    return std::nullopt;
  }
  xid_snapshot s{.xmin = *xmin, .xmax = *xmax, .xip = {}};
  auto rest = text.substr(c2 + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto x = parse_u64(rest.substr(0, comma));
    if (!x || (comma != std::string_view::npos && comma + 1 == rest.size())) {
      return std::nullopt;
    }
    s.xip.push_back(*x);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  std::sort(s.xip.begin(), s.xip.end());
  return s;
}

bool xid_snapshot::sees(std::uint32_t xid) const {
  constexpr std::uint64_t epoch = std::uint64_t{1} << 32;
  constexpr std::uint64_t half = std::uint64_t{1} << 31;
  std::uint64_t full = (xmax & ~(epoch - 1)) | xid;
  if (full > xmax && full - xmax > half && full >= epoch) {
    full -= epoch;
  } else if (full < xmax && xmax - full > half) {
    full += epoch;
  }
  if (full < xmin) {
    return true;
  }
  return full < xmax && !std::binary_search(xip.begin(), xip.end(), full);
}

}  // namespace runnel::connect::postgres
