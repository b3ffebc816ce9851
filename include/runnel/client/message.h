// The records a producer sends and a consumer receives, and partition
// coordinates.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runnel/strong_types.h"

namespace runnel::client {

struct header {
  std::string key;
  std::optional<std::string> value;  // Kafka headers may have a null value
  friend bool operator==(const header&, const header&) = default;
};

struct topic_partition {
  std::string topic;
  runnel::partition_id partition;
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};

struct topic_partition_offset {
  std::string topic;
  runnel::partition_id partition;
  runnel::offset offset;
  friend bool operator==(const topic_partition_offset&, const topic_partition_offset&) = default;
};

enum class timestamp_type { not_available, create_time, log_append_time };

// A consumed record. Keys and values are bytes; std::string only holds them.
struct message {
  std::string topic;
  runnel::partition_id partition;
  runnel::offset offset;
  runnel::timestamp timestamp = runnel::timestamp::missing();
  timestamp_type ts_type = timestamp_type::not_available;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<header> headers;
};

// A consumed record seen in place, without copying: what
// consumer::poll_batch hands its callback. The views point into librdkafka's
// buffers and are valid only during that callback; copy() keeps one.
struct message_view {
  std::string_view topic;
  runnel::partition_id partition;
  runnel::offset offset;
  runnel::timestamp timestamp = runnel::timestamp::missing();
  timestamp_type ts_type = timestamp_type::not_available;
  std::optional<std::string_view> key;    // nullopt: a null key
  std::optional<std::string_view> value;  // nullopt: a null value (a tombstone)
  const void* impl = nullptr;             // the librdkafka message; for headers()

  // The record's headers, read (and copied) only when asked for, because most
  // records of a stream have none and most consumers never look.
  std::vector<header> headers() const;
  // An owning copy, headers included.
  message copy() const;
};

}  // namespace runnel::client
