// AddPartitionsToTxn (key 24), versions 0-3; flexible from v3.
//
// A transactional producer names the partitions it is about to write before
// its first write to each, so that the coordinator knows where to put the
// commit or abort markers. v4+ (KIP-890, the batched form brokers send each
// other) is not served: it came after the release line api.h follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct add_partitions_to_txn_request {
  struct topic {
    std::string name;
    std::vector<int32_t> partitions;

    bool operator==(const topic&) const = default;
  };
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::vector<topic> topics;

  bool operator==(const add_partitions_to_txn_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(transactional_id);
    a.i64(producer_id);
    a.i16(producer_epoch);
    a.array(topics, [](A& a, topic& t) {
      a.string(t.name);
      a.i32_array(t.partitions);
      a.tags();
    });
    a.tags();
  }
};

struct add_partitions_to_txn_response {
  struct partition_result {
    int32_t partition_index = 0;
    int16_t error_code = 0;

    bool operator==(const partition_result&) const = default;
  };
  struct topic_result {
    std::string name;
    std::vector<partition_result> results;

    bool operator==(const topic_result&) const = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<topic_result> results;

  bool operator==(const add_partitions_to_txn_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(results, [](A& a, topic_result& t) {
      a.string(t.name);
      a.array(t.results, [](A& a, partition_result& p) {
        a.i32(p.partition_index);
        a.i16(p.error_code);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
