// What both JDBC connectors share in their configs: the connection keys
// (connection.url, connection.user, connection.password) parsed into a libpq
// connection, and the helper that defines a key.
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

  std::string conninfo() const;  // libpq's keyword=value string
};

config_key jdbc_key(std::string name, config_type type, config_default def, config_importance imp,
                    std::string doc, std::string group, config_validator v = {});

// Defines connection.url, connection.user and connection.password.
void define_connection_keys(config_def& d, const std::string& group);

// The connection of a parsed config; errc::invalid_config for a URL this
// connector cannot use yet (MySQL/MariaDB), naming `connector`.
result<connection_config> parse_connection(const parsed_config& p, std::string_view connector);

}  // namespace runnel::connect::jdbc
