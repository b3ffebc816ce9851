// LeaveGroup (key 13), versions 0-4.
//
// v0-2 name one member (member_id); v3+ (KIP-345) name a batch of members,
// each by member id and/or static group instance id, and answer per member.
// The single member_id is absent from v3 on. The per-member reason is v5,
// beyond our range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct leave_group_request {
  struct member_identity {
    std::string member_id;
    std::optional<std::string> group_instance_id;

    bool operator==(const member_identity&) const = default;
  };
  std::string group_id;
  std::string member_id;                 // v0-2
  std::vector<member_identity> members;  // v3+

  bool operator==(const leave_group_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    if (a.version <= 2) {
      a.string(member_id);
    } else {
      a.array(members, [](A& a, member_identity& m) {
        a.string(m.member_id);
        a.nullable_string(m.group_instance_id);
        a.tags();
      });
    }
    a.tags();
  }
};

struct leave_group_response {
  struct member_response {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;

    bool operator==(const member_response&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::vector<member_response> members;  // v3+

  bool operator==(const leave_group_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.i16(error_code);
    if (a.version >= 3) {
      a.array(members, [](A& a, member_response& m) {
        a.string(m.member_id);
        a.nullable_string(m.group_instance_id);
        a.i16(m.error_code);
        a.tags();
      });
    }
    a.tags();
  }
};

}  // namespace runnel::kafka
