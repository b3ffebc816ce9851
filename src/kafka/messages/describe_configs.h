// DescribeConfigs (key 32), versions 0-4; flexible from v4.
//
// v0 answers with a per-config `is_default` flag; v1 replaces it with
// `config_source` (plus synonyms), so a handler fills both and the codec
// writes whichever the version has. v3 adds the type and documentation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct describe_configs_request {
  struct resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;  // null: all
  };
  std::vector<resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+

  template <class A>
  void serde(A& a) {
    a.array(resources, [](A& a, resource& r) {
      a.i8(r.resource_type);
      a.string(r.resource_name);
      a.nullable_array(r.configuration_keys, [](A& a, std::string& k) { a.string(k); });
      a.tags();
    });
    if (a.version >= 1) a.boolean(include_synonyms);
    if (a.version >= 3) a.boolean(include_documentation);
    a.tags();
  }
};

struct describe_configs_response {
  struct synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
  };
  struct config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;  // v0 only
    // v1+. -1 is the spec's placeholder; a v0 reader derives it from
    // is_default and the resource type.
    int8_t config_source = -1;
    bool is_sensitive = false;
    std::vector<synonym> synonyms;             // v1+
    int8_t config_type = 0;                    // v3+
    std::optional<std::string> documentation;  // v3+
  };
  struct result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<config> configs;
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> results;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(results, [](A& a, result& r) {
      a.i16(r.error_code);
      a.nullable_string(r.error_message);
      a.i8(r.resource_type);
      a.string(r.resource_name);
      a.array(r.configs, [](A& a, config& c) {
        a.string(c.name);
        a.nullable_string(c.value);
        a.boolean(c.read_only);
        if (a.version == 0) a.boolean(c.is_default);
        if (a.version >= 1) a.i8(c.config_source);
        a.boolean(c.is_sensitive);
        if (a.version >= 1) {
          a.array(c.synonyms, [](A& a, synonym& s) {
            a.string(s.name);
            a.nullable_string(s.value);
            a.i8(s.source);
            a.tags();
          });
        }
        if (a.version >= 3) {
          a.i8(c.config_type);
          a.nullable_string(c.documentation);
        }
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
