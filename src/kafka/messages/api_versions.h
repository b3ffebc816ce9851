// ApiVersions (key 18), versions 0-3.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct api_versions_request {
  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+

  template <class A>
  void serde(A& a) {
    if (a.version >= 3) {
      a.string(client_software_name);
      a.string(client_software_version);
    }
    a.tags();
  }
};

struct api_versions_response {
  struct api_version {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
  };
  int16_t error_code = 0;
  std::vector<api_version> api_keys;
  int32_t throttle_time_ms = 0;  // v1+

  template <class A>
  void serde(A& a) {
    a.i16(error_code);
    a.array(api_keys, [](A& a, api_version& v) {
      a.i16(v.api_key);
      a.i16(v.min_version);
      a.i16(v.max_version);
      a.tags();
    });
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.tags();
  }
};

}  // namespace runnel::kafka
