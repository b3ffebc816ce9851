// connector_sink: CREATE SINK to a system a Kafka Connect sink connector
// reaches — a database over JDBC, an S3 bucket, a local directory, or any
// sink plugin by its class — with RisingWave's option names.
//
// sql does not include connect (DESIGN.md: `sql → stream → client`,
// `connect → client`). Such a sink is therefore two halves: the SQL half is
// an ordinary kafka_sink writing the view's changes (upsert with
// tombstones, or append-only) as schemaless JSON to a topic — the user's
// `topic`, or the sink's own `_runnel_sql_sink_<name>`, created if missing
// (compacted for upsert) — and the Connect half is a sink connector named
// `sql-<name>` reading that topic, whose Kafka Connect config is made here
// from the WITH options and handed to a `connector_host`. The cli layer
// installs the host (engine_options::connectors): `runnel serve` its hosted
// Connect worker, `runnel sql` a standalone worker of its own.
// The SQL catalog is what makes it durable: a restarted process re-creates
// the sink, which puts the same connector config again.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sql/connector/kafka_options.h"
#include "sql/parse/statement.h"

namespace runnel::sql {

// Creates, replaces and deletes sink connectors (Kafka Connect's configs).
// Called by the engine under its mutex; implementations may block briefly
// (a distributed worker writes its config topic).
class connector_host {
 public:
  virtual ~connector_host() = default;
  // Creates the connector, or replaces its config (a restart puts the same
  // config again: nothing changes). An error when the worker refuses the
  // config (its message says why).
  virtual result<void> put(const std::string& name,
                           const std::map<std::string, std::string>& config) = 0;
  // Deletes the connector; one that does not exist is not an error.
  virtual result<void> remove(const std::string& name) = 0;
  // How the connector and its tasks run, for SHOW SINKS.
  struct status {
    // Kafka Connect's state of the connector, or of the first of its tasks
    // that is not RUNNING (FAILED before the others): RUNNING, FAILED,
    // PAUSED, UNASSIGNED, RESTARTING; UNKNOWN when the worker has none.
    std::string state;
    std::string error;  // the failed one's trace, first line
  };
  virtual status connector_status(const std::string& name) = 0;
};

struct connector_sink_options {
  std::string connector;       // jdbc, s3, fs, kafka-connect (as written, lower case)
  kafka_sink_options kafka;    // the SQL half: the topic the changes go through
  std::string connector_name;  // sql-<sink name>
  // The Connect half's config, without what depends on the sink's input
  // (finish_connector_config adds the key columns).
  std::map<std::string, std::string> config;
};

// Whether WITH (connector = …) names something other than Kafka.
bool is_connector_sink(const statement& s);

// Reads the WITH (…) options of a CREATE SINK whose connector is jdbc, s3,
// fs/file or kafka-connect. RisingWave's names are translated to the
// connector's; `type`, `primary_key`, `force_append_only`, `topic` and
// `properties.*` belong to the SQL half; any other key is passed to the
// connector as it is (Kafka Connect's own keys: flush.size, auto.create,
// errors.tolerance, …).
result<connector_sink_options> read_connector_sink_options(const statement& s,
                                                           const std::string& default_brokers);

// Adds the key columns of an upsert sink (the record key's fields), e.g.
// the JDBC sink's pk.fields.
void finish_connector_config(connector_sink_options& o, const std::vector<std::string>& key_names);

}  // namespace runnel::sql
