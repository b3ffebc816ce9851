// Metadata (key 3), versions 0-12. Nested types are named after the spec's
// structs.
//
// Two fields change nullability across versions, and are modelled as
// optionals throughout:
// - request topics: v0 has no null; an EMPTY v0 array means "all topics",
//   while from v1 null means "all" and empty means "none". The codec keeps
//   the wire form; the handler applies the meaning by version.
// - topic names: nullable from v10 (request) / v12 (response), when a topic
//   may be named by id alone.
// In versions where the field cannot be null, encoding a null writes the
// empty value (an empty array / string) instead, and decoding never yields
// null.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct metadata_request {
  struct metadata_request_topic {
    uuid topic_id{};                  // v10+
    std::optional<std::string> name;  // null allowed v10+
  };
  std::optional<std::vector<metadata_request_topic>> topics =
      std::vector<metadata_request_topic>{};           // null allowed v1+
  bool allow_auto_topic_creation = true;               // v4+
  bool include_cluster_authorized_operations = false;  // v8-10
  bool include_topic_authorized_operations = false;    // v8+

  template <class A>
  void serde(A& a) {
    auto topic = [](A& a, metadata_request_topic& t) {
      if (a.version >= 10) {
        a.uuid_(t.topic_id);
        a.nullable_string(t.name);
      } else {
        if (!t.name) t.name.emplace();
        a.string(*t.name);
      }
      a.tags();
    };
    if (a.version >= 1) {
      a.nullable_array(topics, topic);
    } else {
      if (!topics) topics.emplace();
      a.array(*topics, topic);
    }
    if (a.version >= 4) a.boolean(allow_auto_topic_creation);
    if (a.version >= 8) {
      if (a.version <= 10) a.boolean(include_cluster_authorized_operations);
      a.boolean(include_topic_authorized_operations);
    }
    a.tags();
  }
};

struct metadata_response {
  struct metadata_response_broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;  // v1+
  };
  struct metadata_response_partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = 0;
    int32_t leader_epoch = -1;  // v7+
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;  // v5+
  };
  struct metadata_response_topic {
    int16_t error_code = 0;
    std::optional<std::string> name = std::string{};  // null allowed v12+
    uuid topic_id{};                                  // v10+
    bool is_internal = false;                         // v1+
    std::vector<metadata_response_partition> partitions;
    int32_t topic_authorized_operations = INT32_MIN;  // v8+; INT32_MIN = not requested
  };
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<metadata_response_broker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<metadata_response_topic> topics;
  int32_t cluster_authorized_operations = INT32_MIN;  // v8-10

  template <class A>
  void serde(A& a) {
    if (a.version >= 3) a.i32(throttle_time_ms);
    a.array(brokers, [](A& a, metadata_response_broker& b) {
      a.i32(b.node_id);
      a.string(b.host);
      a.i32(b.port);
      if (a.version >= 1) a.nullable_string(b.rack);
      a.tags();
    });
    if (a.version >= 2) a.nullable_string(cluster_id);
    if (a.version >= 1) a.i32(controller_id);
    a.array(topics, [](A& a, metadata_response_topic& t) {
      a.i16(t.error_code);
      if (a.version >= 12) {
        a.nullable_string(t.name);
      } else {
        if (!t.name) t.name.emplace();
        a.string(*t.name);
      }
      if (a.version >= 10) a.uuid_(t.topic_id);
      if (a.version >= 1) a.boolean(t.is_internal);
      a.array(t.partitions, [](A& a, metadata_response_partition& p) {
        a.i16(p.error_code);
        a.i32(p.partition_index);
        a.i32(p.leader_id);
        if (a.version >= 7) a.i32(p.leader_epoch);
        a.i32_array(p.replica_nodes);
        a.i32_array(p.isr_nodes);
        if (a.version >= 5) a.i32_array(p.offline_replicas);
        a.tags();
      });
      if (a.version >= 8) a.i32(t.topic_authorized_operations);
      a.tags();
    });
    if (a.version >= 8 && a.version <= 10) a.i32(cluster_authorized_operations);
    a.tags();
  }
};

}  // namespace runnel::kafka
