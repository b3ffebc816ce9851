#include "connect/jdbc/dialect.h"

#include "connect/mariadb/jdbc_dialect.h"

namespace runnel::connect::jdbc {

std::string dialect::quote_table(const std::string& dotted) const {
  auto dot = dotted.find('.');
  if (dot == std::string::npos) {
    return quote(dotted);
  }
  return quote(dotted.substr(0, dot)) + "." + quote(dotted.substr(dot + 1));
}

const dialect& dialect_for(database_kind kind) {
  return kind == database_kind::mysql ? mariadb::jdbc_dialect() : postgres_dialect();
}

}  // namespace runnel::connect::jdbc
