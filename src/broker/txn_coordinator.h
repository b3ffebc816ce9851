// txn_coordinator: where each transactional id lives, and the start-up that
// brings the transactions back.
//
// A transactional id belongs to the __transaction_state partition Kafka's
// rule picks (the absolute value of Java's String.hashCode modulo the
// partition count, as for groups), and so to the shard that owns that
// partition; that shard's txn_manager holds it and runs every request for
// it (DESIGN.md decision 4). This broker coordinates every transaction.
//
// Threading: load() runs once at start-up, before the shards do; start()
// once they run and before the listener opens. After that the object is
// read-only; each txn_manager is used only on its shard.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "broker/txn_manager.h"
#include "model/result.h"

namespace runnel::broker {

class server;
class shard;

class txn_coordinator {
 public:
  explicit txn_coordinator(server& srv);
  ~txn_coordinator();
  txn_coordinator(const txn_coordinator&) = delete;
  txn_coordinator& operator=(const txn_coordinator&) = delete;

  // Creates __transaction_state if it is missing, then replays every
  // partition of it into the managers. Blocking.
  result<void> load();
  // Runs txn_manager::start() on every shard and waits for it (bounded):
  // ongoing transactions reach their partitions and prepared ones are
  // completed before clients are served.
  void start();
  // Stops the managers' timers (from outside the shards, while they run).
  void shutdown();

  int32_t partition_for(std::string_view transactional_id) const;
  shard& shard_for(std::string_view transactional_id);
  txn_manager& manager_on(shard& sh);
  txn_manager& manager_for(std::string_view transactional_id) {
    return manager_on(shard_for(transactional_id));
  }

 private:
  server& srv_;
  int32_t partitions_ = 0;
  std::vector<std::unique_ptr<txn_manager>> managers_;  // by shard index
};

}  // namespace runnel::broker
