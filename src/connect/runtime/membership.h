// membership: who runs which connectors and tasks. Standalone mode has
// none (this worker runs everything); distributed mode is a member of a
// Kafka group (distributed/connect_member.h), whose leader assigns
// connectors and tasks to the members.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "connect/runtime/config_store.h"
#include "connect/runtime/state.h"

namespace runnel::connect {

struct work_assignment {
  int32_t generation = 0;
  int64_t config_offset = 0;  // the config log position the leader assigned from
  std::set<std::string> connectors;
  std::set<task_id> tasks;
  std::string leader;  // the leader's worker URL
};

// What a member tells the others when it joins (Kafka Connect's metadata).
struct member_info {
  std::string member_id;
  std::string url;
  int64_t config_offset = 0;
};

class membership {
 public:
  virtual ~membership() = default;
  // The group is rebalancing, or this member was dropped: the assignment is
  // no longer valid. The herder stops its work and calls join().
  virtual bool needs_rejoin() = 0;
  // Joins (or rejoins) and waits for this member's assignment. On the
  // leader, `assign` computes every member's from their infos (it reads the
  // config log to the end first).
  using assign_fn = std::function<std::map<std::string, work_assignment>(
      const std::vector<member_info>& members)>;
  virtual result<work_assignment> join(int64_t config_offset, const assign_fn& assign,
                                       std::chrono::milliseconds timeout) = 0;
  // Asks for a rebalance (the set of connectors or tasks changed).
  virtual void request_rejoin() = 0;
  virtual void leave() = 0;
  // Called when needs_rejoin() becomes true, from the heartbeat thread.
  virtual void set_wakeup(std::function<void()> f) = 0;
};

// Every connector and task of a snapshot, round-robin over the members
// (sorted by member id; connectors first, then tasks), each taken in name
// order: the same inputs give the same assignment.
std::map<std::string, work_assignment> round_robin_assignment(
    const config_snapshot& snap, const std::vector<member_info>& members, int32_t generation,
    const std::string& leader_url);

}  // namespace runnel::connect
