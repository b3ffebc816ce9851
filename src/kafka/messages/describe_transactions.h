// DescribeTransactions (key 65), version 0, flexible (KIP-664): the state,
// producer id and epoch, timeout, start time and partitions of each named
// transactional id, for operators (kafka-transactions.sh describe).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct describe_transactions_request {
  std::vector<std::string> transactional_ids;

  bool operator==(const describe_transactions_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string_array(transactional_ids);
    a.tags();
  }
};

struct describe_transactions_response {
  struct topic_data {
    std::string topic;
    std::vector<int32_t> partitions;

    bool operator==(const topic_data&) const = default;
  };
  struct transaction_state {
    int16_t error_code = 0;
    std::string transactional_id;
    std::string state;  // Kafka's names: "Empty", "Ongoing", "PrepareCommit", ...
    int32_t transaction_timeout_ms = 0;
    int64_t transaction_start_time_ms = -1;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    std::vector<topic_data> topics;

    bool operator==(const transaction_state&) const = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<transaction_state> transaction_states;

  bool operator==(const describe_transactions_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.array(transaction_states, [](A& a, transaction_state& s) {
      a.i16(s.error_code);
      a.string(s.transactional_id);
      a.string(s.state);
      a.i32(s.transaction_timeout_ms);
      a.i64(s.transaction_start_time_ms);
      a.i64(s.producer_id);
      a.i16(s.producer_epoch);
      a.array(s.topics, [](A& a, topic_data& t) {
        a.string(t.topic);
        a.i32_array(t.partitions);
        a.tags();
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
