// OffsetCommit (key 8), versions 2-8 served.
//
// Field history that is easy to get wrong: commit_timestamp exists only in
// v1 (below our range, kept so the struct describes the API), and
// retention_time_ms only in v2-4; from v5 retention is broker config alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct offset_commit_request {
  struct partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v6+
    int64_t commit_timestamp = -1;        // v1 only
    std::optional<std::string> committed_metadata;

    bool operator==(const partition&) const = default;
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;

    bool operator==(const topic&) const = default;
  };
  std::string group_id;
  // v1+. The classic group's generation; KIP-848 reuses the slot for the
  // member epoch, hence the name. -1 for a commit from outside the group.
  int32_t generation_id_or_member_epoch = -1;
  std::string member_id;                         // v1+
  std::optional<std::string> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                // v2-4; -1 = broker default
  std::vector<topic> topics;

  bool operator==(const offset_commit_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    if (a.version >= 1) {
      a.i32(generation_id_or_member_epoch);
      a.string(member_id);
    }
    if (a.version >= 7) a.nullable_string(group_instance_id);
    if (a.version >= 2 && a.version <= 4) a.i64(retention_time_ms);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.partition_index);
        a.i64(p.committed_offset);
        if (a.version >= 6) a.i32(p.committed_leader_epoch);
        if (a.version == 1) a.i64(p.commit_timestamp);
        a.nullable_string(p.committed_metadata);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

struct offset_commit_response {
  struct partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;

    bool operator==(const partition&) const = default;
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;

    bool operator==(const topic&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<topic> topics;

  bool operator==(const offset_commit_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 3) a.i32(throttle_time_ms);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.partition_index);
        a.i16(p.error_code);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
