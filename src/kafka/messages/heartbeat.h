// Heartbeat (key 12), versions 0-4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kafka/wire.h"

namespace runnel::kafka {

struct heartbeat_request {
  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+

  bool operator==(const heartbeat_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    a.i32(generation_id);
    a.string(member_id);
    if (a.version >= 3) a.nullable_string(group_instance_id);
    a.tags();
  }
};

struct heartbeat_response {
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;

  bool operator==(const heartbeat_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.i16(error_code);
    a.tags();
  }
};

}  // namespace runnel::kafka
