// DeleteTopics (key 20), versions 0-6; flexible from v4.
//
// v6 reshapes the request: v0-5 send `topic_names`, v6 sends `topics`, where
// each entry names a topic by name or by id (name may then be null). Only the
// field of the version in use is on the wire; the other stays empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct delete_topics_request {
  struct topic {
    std::optional<std::string> name;  // null: delete by id
    uuid topic_id{};
  };
  std::vector<topic> topics;             // v6+
  std::vector<std::string> topic_names;  // v0-5
  int32_t timeout_ms = 0;

  template <class A>
  void serde(A& a) {
    if (a.version >= 6) {
      a.array(topics, [](A& a, topic& t) {
        a.nullable_string(t.name);
        a.uuid_(t.topic_id);
        a.tags();
      });
    } else {
      a.string_array(topic_names);
    }
    a.i32(timeout_ms);
    a.tags();
  }
};

struct delete_topics_response {
  struct result {
    std::optional<std::string> name;  // nullable only in v6+
    uuid topic_id{};                  // v6+
    int16_t error_code = 0;
    std::optional<std::string> error_message;  // v5+
  };
  int32_t throttle_time_ms = 0;  // v1+
  std::vector<result> responses;

  template <class A>
  void serde(A& a) {
    if (a.version >= 1) a.i32(throttle_time_ms);
    a.array(responses, [](A& a, result& r) {
      if (a.version >= 6) {
        a.nullable_string(r.name);
      } else {
        // Before v6 a null name is a protocol error: decoding rejects it, and
        // encoding writes "" instead (normalising the member), so a topic we
        // only know by id cannot produce a frame old clients choke on.
        std::string name = r.name.value_or("");
        a.string(name);
        r.name = std::move(name);
      }
      if (a.version >= 6) a.uuid_(r.topic_id);
      a.i16(r.error_code);
      if (a.version >= 5) a.nullable_string(r.error_message);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
