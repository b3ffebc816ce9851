// JoinGroup (key 11), versions 0-7.
//
// Protocol metadata travels as opaque bytes; the consumer embedding inside
// them is the client's business. Later fields the range does not reach:
// reason (request v8) and skip_assignment (response v9).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct join_group_request {
  struct protocol {
    std::string name;
    std::vector<std::byte> metadata;

    bool operator==(const protocol&) const = default;
  };
  std::string group_id;
  int32_t session_timeout_ms = 0;
  // v1+. -1 when absent: the coordinator then uses session_timeout_ms.
  int32_t rebalance_timeout_ms = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+
  std::string protocol_type;
  std::vector<protocol> protocols;

  bool operator==(const join_group_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(group_id);
    a.i32(session_timeout_ms);
    if (a.version >= 1) a.i32(rebalance_timeout_ms);
    a.string(member_id);
    if (a.version >= 5) a.nullable_string(group_instance_id);
    a.string(protocol_type);
    a.array(protocols, [](A& a, protocol& p) {
      a.string(p.name);
      a.bytes(p.metadata);
      a.tags();
    });
    a.tags();
  }
};

struct join_group_response {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v5+
    std::vector<std::byte> metadata;

    bool operator==(const member&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v2+
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v7+
  // Nullable from v7 only. Older versions cannot say null, so a null is
  // sent as "" there (as Kafka's broker does); encoding stores that "".
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<member> members;

  bool operator==(const join_group_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 2) a.i32(throttle_time_ms);
    a.i16(error_code);
    a.i32(generation_id);
    if (a.version >= 7) {
      a.nullable_string(protocol_type);
      a.nullable_string(protocol_name);
    } else {
      if (!protocol_name) protocol_name.emplace();
      a.string(*protocol_name);
    }
    a.string(leader);
    a.string(member_id);
    a.array(members, [](A& a, member& m) {
      a.string(m.member_id);
      if (a.version >= 5) a.nullable_string(m.group_instance_id);
      a.bytes(m.metadata);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
