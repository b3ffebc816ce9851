#include "broker/replica_assignment.h"

namespace runnel::broker {

std::optional<assignment_error> check_replicas(int32_t index, std::span<const int32_t> replicas,
                                               int32_t node_id) {
  using kafka::error_code;
  const std::string p = std::to_string(index);
  if (replicas.empty())
    return assignment_error{error_code::invalid_replica_assignment,
                            "Empty replica list for partition " + p};
  for (int32_t id : replicas)
    if (id != node_id)
      return assignment_error{error_code::invalid_replica_assignment,
                              "Unknown broker " + std::to_string(id) +
                                  " in the assignment of partition " + p + "; the only broker is " +
                                  std::to_string(node_id)};
  if (replicas.size() > 1)
    return assignment_error{error_code::invalid_replica_assignment,
                            "Duplicate replica assignment found for partition " + p};
  return std::nullopt;
}

std::optional<assignment_error> check_partition_indexes(std::span<const int32_t> indexes) {
  std::vector<bool> seen(indexes.size(), false);
  for (int32_t i : indexes) {
    if (i < 0 || size_t(i) >= seen.size() || seen[size_t(i)])
      return assignment_error{kafka::error_code::invalid_replica_assignment,
                              "Partitions should be a consecutive 0-based integer sequence"};
    seen[size_t(i)] = true;
  }
  return std::nullopt;
}

}  // namespace runnel::broker
