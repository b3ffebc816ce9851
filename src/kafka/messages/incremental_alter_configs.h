// IncrementalAlterConfigs (key 44), versions 0-1; flexible from v1.
//
// Unlike AlterConfigs, each config carries its own operation, so keys not
// named in the request keep their values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct incremental_alter_configs_request {
  struct config {
    std::string name;
    int8_t config_operation = 0;  // 0 set, 1 delete, 2 append, 3 subtract
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
        a.i8(c.config_operation);
        a.nullable_string(c.value);
        a.tags();
      });
      a.tags();
    });
    a.boolean(validate_only);
    a.tags();
  }
};

struct incremental_alter_configs_response {
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
