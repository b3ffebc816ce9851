// Idempotent-producer state of one partition: for each producer id, its
// epoch and the sequence ranges and offsets of its last five batches, so a
// retried batch is answered with its original offsets instead of being
// written twice, and a gap in sequences is refused.
//
// Owned by the partition's shard; no locks. Rebuilt at start-up from the
// batch headers of the log's last segments (producers silent for longer than
// that lose their state and get UNKNOWN_PRODUCER_ID, as after Kafka's
// producer-id expiration).
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "kafka/error_code.h"
#include "model/record_batch.h"

namespace runnel::broker {

class producer_state {
 public:
  static constexpr size_t batches_kept = 5;

  struct verdict {
    enum kind_t { append, duplicate, reject } kind = append;
    kafka::error_code error = kafka::error_code::none;
    int64_t base_offset = -1;  // duplicate: the original offsets
    int64_t last_offset = -1;
    int64_t max_timestamp = -1;  // duplicate: the original batch's (Kafka answers it)
  };

  // Decides what to do with an incoming batch (producer_id >= 0).
  verdict check(const model::batch_header& h) const;
  // Records a batch that was appended at h.base_offset (also used to rebuild).
  void record(const model::batch_header& h);
  size_t producers() const { return by_id_.size(); }

 private:
  struct batch_meta {
    int32_t first_seq;
    int32_t last_seq;
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
  };
  struct entry {
    int16_t epoch = -1;
    std::deque<batch_meta> batches;  // oldest first, at most batches_kept
  };
  std::unordered_map<int64_t, entry> by_id_;
};

}  // namespace runnel::broker
