// The records connectors produce and consume (Kafka Connect's
// ConnectRecord, SourceRecord and SinkRecord), as converters and
// transformations see them: key, value and headers in the data model
// (data.h), not yet bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"

namespace runnel::connect {

struct header {
  std::string key;
  schema_ptr schema;  // may be null (schemaless)
  data value;
};

enum class timestamp_type { no_timestamp, create_time, log_append_time };

struct sink_record;

struct connect_record {
  connect_record() = default;
  connect_record(const connect_record&) = default;
  connect_record(connect_record&&) = default;
  connect_record& operator=(const connect_record&) = default;
  connect_record& operator=(connect_record&&) = default;
  virtual ~connect_record() = default;
  // The sink record this is, or null (a source record): what
  // InsertField's offset.field needs.
  virtual const sink_record* as_sink() const { return nullptr; }

  std::string topic;
  std::optional<int32_t> kafka_partition;  // unset: the producer's partitioner
  schema_ptr key_schema;
  data key;  // null: no key
  schema_ptr value_schema;
  data value;                        // null: a tombstone
  std::optional<int64_t> timestamp;  // ms since the epoch; unset: now
  std::vector<header> headers;

  // The last header with this key (Kafka's Headers.lastWithName), or null.
  const header* last_header(std::string_view key) const;
  void add_header(std::string key, data value, schema_ptr schema = nullptr);
  void remove_headers(std::string_view key);
};

// What a source task returns from poll(). `source_partition` names where the
// record came from (a file, a table, a bucket key) and `source_offset` how
// far that place is read once this record is safely in Kafka; both are JSON
// objects, stored in Kafka Connect's offset format (runtime/offset_store.h).
//
// A record with an empty `topic` is offset-only: nothing is sent, but its
// offset is committed in order with the partition's records (what Kafka's
// KIP-910 updateOffsets is for; the directory source marks an empty file
// done this way).
struct source_record : connect_record {
  data source_partition = data::object();
  data source_offset = data::object();
  // Set when the task could not read this record (a line of a file that is
  // not JSON): the runtime handles it as a failure at the task_poll stage
  // under errors.tolerance — the task fails, or the record is skipped (and
  // dead-lettered, its value being the raw text) and its offset commits in
  // order with the others.
  std::optional<error> failure;

  bool offset_only() const { return topic.empty(); }
};

// What a sink task receives in put(): a consumed record, converted and
// transformed. The original_* fields are where it was read (KIP-793), which
// a transformation that renames the topic does not change.
struct sink_record : connect_record {
  const sink_record* as_sink() const override { return this; }

  int64_t kafka_offset = -1;
  timestamp_type ts_type = timestamp_type::no_timestamp;
  std::string original_topic;
  int32_t original_partition = -1;
  int64_t original_offset = -1;
};

// Where the broker put a source record (Kafka's RecordMetadata).
struct record_metadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp = -1;
};

}  // namespace runnel::connect
