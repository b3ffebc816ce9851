// Per-log configuration under Kafka's topic-config names (DESIGN.md decision
// 10). Defaults are Kafka's unless noted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "model/compression.h"
#include "model/result.h"

namespace runnel::storage {

struct log_config {
  static constexpr int64_t unlimited = -1;

  int64_t segment_bytes = int64_t{1} << 30;                 // segment.bytes
  int64_t segment_ms = int64_t{7} * 24 * 3600 * 1000;       // segment.ms
  int64_t retention_ms = int64_t{7} * 24 * 3600 * 1000;     // retention.ms (-1: forever)
  int64_t retention_bytes = unlimited;                      // retention.bytes
  bool cleanup_delete = true;                               // cleanup.policy contains delete
  bool cleanup_compact = false;                             // cleanup.policy contains compact
  int64_t delete_retention_ms = int64_t{24} * 3600 * 1000;  // delete.retention.ms
  int64_t min_compaction_lag_ms = 0;                        // min.compaction.lag.ms
  int64_t max_message_bytes = 1048588;                      // max.message.bytes
  int64_t index_interval_bytes = 4096;                      // index.interval.bytes
  // Background fsync for writes not acknowledged as durable. runnel's
  // defaults (Kafka leaves both at "never" and relies on replication, which a
  // single node does not have).
  int64_t flush_ms = 1000;                 // flush.ms
  int64_t flush_bytes = int64_t{1} << 30;  // flush.bytes (runnel's name)
  bool log_append_time = false;            // message.timestamp.type=LogAppendTime
  // write.caching (Redpanda's name): acks=all is answered once the batch is
  // in the page cache, as Kafka answers it on one node, instead of after its
  // fsync; the background flush (flush.ms, flush.bytes) makes it durable
  // later. Off by default: acks=all means on disk.
  bool write_caching = false;
  // compression.type: nullopt is "producer" (batches stored as sent); a codec
  // (compression::none for "uncompressed") makes append() re-compress every
  // batch that arrives in another codec, as Kafka does.
  std::optional<model::compression> compression;
  // message.format.version: deprecated in Kafka 3.x and without effect on v2
  // batches, the only format there is. Accepted and shown, never used.
  std::string message_format_version = "3.0-IV1";

  // Applies one Kafka-named setting; unknown names and bad values are errors.
  // A few Kafka settings (min.insync.replicas, preallocate, ...) have
  // one fixed value here: set() accepts only that value, describe() shows it.
  result<void> set(std::string_view name, std::string_view value);
  // Applies every entry of `overrides`.
  static result<log_config> from(const std::map<std::string, std::string>& overrides);
  // The value of a setting under its Kafka name, as DescribeConfigs shows it.
  std::map<std::string, std::string> describe() const;
  // True if `name` is a setting this struct understands.
  static bool known(std::string_view name);
  // True if `name` is one of the settings with a single fixed value.
  static bool fixed(std::string_view name);
};

}  // namespace runnel::storage
