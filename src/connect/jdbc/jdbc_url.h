// A JDBC connection URL, as Confluent's JDBC connectors take it
// (connection.url), read into what libpq needs:
//
//   jdbc:postgresql://host[:port]/database[?user=…&password=…&…]
//   jdbc:mysql://host[:port]/database[?…]   jdbc:mariadb://… (the same)
//
// Only the forms with a host are accepted; query parameters are
// percent-decoded. connection.user / connection.password override the
// URL's user / password, as the JDBC driver does.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "connect/api/error.h"

namespace runnel::connect::jdbc {

enum class database_kind { postgresql, mysql };

struct jdbc_url {
  database_kind kind = database_kind::postgresql;
  std::string host;
  int port = 0;
  std::string database;
  std::map<std::string, std::string> params;

  // errc::invalid_config naming connection.url when it is not one of the
  // forms above.
  static result<jdbc_url> parse(std::string_view url);
};

}  // namespace runnel::connect::jdbc
