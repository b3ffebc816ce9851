// The configuration of the JDBC sink: Confluent's JdbcSinkConnector keys
// and defaults (docs/connect/jdbc.md lists them), plus the table that holds
// the consumed offsets for exactly-once delivery.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/jdbc/connection_config.h"

namespace runnel::connect::jdbc {

enum class insert_mode { insert, upsert, update };
enum class pk_mode { none, kafka, record_key, record_value };

struct sink_config {
  connection_config connection;
  std::string connector_name;  // the offsets' key
  insert_mode insert = insert_mode::insert;
  pk_mode pk = pk_mode::none;
  std::vector<std::string> pk_fields;
  std::vector<std::string> fields_whitelist;
  std::string table_name_format = "${topic}";
  bool auto_create = false;
  bool auto_evolve = false;
  bool delete_enabled = false;
  std::string offsets_table = "runnel_connect_offsets";

  // table.name.format with ${topic} replaced.
  std::string table_for(const std::string& topic) const;

  static result<sink_config> parse(const config_map& props);
};

const config_def& sink_config_def();

}  // namespace runnel::connect::jdbc
