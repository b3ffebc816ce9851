// AlterConfigs (key 33), versions 0-2; flexible from v2.
//
// Replaces the whole config set of each resource: a config left out of the
// request reverts to its default (IncrementalAlterConfigs is the per-key
// variant).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct alter_configs_request {
  struct config {
    std::string name;
    std::optional<std::string> value;
  };
  struct resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<config> configs;
  };
  std::vector<resource> resources;
  bool validate_only = false;

  template <class A>
  void serde(A& a) {
    a.array(resources, [](A& a, resource& r) {
      a.i8(r.resource_type);
      a.string(r.resource_name);
      a.array(r.configs, [](A& a, config& c) {
        a.string(c.name);
        a.nullable_string(c.value);
        a.tags();
      });
      a.tags();
    });
    a.boolean(validate_only);
    a.tags();
  }
};

struct alter_configs_response {
  struct result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> responses;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(responses, [](A& a, result& r) {
      a.i16(r.error_code);
      a.nullable_string(r.error_message);
      a.i8(r.resource_type);
      a.string(r.resource_name);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
