// InitProducerId (key 22), versions 0-4; flexible from v2.
//
// v3 lets a producer send its current id and epoch (-1/-1 for a fresh one)
// so the broker can bump the epoch instead of fencing it (KIP-360).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kafka/wire.h"

namespace runnel::kafka {

struct init_producer_id_request {
  std::optional<std::string> transactional_id;  // null: idempotent producer
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;     // v3+
  int16_t producer_epoch = -1;  // v3+

  template <class A>
  void serde(A& a) {
    a.nullable_string(transactional_id);
    a.i32(transaction_timeout_ms);
    if (a.version >= 3) {
      a.i64(producer_id);
      a.i16(producer_epoch);
    }
    a.tags();
  }
};

struct init_producer_id_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = 0;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.i16(error_code);
    a.i64(producer_id);
    a.i16(producer_epoch);
    a.tags();
  }
};

}  // namespace runnel::kafka
