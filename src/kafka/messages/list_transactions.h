// ListTransactions (key 66), version 0, flexible (KIP-664): every
// transactional id the coordinator knows, filtered by state and producer id
// (kafka-transactions.sh list). v1's duration filter came after the release
// line api.h follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct list_transactions_request {
  std::vector<std::string> state_filters;    // empty: every state
  std::vector<int64_t> producer_id_filters;  // empty: every producer

  bool operator==(const list_transactions_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string_array(state_filters);
    a.array(producer_id_filters, [](A& a, int64_t& p) { a.i64(p); });
    a.tags();
  }
};

struct list_transactions_response {
  struct listed_transaction {
    std::string transactional_id;
    int64_t producer_id = -1;
    std::string transaction_state;

    bool operator==(const listed_transaction&) const = default;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<std::string> unknown_state_filters;
  std::vector<listed_transaction> transaction_states;

  bool operator==(const list_transactions_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.i16(error_code);
    a.string_array(unknown_state_filters);
    a.array(transaction_states, [](A& a, listed_transaction& s) {
      a.string(s.transactional_id);
      a.i64(s.producer_id);
      a.string(s.transaction_state);
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
