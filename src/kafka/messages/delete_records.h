// DeleteRecords (key 21), versions 0-2: moves partitions' log start offsets
// forward. Nested types are named after the spec's structs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct delete_records_request {
  struct delete_records_partition {
    int32_t partition_index = 0;
    int64_t offset = 0;  // delete everything before this; -1 = high watermark
  };
  struct delete_records_topic {
    std::string name;
    std::vector<delete_records_partition> partitions;
  };
  std::vector<delete_records_topic> topics;
  int32_t timeout_ms = 0;

  template <class A>
  void serde(A& a) {
    a.array(topics, [](A& a, delete_records_topic& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, delete_records_partition& p) {
        a.i32(p.partition_index);
        a.i64(p.offset);
        a.tags();
      });
      a.tags();
    });
    a.i32(timeout_ms);
    a.tags();
  }
};

struct delete_records_response {
  struct delete_records_partition_result {
    int32_t partition_index = 0;
    int64_t low_watermark = 0;
    int16_t error_code = 0;
  };
  struct delete_records_topic_result {
    std::string name;
    std::vector<delete_records_partition_result> partitions;
  };
  int32_t throttle_time_ms = 0;  // present from v0, unlike most APIs
  std::vector<delete_records_topic_result> topics;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(topics, [](A& a, delete_records_topic_result& t) {
      a.string(t.name);
      a.array(t.partitions, [](A& a, delete_records_partition_result& p) {
        a.i32(p.partition_index);
        a.i64(p.low_watermark);
        a.i16(p.error_code);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
