// The configuration of the query-based JDBC source: Confluent's
// JdbcSourceConnector keys and defaults, so that a config written for it
// runs unchanged (docs/connect/jdbc.md lists every key; config_def() is the
// one definition of them).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/jdbc/connection_config.h"

namespace runnel::connect::jdbc {

enum class source_mode { bulk, incrementing, timestamp, timestamp_incrementing };

struct source_config {
  connection_config connection;
  source_mode mode = source_mode::bulk;
  std::string incrementing_column;
  std::vector<std::string> timestamp_columns;  // COALESCEd in order
  std::vector<std::string> table_include;      // table.whitelist / table.include.list
  std::vector<std::string> table_exclude;      // table.blacklist / table.exclude.list
  std::string schema_pattern;                  // "" : every schema
  std::string query;
  std::string topic_prefix;
  std::chrono::milliseconds poll_interval{5000};
  std::int64_t batch_max_rows = 100;
  std::chrono::milliseconds timestamp_delay{0};
  std::string db_timezone = "UTC";
  // The tables of one task (the connector's split; "tables" in a task config).
  std::vector<std::string> task_tables;

  bool uses_incrementing() const {
    return mode == source_mode::incrementing || mode == source_mode::timestamp_incrementing;
  }
  bool uses_timestamp() const {
    return mode == source_mode::timestamp || mode == source_mode::timestamp_incrementing;
  }
  static result<source_config> parse(const config_map& props);
};

const config_def& source_config_def();

}  // namespace runnel::connect::jdbc
