// Source offsets as connectors and tasks read them back (Kafka's
// OffsetStorageReader). A source partition and its offset are JSON objects
// chosen by the connector, e.g. {"filename": "/var/log/a"} → {"position":
// 4096}; the runtime stores them in Kafka Connect's format (a key
// ["connector-name", {partition}] and a value {offset}, runtime/offset_store.h).
#pragma once

#include <optional>
#include <vector>

#include "connect/api/data.h"

namespace runnel::connect {

class offset_reader {
 public:
  virtual ~offset_reader() = default;
  // The last offset committed for `partition`, or nullopt. Thread-safe.
  virtual std::optional<data> offset(const data& partition) = 0;
  virtual std::vector<std::optional<data>> offsets(const std::vector<data>& partitions);
};

}  // namespace runnel::connect
