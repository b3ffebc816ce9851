// The producers of one partition: for each producer id, its epoch, the
// sequence ranges and offsets of its last five batches (so a retried batch
// is answered with its original offsets instead of being written twice, and
// a gap in sequences is refused), and, for a transactional producer, the
// first offset of its open transaction. The open transactions give the
// partition's last stable offset (LSO): nothing at or past the first offset
// of a transaction still open is visible to read_committed consumers.
//
// Kept by the partition_log, which applies every appended batch (and, at
// start-up, every batch after the last snapshot) and writes it out as a
// snapshot (producer_snapshot.h) at each segment roll and clean close. A
// producer that has written nothing for producer.id.expiration.ms and has no
// open transaction is forgotten (its next batch gets UNKNOWN_PRODUCER_ID
// unless it starts a sequence over, as with Kafka's expiration).
//
// Owned by the log's shard; no locks. Pure computation.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/control_record.h"
#include "model/record_batch.h"
#include "model/result.h"

namespace runnel::storage {

// A transaction that an end marker just closed in this partition.
struct completed_txn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;  // its first batch here
  int64_t last_offset = -1;   // the marker's offset
  bool aborted = false;
};

class producer_state {
 public:
  static constexpr size_t batches_kept = 5;

  struct verdict {
    enum kind_t { append, duplicate, reject } kind = append;
    std::error_code error;     // reject: storage_errc::unknown_producer_id, ...
    int64_t base_offset = -1;  // duplicate: the original offsets
    int64_t last_offset = -1;
    int64_t max_timestamp = -1;  // duplicate: the original batch's (Kafka answers it)
  };

  // What to do with an incoming data batch (producer_id >= 0, not control).
  verdict check(const model::batch_header& h) const;

  // Records a batch stored at h.base_offset (an appended one, or one read
  // back at start-up). `marker` is the control record of a control batch.
  // `now_ms` is when the producer was last heard from. Returns the
  // transaction an end marker closed, if this producer had one open.
  std::optional<completed_txn> apply(const model::batch_header& h,
                                     std::optional<model::control_record> marker, int64_t now_ms);

  // The first offset of the oldest open transaction; nullopt if none.
  std::optional<int64_t> first_unstable_offset() const;
  // The epoch of `producer_id`'s open transaction in this partition, if any.
  std::optional<int16_t> open_transaction(int64_t producer_id) const;
  // Every open transaction: (first offset, producer id), oldest first.
  const std::set<std::pair<int64_t, int64_t>>& open_transactions() const { return open_; }

  // Forgets producers with no open transaction last heard from before
  // now_ms - expiration_ms. Returns how many went.
  size_t expire(int64_t now_ms, int64_t expiration_ms);

  size_t producers() const { return by_id_.size(); }

  // The snapshot body (docs/format/log.md, "Producer snapshot").
  std::vector<std::byte> encode() const;
  static result<producer_state> decode(std::span<const std::byte> body);

  bool operator==(const producer_state&) const = default;

 private:
  struct batch_meta {
    int32_t first_seq = 0;
    int32_t last_seq = 0;
    int64_t base_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
    bool operator==(const batch_meta&) const = default;
  };
  struct entry {
    int16_t epoch = -1;
    int64_t last_seen_ms = -1;
    int64_t txn_first_offset = -1;   // -1: no open transaction
    std::deque<batch_meta> batches;  // oldest first, at most batches_kept
    bool operator==(const entry&) const = default;
  };
  std::unordered_map<int64_t, entry> by_id_;
  std::set<std::pair<int64_t, int64_t>> open_;  // (first offset, producer id)
};

}  // namespace runnel::storage
