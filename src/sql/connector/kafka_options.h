// kafka_options: the WITH (...) and FORMAT ... ENCODE ... clauses of
// CREATE SOURCE / CREATE TABLE / CREATE SINK with connector = 'kafka',
// read and checked once, with RisingWave's option names
// (docs/sql/README.md, "Kafka sources and sinks").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/client/config.h"
#include "sql/parse/statement.h"

namespace runnel::sql {

// ENCODE JSON | CSV [( delimiter = ',', without_header = 'true' )] | BYTES
struct kafka_encoding {
  enum class kind { json, csv, bytes } what = kind::json;
  char delimiter = ',';  // CSV
  bool header = true;    // CSV: records may be headers (without_header = 'false', the default)
};

struct kafka_source_options {
  std::string topic;
  kafka_encoding encode;
  client::client_config client;
  enum class start { earliest, latest, timestamp } startup = start::earliest;
  int64_t startup_timestamp_ms = 0;
  bool upsert = false;  // FORMAT UPSERT: the record key names the row, a null value deletes it
  // Set when a restarted process re-creates the source (the durable
  // catalog): the (partition, offset) it first started at, instead of the
  // startup mode, so that it reads exactly what it read before.
  std::vector<std::pair<int32_t, int64_t>> pinned_offsets;
  // A keyed source (FORMAT UPSERT, or a primary key) whose reader keeps
  // each key's current row itself (the engine with a state directory, in
  // RocksDB): the source keeps none, adds no rows to a batch, and hands
  // each record over as its key and new row (or a tombstone) in
  // source_progress::keys, in order; the reader retracts the row each one
  // replaces. Otherwise the source keeps every key's current row in memory.
  bool reader_keeps_rows = false;
  // Set when an exactly-once recovery replays the last epoch (src/sql/README.md,
  // "Exactly-once Kafka sinks"): the (partition, offset) of each partition
  // before which records are delivered; from there on (from the start, for
  // a partition it does not name) the source holds them until
  // kafka_source::release().
  std::optional<std::vector<std::pair<int32_t, int64_t>>> hold_at;
};

struct kafka_sink_options {
  std::string topic;
  kafka_encoding encode;  // JSON or CSV (values only: an upsert sink's keys stay JSON)
  client::client_config client;
  bool upsert = false;             // FORMAT UPSERT / type = 'upsert': keyed, deletes as tombstones
  bool force_append_only = false;  // drop deletes instead of refusing an updating input
  std::string primary_key;  // upsert: the key columns, comma-separated (else the input's key)
  // Create the topic if it does not exist (compacted for an upsert sink):
  // the topic between a connector sink's two halves (connector_sink.h).
  bool create_topic = false;
  // is_exactly_once = 'true': the records go through the SQL process's one
  // transactional producer, committed with its state (src/sql/README.md,
  // "Exactly-once Kafka sinks").
  bool exactly_once = false;
};

// `default_brokers`: the cluster of the SQL process (its --brokers), used
// when properties.bootstrap.server is not given.
result<kafka_source_options> read_source_options(const statement& s,
                                                 const std::string& default_brokers);
result<kafka_sink_options> read_sink_options(const statement& s,
                                             const std::string& default_brokers);

// Whether a sink is upsert: WITH (type = 'append-only' | 'upsert') and
// FORMAT PLAIN | UPSERT, which must agree, and force_append_only, which an
// upsert sink refuses (errors at `pos`).
result<bool> sink_upsert(const std::string& type, const format_spec& format, bool force_append_only,
                         int pos);

}  // namespace runnel::sql
