#include "connect/jdbc/dialect.h"

#include "connect/mariadb/jdbc_dialect.h"

#include <charconv>

namespace runnel::connect::jdbc {

std::string dialect::quote_table(const std::string& dotted) const {
  auto dot = dotted.find('.');
  if (dot == std::string::npos) {
    return quote(dotted);
  }
  return quote(dotted.substr(0, dot)) + "." + quote(dotted.substr(dot + 1));
}

std::optional<std::int64_t> parse_int64(const std::optional<std::string>& s) {
  if (!s) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || p != s->data() + s->size()) {
    return std::nullopt;
  }
  return v;
}

const dialect& dialect_for(database_kind kind) {
  return kind == database_kind::mysql ? mariadb::jdbc_dialect() : postgres_dialect();
}

}  // namespace runnel::connect::jdbc
