// ListGroups (key 16), versions 0-4. v4 (KIP-518) adds filtering by group
// state and reports each group's state; types_filter/group_type are v5.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct list_groups_request {
  std::vector<std::string> states_filter;  // v4+; empty = all states

  bool operator==(const list_groups_request&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 4) a.string_array(states_filter);
    a.tags();
  }
};

struct list_groups_response {
  struct listed_group {
    std::string group_id;
    std::string protocol_type;
    std::string group_state;  // v4+

    bool operator==(const listed_group&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::vector<listed_group> groups;

  bool operator==(const list_groups_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.i16(error_code);
    a.array(groups, [](A& a, listed_group& g) {
      a.string(g.group_id);
      a.string(g.protocol_type);
      if (a.version >= 4) a.string(g.group_state);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
