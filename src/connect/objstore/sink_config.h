// The configuration of the object-store and directory sinks: the store's
// keys (source_config.h; a directory is output.path) and Confluent's S3
// sink keys where they exist (topics.dir, flush.size, rotate.interval.ms,
// rotate.schedule.interval.ms, partitioner.class, path.format,
// partition.duration.ms, timestamp.extractor, timestamp.field,
// partition.field.name, format.class, s3.compression.type), so such a
// config runs with few changes.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "connect/api/config_def.h"
#include "connect/objstore/decompress.h"
#include "connect/objstore/source_config.h"
#include "connect/transforms/date_format.h"

namespace runnel::connect::objstore {

const config_def& sink_config_def(store_kind kind);

enum class sink_format { json, csv };
enum class partitioner { kafka_partition, field, time };

struct sink_settings {
  std::string topics_dir = "topics";
  sink_format format = sink_format::json;
  compression codec = compression::none;
  int64_t flush_size = 1000;                    // records per file
  int64_t rotate_size_bytes = 64 << 20;         // bytes per file (before compression)
  std::chrono::milliseconds rotate_interval{};  // record time span per file; 0: off
  std::chrono::milliseconds rotate_schedule{};  // wall clock per file; 0: off
  partitioner partition_by = partitioner::kafka_partition;
  std::optional<date_format> path_format;  // time partitioner
  std::chrono::milliseconds partition_duration{std::chrono::hours(1)};
  std::string timestamp_field;  // "" : the record's timestamp
  std::string partition_field;  // field partitioner
};

result<sink_settings> parse_sink_settings(store_kind kind, const config_map& props);

}  // namespace runnel::connect::objstore
