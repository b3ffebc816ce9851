// group_coordinator: where each consumer group lives, and the start-up that
// brings the groups back.
//
// A group belongs to the __consumer_offsets partition Kafka's rule picks
// (offsets_format::partition_for), and so to the shard that owns that
// partition; that shard's group_manager holds the group and runs every
// request for it (DESIGN.md decision 4). This broker is the coordinator of
// every group.
//
// Threading: load() runs once at start-up, before the shards do. After
// that the object is read-only; each group_manager is used only on its shard.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "broker/group_manager.h"
#include "model/result.h"

namespace runnel::broker {

class server;
class shard;

class group_coordinator {
 public:
  explicit group_coordinator(server& srv);
  ~group_coordinator();
  group_coordinator(const group_coordinator&) = delete;
  group_coordinator& operator=(const group_coordinator&) = delete;

  // Creates __consumer_offsets if it is missing, then replays every
  // partition of it into the group managers. Blocking; call it after the
  // partition logs are open and before the shards run.
  result<void> load();
  // Runs group_manager::shutdown() on every shard and waits (bounded). Call
  // it from outside the shards while they still run.
  void shutdown();

  int32_t partition_for(std::string_view group) const;
  shard& shard_for(std::string_view group);
  // The manager of the groups owned by `sh`.
  group_manager& manager_on(shard& sh);
  group_manager& manager_for(std::string_view group) { return manager_on(shard_for(group)); }

 private:
  server& srv_;
  int32_t partitions_ = 0;
  std::vector<std::unique_ptr<group_manager>> managers_;  // by shard index
};

}  // namespace runnel::broker
