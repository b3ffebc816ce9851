#include "connect/jdbc/jdbc_url.h"

#include <charconv>
#include <tuple>

namespace runnel::connect::jdbc {

namespace {

error bad(std::string_view url, std::string_view why) {
  return make_error(errc::invalid_config,
                    "Invalid value " + std::string(url) +
                        " for configuration connection.url: " + std::string(why));
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// URL percent-decoding (and '+' as a space, as Java's URLDecoder does).
std::string decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

result<jdbc_url> jdbc_url::parse(std::string_view url) {
  jdbc_url u;
  std::string_view rest;
  for (auto [prefix, kind, port] :
       {std::tuple{std::string_view("jdbc:postgresql://"), database_kind::postgresql, 5432},
        std::tuple{std::string_view("jdbc:mysql://"), database_kind::mysql, 3306},
        std::tuple{std::string_view("jdbc:mariadb://"), database_kind::mysql, 3306}}) {
    if (url.starts_with(prefix)) {
      u.kind = kind;
      u.port = port;
      rest = url.substr(prefix.size());
      break;
    }
  }
  if (rest.empty()) {
    return bad(url,
               "expected jdbc:postgresql://host[:port]/database or "
               "jdbc:mysql://host[:port]/database");
  }
  auto q = rest.find('?');
  std::string_view query = q == std::string_view::npos ? "" : rest.substr(q + 1);
  rest = rest.substr(0, q);
  auto slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  u.database = slash == std::string_view::npos ? "" : decode(rest.substr(slash + 1));
  if (hostport.find(',') != std::string_view::npos) {
    return bad(url, "several hosts are not supported");
  }
  auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos && !hostport.starts_with('[')) {
    auto p = hostport.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), u.port);
    if (ec != std::errc{} || end != p.data() + p.size() || u.port < 1 || u.port > 65535) {
      return bad(url, "the port is not a number from 1 to 65535");
    }
    hostport = hostport.substr(0, colon);
  }
  u.host = std::string(hostport);
  if (u.host.empty()) {
    return bad(url, "no host");
  }
  if (u.database.empty()) {
    return bad(url, "no database");
  }
  while (!query.empty()) {
    auto amp = query.find('&');
    auto kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    u.params[decode(kv.substr(0, eq))] =
        eq == std::string_view::npos ? "" : decode(kv.substr(eq + 1));
  }
  return u;
}

}  // namespace runnel::connect::jdbc
