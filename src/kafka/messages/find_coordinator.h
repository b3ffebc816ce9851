// FindCoordinator (key 10), versions 0-4.
//
// v4 (KIP-699) batches the lookup: the request carries coordinator_keys
// instead of key, and the response one coordinators entry per key instead of
// the single error/node/host/port. The single-key fields are absent from v4
// on, not merely ignored, so the two forms never share the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct find_coordinator_request {
  std::string key;                            // v0-3
  int8_t key_type = 0;                        // v1+: 0 group, 1 transaction
  std::vector<std::string> coordinator_keys;  // v4+

  bool operator==(const find_coordinator_request&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version <= 3) a.string(key);
    if (a.version >= 1) a.i8(key_type);
    if (a.version >= 4) a.string_array(coordinator_keys);
    a.tags();
  }
};

struct find_coordinator_response {
  struct coordinator {
    std::string key;
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;

    bool operator==(const coordinator&) const = default;
  };
  int32_t throttle_time_ms = 0;              // v1+
  int16_t error_code = 0;                    // v0-3
  std::optional<std::string> error_message;  // v1-3
  int32_t node_id = 0;                       // v0-3
  std::string host;                          // v0-3
  int32_t port = 0;                          // v0-3
  std::vector<coordinator> coordinators;     // v4+

  bool operator==(const find_coordinator_response&) const = default;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    if (a.version <= 3) {
      a.i16(error_code);
      if (a.version >= 1) a.nullable_string(error_message);
      a.i32(node_id);
      a.string(host);
      a.i32(port);
    } else {
      a.array(coordinators, [](A& a, coordinator& c) {
        a.string(c.key);
        a.i32(c.node_id);
        a.string(c.host);
        a.i32(c.port);
        a.i16(c.error_code);
        a.nullable_string(c.error_message);
        a.tags();
      });
    }
    a.tags();
  }
};

}  // namespace runnel::kafka
