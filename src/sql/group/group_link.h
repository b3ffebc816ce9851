// group_link: what the engine needs of a Kafka group to share its work
// among several SQL processes (engine_options::group, `runnel sql
// --share`): join with this member's metadata, let the elected leader
// compute every member's assignment, and learn when the group rebalances.
//
// The engine does not speak the group protocol itself: `cli` adapts the
// group member of Kafka Connect's distributed mode
// (src/connect/distributed/group_member.h, protocol type "runnel-sql") to
// this interface (src/cli/sql_group.cc), so that there is one
// implementation of FindCoordinator/JoinGroup/SyncGroup/Heartbeat in
// runnel and sql does not include connect (DESIGN.md: sql → stream →
// client).
//
// Thread-safety: join() and leave() from one thread (the engine's group
// thread); needs_rejoin() and request_rejoin() from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sql/error.h"

namespace runnel::sql {

class group_link {
 public:
  struct member {
    std::string id;
    std::string metadata;
  };
  struct joined {
    int32_t generation = -1;
    std::string member_id;
    std::string leader_id;
    std::string assignment;  // this member's, as the leader wrote it
  };
  // Leader only: every member's metadata in, (member id, assignment) out.
  using assignor = std::function<std::vector<std::pair<std::string, std::string>>(
      const std::vector<member>& members)>;

  virtual ~group_link() = default;
  virtual result<joined> join(const std::string& metadata, const assignor& assign,
                              std::chrono::milliseconds timeout) = 0;
  // The generation joined last is over (a member came or went).
  virtual bool needs_rejoin() const = 0;
  virtual void request_rejoin() = 0;
  virtual void leave() = 0;
  // Whether the group confirmed this member recently enough that it
  // cannot have been dropped (and replaced) yet: a leader writes the
  // catalog, and an owner its tables' topics, only while this holds, so
  // that one that was cut off or paused past the session timeout does
  // not write after its successor started.
  virtual bool has_lease() const { return true; }
};

}  // namespace runnel::sql
