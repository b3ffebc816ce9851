#include "connect/jdbc/connection_config.h"

#include "connect/postgres/sql_connection.h"

namespace runnel::connect::jdbc {

std::string connection_config::conninfo() const {
  return postgres::make_conninfo(url.host, url.port, user, password, url.database);
}

config_key jdbc_key(std::string name, config_type type, config_default def, config_importance imp,
                    std::string doc, std::string group, config_validator v) {
  return config_key{.name = std::move(name),
                    .type = type,
                    .default_value = std::move(def),
                    .importance = imp,
                    .documentation = std::move(doc),
                    .validator = std::move(v),
                    .group = std::move(group)};
}

void define_connection_keys(config_def& d, const std::string& group) {
  d.define(jdbc_key("connection.url", config_type::string, config_default::required(),
                    config_importance::high,
                    "JDBC connection URL: jdbc:postgresql://host[:port]/database"
                    "[?user=…&password=…] (MySQL/MariaDB URLs are recognised and refused: not "
                    "supported yet).",
                    group));
  d.define(jdbc_key("connection.user", config_type::string, config_default::null(),
                    config_importance::high,
                    "JDBC connection user (overrides the URL's user parameter).", group));
  d.define(jdbc_key("connection.password", config_type::password, config_default::null(),
                    config_importance::high,
                    "JDBC connection password (overrides the URL's password parameter).", group));
}

result<connection_config> parse_connection(const parsed_config& p, std::string_view connector) {
  connection_config c;
  CONNECT_TRY(c.url, jdbc_url::parse(p.get_string("connection.url")));
  if (c.url.kind != database_kind::postgresql) {
    return make_error(errc::invalid_config, "Invalid value " + p.get_string("connection.url") +
                                                " for configuration connection.url: only "
                                                "PostgreSQL (jdbc:postgresql://) is supported by "
                                                "this " +
                                                std::string(connector) + " so far");
  }
  auto param = [&](const char* k) {
    auto it = c.url.params.find(k);
    return it == c.url.params.end() ? std::string() : it->second;
  };
  c.user = p.get_optional_string("connection.user").value_or(param("user"));
  c.password = p.get_optional_string("connection.password").value_or(param("password"));
  return c;
}

}  // namespace runnel::connect::jdbc
