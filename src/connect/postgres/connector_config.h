// The configuration of the PostgreSQL CDC source connector: Debezium's
// keys and defaults (io.debezium.connector.postgresql.PostgresConnector),
// so that a Debezium config runs unchanged. docs/connect/postgres-cdc.md
// lists every key; config_def() is the one definition of them.
//
// Where runnel differs: plugin.name accepts only pgoutput (built into
// PostgreSQL 10+; Debezium's default decoderbufs is an extension), and is
// therefore the default.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "connect/api/config_def.h"

namespace runnel::connect::postgres {

enum class snapshot_mode { initial, always, no_data, initial_only };
enum class publication_autocreate { all_tables, filtered, disabled };

struct connector_config {
  std::string hostname;
  int port = 5432;
  std::string user;
  std::string password;
  std::string dbname;
  std::string topic_prefix;
  std::string slot_name;
  bool slot_drop_on_stop = false;
  std::string publication_name;
  publication_autocreate autocreate = publication_autocreate::all_tables;
  std::vector<std::string> table_include;
  std::vector<std::string> table_exclude;
  snapshot_mode snapshot = snapshot_mode::initial;
  std::int64_t snapshot_fetch_size = 10'240;
  std::chrono::milliseconds heartbeat_interval{0};
  std::string heartbeat_topic_prefix;
  bool tombstones_on_delete = true;
  std::string skipped_operations;  // letters of c, u, d, t
  std::chrono::milliseconds status_update_interval{10'000};
  std::int64_t max_batch_size = 2048;
  // Incremental snapshots (incremental_snapshot.h): the signal table
  // (signal.data.collection, empty: none) split into schema and table.
  std::string signal_schema;
  std::string signal_table;
  std::int64_t incremental_chunk_size = 1024;

  std::string conninfo() const;
  std::string heartbeat_topic() const { return heartbeat_topic_prefix + "." + topic_prefix; }

  static result<connector_config> parse(const config_map& props);
};

const config_def& connector_config_def();

}  // namespace runnel::connect::postgres
