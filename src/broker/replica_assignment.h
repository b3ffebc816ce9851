// Manual replica assignments (CreateTopics, CreatePartitions) on a single
// node: Kafka accepts one whose every replica is a live broker, so here the
// one valid assignment puts each partition on this broker alone
// ([[node_id], [node_id], ...]). Anything else is INVALID_REPLICA_ASSIGNMENT
// with Kafka's reasons. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kafka/error_code.h"

namespace runnel::broker {

struct assignment_error {
  kafka::error_code code;
  std::string message;
};

// Checks the replica list of partition `index`; nullopt if it is [node_id].
std::optional<assignment_error> check_replicas(int32_t index, std::span<const int32_t> replicas,
                                               int32_t node_id);

// CreateTopics: partitions must be numbered 0..n-1, each listed once.
std::optional<assignment_error> check_partition_indexes(std::span<const int32_t> indexes);

}  // namespace runnel::broker
