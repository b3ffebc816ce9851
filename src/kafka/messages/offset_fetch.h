// OffsetFetch (key 9), versions 1-7 (v0 read offsets from ZooKeeper and is
// not offered). The multi-group form is v8, beyond our range.
//
// From v2 a null topics array asks for every topic the group has committed,
// and the response gains a group-level error_code, which comes after the
// topics on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct offset_fetch_request {
  struct topic {
    std::string name;
    std::vector<int32_t> partition_indexes;

    bool operator==(const topic&) const = default;
  };
  std::string group_id;
  // Null (v2+) = all topics. v0-1 cannot say null; a null is sent as an
  // empty array there, and encoding stores that empty array.
  std::optional<std::vector<topic>> topics;
  bool require_stable = false;  // v7+

  bool operator==(const offset_fetch_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    auto each = [](A& a, topic& t) {
      a.string(t.name);
      a.i32_array(t.partition_indexes);
      a.tags();
    };
    if (a.version >= 2) {
      a.nullable_array(topics, each);
    } else {
      if (!topics) topics.emplace();
      a.array(*topics, each);
    }
    if (a.version >= 7) a.boolean(require_stable);
    a.tags();
  }
};

struct offset_fetch_response {
  struct partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v5+
    std::optional<std::string> metadata;
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
  int16_t error_code = 0;  // v2+

  bool operator==(const offset_fetch_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 3) a.i32(throttle_time_ms);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.partition_index);
        a.i64(p.committed_offset);
        if (a.version >= 5) a.i32(p.committed_leader_epoch);
        a.nullable_string(p.metadata);
        a.i16(p.error_code);
        a.tags();
      });
      a.tags();
    });
    if (a.version >= 2) a.i16(error_code);
    a.tags();
  }
};

}  // namespace runnel::kafka
