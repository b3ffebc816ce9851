// EndTxn (key 26), versions 0-3; flexible from v3.
//
// Commits or aborts the producer's ongoing transaction. (v4 only widens the
// error set and v5 returns a bumped epoch, KIP-890 part 2; both came after
// the release line api.h follows.)
#pragma once

#include <cstdint>
#include <string>

#include "kafka/wire.h"

namespace runnel::kafka {

struct end_txn_request {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool committed = false;

  bool operator==(const end_txn_request&) const = default;

  template <class A>
  void serde(A& a) {
    a.string(transactional_id);
    a.i64(producer_id);
    a.i16(producer_epoch);
    a.boolean(committed);
    a.tags();
  }
};

struct end_txn_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;

  bool operator==(const end_txn_response&) const = default;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    a.i16(error_code);
    a.tags();
  }
};

}  // namespace runnel::kafka
