// CreateTopics (key 19), versions 0-7; flexible from v5.
//
// v4 lets num_partitions / replication_factor be -1 (broker defaults) even
// without assignments; that is a meaning change, not a wire change. The v5+
// response field TopicConfigErrorCode is a tagged field (tag 0): tags are
// skipped on decode and never written, so it has no member here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct create_topics_request {
  struct assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
  };
  struct config {
    std::string name;
    std::optional<std::string> value;
  };
  struct topic {
    std::string name;
    int32_t num_partitions = 0;      // -1: broker default (v4+)
    int16_t replication_factor = 0;  // -1: broker default (v4+)
    std::vector<assignment> assignments;
    std::vector<config> configs;
  };
  std::vector<topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;  // v1+

  template <class A>
  void serde(A& a) {
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.i32(t.num_partitions);
      a.i16(t.replication_factor);
      a.array(t.assignments, [](A& a, assignment& p) {
        a.i32(p.partition_index);
        a.i32_array(p.broker_ids);
        a.tags();
      });
      a.array(t.configs, [](A& a, config& c) {
        a.string(c.name);
        a.nullable_string(c.value);
        a.tags();
      });
      a.tags();
    });
    a.i32(timeout_ms);
    if (a.version >= 1) a.boolean(validate_only);
    a.tags();
  }
};

struct create_topics_response {
  struct config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    int8_t config_source = -1;
    bool is_sensitive = false;
  };
  struct topic {
    std::string name;
    uuid topic_id{};  // v7+
    int16_t error_code = 0;
    std::optional<std::string> error_message;    // v1+
    int32_t num_partitions = -1;                 // v5+
    int16_t replication_factor = -1;             // v5+
    std::optional<std::vector<config>> configs;  // v5+
  };
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<topic> topics;

  template <class A>
  void serde(A& a) {
    if (a.version >= 2) a.i32(throttle_time_ms);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      if (a.version >= 7) a.uuid_(t.topic_id);
      a.i16(t.error_code);
      if (a.version >= 1) a.nullable_string(t.error_message);
      if (a.version >= 5) {
        a.i32(t.num_partitions);
        a.i16(t.replication_factor);
        a.nullable_array(t.configs, [](A& a, config& c) {
          a.string(c.name);
          a.nullable_string(c.value);
          a.boolean(c.read_only);
          a.i8(c.config_source);
          a.boolean(c.is_sensitive);
          a.tags();
        });
      }
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
