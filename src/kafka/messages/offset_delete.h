// OffsetDelete (key 47), version 0 only, never flexible. Note the response
// puts error_code before throttle_time_ms, unlike every other group API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct offset_delete_request {
  struct partition {
    int32_t partition_index = 0;

    bool operator==(const partition&) const = default;
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;

    bool operator==(const topic&) const = default;
  };
  std::string group_id;
  std::vector<topic> topics;

  bool operator==(const offset_delete_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.partition_index);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

struct offset_delete_response {
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
  int16_t error_code = 0;
  int32_t throttle_time_ms = 0;
  std::vector<topic> topics;

  bool operator==(const offset_delete_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i16(error_code);
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
