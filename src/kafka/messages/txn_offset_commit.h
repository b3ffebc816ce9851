// TxnOffsetCommit (key 28), versions 0-3; flexible from v3.
//
// Consumer offsets written as part of a transaction: sent to the group
// coordinator after AddOffsetsToTxn, visible only once the transaction
// commits. v2 adds the leader epoch per partition; v3 (KIP-447) the group
// generation, member id and instance id, so that a zombie member of an old
// generation is fenced by the group rather than by a transactional.id per
// input partition.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct txn_offset_commit_request {
  struct partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v2+
    std::optional<std::string> committed_metadata;

    bool operator==(const partition&) const = default;
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;

    bool operator==(const topic&) const = default;
  };
  std::string transactional_id;
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t generation_id = -1;                    // v3+
  std::string member_id;                         // v3+
  std::optional<std::string> group_instance_id;  // v3+
  std::vector<topic> topics;

  bool operator==(const txn_offset_commit_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(transactional_id);
    a.string(group_id);
    a.i64(producer_id);
    a.i16(producer_epoch);
    if (a.version >= 3) {
      a.i32(generation_id);
      a.string(member_id);
      a.nullable_string(group_instance_id);
    }
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.partition_index);
        a.i64(p.committed_offset);
        if (a.version >= 2) a.i32(p.committed_leader_epoch);
        a.nullable_string(p.committed_metadata);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

struct txn_offset_commit_response {
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
  int32_t throttle_time_ms = 0;
  std::vector<topic> topics;

  bool operator==(const txn_offset_commit_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
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
