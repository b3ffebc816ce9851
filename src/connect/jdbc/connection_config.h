// What both JDBC connectors share in their configs: the connection keys
// (connection.url, connection.user, connection.password), parsed; the
// URL's kind chooses the dialect (dialect.h).
#pragma once

#include <string>
#include <string_view>

#include "connect/api/config_def.h"
#include "connect/jdbc/jdbc_url.h"

namespace runnel::connect::jdbc {

struct connection_config {
  jdbc_url url;
  std::string user;      // connection.user, else the URL's
  std::string password;  // connection.password, else the URL's
};

// Defines connection.url, connection.user and connection.password.
void define_connection_keys(config_def& d, const std::string& group);

// The connection of a parsed config (errc::invalid_config for a bad URL).
result<connection_config> parse_connection(const parsed_config& p);

}  // namespace runnel::connect::jdbc
