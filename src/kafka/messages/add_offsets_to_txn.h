// AddOffsetsToTxn (key 25), versions 0-3; flexible from v3.
//
// Tells the transaction coordinator that the transaction will commit
// consumer offsets for a group (sendOffsetsToTransaction): the group's
// __consumer_offsets partition joins the transaction, so its pending
// offsets become visible with the commit marker.
#pragma once

#include <cstdint>
#include <string>

#include "kafka/wire.h"

namespace runnel::kafka {

struct add_offsets_to_txn_request {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::string group_id;

  bool operator==(const add_offsets_to_txn_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(transactional_id);
    a.i64(producer_id);
    a.i16(producer_epoch);
    a.string(group_id);
    a.tags();
  }
};

struct add_offsets_to_txn_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;

  bool operator==(const add_offsets_to_txn_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.i16(error_code);
    a.tags();
  }
};

}  // namespace runnel::kafka
