// Kafka helpers the runtime shares: client errors as connect errors, and
// creating a topic that may already exist (internal topics, dead-letter
// topics, topic.creation.*), falling back to the broker's default
// replication factor when the cluster has fewer brokers than asked for.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "connect/api/error.h"
#include "runnel/client/admin.h"
#include "runnel/client/error.h"

namespace runnel::connect {

error from_client(const client::error& e, std::string_view context = {});

// Creates `topic` unless it exists. Returns true if it was created.
result<bool> ensure_topic(client::admin& admin, const std::string& topic, int32_t partitions,
                          int16_t replication_factor,
                          const std::vector<std::pair<std::string, std::string>>& configs = {});

}  // namespace runnel::connect
