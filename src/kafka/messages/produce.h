// Produce (key 0), versions 3-9 served (0-2 answered UNSUPPORTED_VERSION).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct produce_request {
  struct partition {
    int32_t index = 0;
    records_field records;
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
  };
  std::optional<std::string> transactional_id;  // v3+
  int16_t acks = 0;
  int32_t timeout_ms = 0;
  std::vector<topic> topics;

  template <class A>
  void serde(A& a) {
    if (a.version >= 3) a.nullable_string(transactional_id);
    a.i16(acks);
    a.i32(timeout_ms);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.index);
        a.records(p.records);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

struct produce_response {
  struct record_error {
    int32_t batch_index = 0;
    std::optional<std::string> message;
  };
  struct partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;           // v2+
    int64_t log_start_offset = -1;             // v5+
    std::vector<record_error> record_errors;   // v8+
    std::optional<std::string> error_message;  // v8+
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
  };
  std::vector<topic> topics;
  int32_t throttle_time_ms = 0;  // v1+

  template <class A>
  void serde(A& a) {
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, partition& p) {
        a.i32(p.index);
        a.i16(p.error_code);
        a.i64(p.base_offset);
        if (a.version >= 2) a.i64(p.log_append_time_ms);
        if (a.version >= 5) a.i64(p.log_start_offset);
        if (a.version >= 8) {
          a.array(p.record_errors, [](A& a, record_error& e) {
            a.i32(e.batch_index);
            a.nullable_string(e.message);
            a.tags();
          });
          a.nullable_string(p.error_message);
        }
        a.tags();
      });
      a.tags();
    });
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.tags();
  }
};

}  // namespace runnel::kafka
