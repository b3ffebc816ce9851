// ListOffsets (key 2), versions 1-7. Version 0 (MaxNumOffsets and the
// OldStyleOffsets array) is not advertised, so not modelled. Nested types are
// named after the spec's structs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct list_offsets_request {
  struct list_offsets_partition {
    int32_t partition_index = 0;
    int32_t current_leader_epoch = -1;  // v4+
    // A time in ms, or -1 latest, -2 earliest, -3 max timestamp (v7+).
    int64_t timestamp = 0;
  };
  struct list_offsets_topic {
    std::string name;
    std::vector<list_offsets_partition> partitions;
  };
  int32_t replica_id = 0;
  int8_t isolation_level = 0;  // v2+
  std::vector<list_offsets_topic> topics;

  template <class A>
  void serde(A& a) {
    a.i32(replica_id);
    if (a.version >= 2) a.i8(isolation_level);
    a.array(topics, [](A& a, list_offsets_topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, list_offsets_partition& p) {
        a.i32(p.partition_index);
        if (a.version >= 4) a.i32(p.current_leader_epoch);
        a.i64(p.timestamp);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

struct list_offsets_response {
  struct list_offsets_partition_response {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t timestamp = -1;
    int64_t offset = -1;
    int32_t leader_epoch = -1;  // v4+
  };
  struct list_offsets_topic_response {
    std::string name;
    std::vector<list_offsets_partition_response> partitions;
  };
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<list_offsets_topic_response> topics;

  template <class A>
  void serde(A& a) {
    if (a.version >= 2) a.i32(throttle_time_ms);
    a.array(topics, [](A& a, list_offsets_topic_response& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, list_offsets_partition_response& p) {
        a.i32(p.partition_index);
        a.i16(p.error_code);
        a.i64(p.timestamp);
        a.i64(p.offset);
        if (a.version >= 4) a.i32(p.leader_epoch);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
