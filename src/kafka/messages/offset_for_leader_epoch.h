// OffsetForLeaderEpoch (key 23), versions 0-4. Consumers use it (v2+) to
// detect log truncation after a leader change (KIP-320). Nested types are
// named after the spec's structs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct offset_for_leader_epoch_request {
  struct offset_for_leader_partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // v2+
    int32_t leader_epoch = 0;
  };
  struct offset_for_leader_topic {
    std::string topic;
    std::vector<offset_for_leader_partition> partitions;
  };
  // v3+. -2 marks a "debug" consumer that may see past the high watermark;
  // it is also what v0-2 requests mean.
  int32_t replica_id = -2;
  std::vector<offset_for_leader_topic> topics;

  template <class A>
  void serde(A& a) {
    if (a.version >= 3) a.i32(replica_id);
    a.array(topics, [](A& a, offset_for_leader_topic& t) {
      a.string(t.topic);
      a.array(t.partitions, [](A& a, offset_for_leader_partition& p) {
        a.i32(p.partition);
        if (a.version >= 2) a.i32(p.current_leader_epoch);
        a.i32(p.leader_epoch);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

struct offset_for_leader_epoch_response {
  struct epoch_end_offset {
    int16_t error_code = 0;
    int32_t partition = 0;
    int32_t leader_epoch = -1;  // v1+
    int64_t end_offset = -1;
  };
  struct offset_for_leader_topic_result {
    std::string topic;
    std::vector<epoch_end_offset> partitions;
  };
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<offset_for_leader_topic_result> topics;

  template <class A>
  void serde(A& a) {
    if (a.version >= 2) a.i32(throttle_time_ms);
    a.array(topics, [](A& a, offset_for_leader_topic_result& t) {
      a.string(t.topic);
      // Note the spec's order: error code before partition index.
      a.array(t.partitions, [](A& a, epoch_end_offset& p) {
        a.i16(p.error_code);
        a.i32(p.partition);
        if (a.version >= 1) a.i32(p.leader_epoch);
        a.i64(p.end_offset);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
