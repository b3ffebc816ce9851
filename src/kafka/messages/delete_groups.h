// DeleteGroups (key 42), versions 0-2. Unlike most responses, throttle time
// is present from v0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct delete_groups_request {
  std::vector<std::string> groups_names;

  bool operator==(const delete_groups_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string_array(groups_names);
    a.tags();
  }
};

struct delete_groups_response {
  struct deletable_group_result {
    std::string group_id;
    int16_t error_code = 0;

    bool operator==(const deletable_group_result&) const = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<deletable_group_result> results;

  bool operator==(const delete_groups_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(results, [](A& a, deletable_group_result& r) {
      a.string(r.group_id);
      a.i16(r.error_code);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
