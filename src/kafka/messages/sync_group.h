// SyncGroup (key 14), versions 0-5. Assignments are opaque bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct sync_group_request {
  struct assignment_entry {
    std::string member_id;
    std::vector<std::byte> assignment;

    bool operator==(const assignment_entry&) const = default;
  };
  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  // v5+ (KIP-559): lets the coordinator check the member agrees with the
  // group's protocol. Null when the client does not say.
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;  // v5+
  std::vector<assignment_entry> assignments;

  bool operator==(const sync_group_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    a.i32(generation_id);
    a.string(member_id);
    if (a.version >= 3) a.nullable_string(group_instance_id);
    if (a.version >= 5) {
      a.nullable_string(protocol_type);
      a.nullable_string(protocol_name);
    }
    a.array(assignments, [](A& a, assignment_entry& e) {
      a.string(e.member_id);
      a.bytes(e.assignment);
      a.tags();
    });
    a.tags();
  }
};

struct sync_group_response {
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::vector<std::byte> assignment;

  bool operator==(const sync_group_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.i16(error_code);
    if (a.version >= 5) {
      a.nullable_string(protocol_type);
      a.nullable_string(protocol_name);
    }
    a.bytes(assignment);
    a.tags();
  }
};

}  // namespace runnel::kafka
