// DescribeGroups (key 15), versions 0-5.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct describe_groups_request {
  std::vector<std::string> groups;
  bool include_authorized_operations = false;  // v3+

  bool operator==(const describe_groups_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string_array(groups);
    if (a.version >= 3) a.boolean(include_authorized_operations);
    a.tags();
  }
};

struct describe_groups_response {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v4+
    std::string client_id;
    std::string client_host;
    std::vector<std::byte> member_metadata;
    std::vector<std::byte> member_assignment;

    bool operator==(const member&) const = default;
  };
  struct described_group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;
    std::string protocol_type;
    // Despite the name, the chosen protocol's name (e.g. "range"): what
    // Kafka's broker sends and its admin client reads as the assignor.
    std::string protocol_data;
    std::vector<member> members;
    // v3+. INT32_MIN means "not requested", distinct from 0 ("none allowed").
    int32_t authorized_operations = std::numeric_limits<int32_t>::min();

    bool operator==(const described_group&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v1+
  std::vector<described_group> groups;

  bool operator==(const describe_groups_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.array(groups, [](A& a, described_group& g) {
      a.i16(g.error_code);
      a.string(g.group_id);
      a.string(g.group_state);
      a.string(g.protocol_type);
      a.string(g.protocol_data);
      a.array(g.members, [](A& a, member& m) {
        a.string(m.member_id);
        if (a.version >= 4) a.nullable_string(m.group_instance_id);
        a.string(m.client_id);
        a.string(m.client_host);
        a.bytes(m.member_metadata);
        a.bytes(m.member_assignment);
        a.tags();
      });
      if (a.version >= 3) a.i32(g.authorized_operations);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
