// CreatePartitions (key 37), versions 0-3; flexible from v2.
//
// `assignments` is nullable: null asks the broker to place the new
// partitions itself; otherwise it holds one entry per new partition.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct create_partitions_request {
  struct assignment {
    std::vector<int32_t> broker_ids;
  };
  struct topic {
    std::string name;
    int32_t count = 0;  // the new total, not the number to add
    std::optional<std::vector<assignment>> assignments;
  };
  std::vector<topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  template <class A>
  void serde(A& a) {
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.i32(t.count);
      a.nullable_array(t.assignments, [](A& a, assignment& p) {
        a.i32_array(p.broker_ids);
        a.tags();
      });
      a.tags();
    });
    a.i32(timeout_ms);
    a.boolean(validate_only);
    a.tags();
  }
};

struct create_partitions_response {
  struct result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> results;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(results, [](A& a, result& r) {
      a.string(r.name);
      a.i16(r.error_code);
      a.nullable_string(r.error_message);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
