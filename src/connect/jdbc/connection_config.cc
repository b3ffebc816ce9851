#include "connect/jdbc/connection_config.h"

namespace runnel::connect::jdbc {

void define_connection_keys(config_def& d, const std::string& group) {
  d.define(make_config_key(
      "connection.url", config_type::string, config_default::required(), config_importance::high,
      "JDBC connection URL: jdbc:postgresql://host[:port]/database, "
      "jdbc:mysql://host[:port]/database or jdbc:mariadb://host[:port]/database, "
      "each [?user=…&password=…].",
      group));
  d.define(make_config_key("connection.user", config_type::string, config_default::null(),
                           config_importance::high,
                           "JDBC connection user (overrides the URL's user parameter).", group));
  d.define(make_config_key(
      "connection.password", config_type::password, config_default::null(), config_importance::high,
      "JDBC connection password (overrides the URL's password parameter).", group));
}

result<connection_config> parse_connection(const parsed_config& p) {
  connection_config c;
  CONNECT_TRY(c.url, jdbc_url::parse(p.get_string("connection.url")));
  auto param = [&](const char* k) {
    auto it = c.url.params.find(k);
    return it == c.url.params.end() ? std::string() : it->second;
  };
  c.user = p.get_optional_string("connection.user").value_or(param("user"));
  c.password = p.get_optional_string("connection.password").value_or(param("password"));
  return c;
}

}  // namespace runnel::connect::jdbc
