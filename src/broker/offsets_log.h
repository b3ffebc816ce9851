// Writing to and replaying the internal compacted topics the coordinators
// keep (__consumer_offsets, __transaction_state). Records are built with
// model::batch_builder (one uncompressed batch per write) and go through the
// same partition_log as every other topic; the record layouts are
// offsets_format.h and txn_format.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"
#include "model/strong_types.h"
#include "storage/partition_log.h"

namespace runnel::broker {

struct offsets_record {
  std::vector<std::byte> key;
  std::optional<std::vector<std::byte>> value;  // nullopt: tombstone
};

struct offsets_append {
  model::offset base;  // log offset of the first record
  model::offset upto;  // flush up to here (exclusive) to make the batch durable
};

// A transactional producer's write (TxnOffsetCommit): the batch carries its
// id and epoch and the transactional bit, and takes effect with the
// transaction's commit marker.
struct txn_producer {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

// Appends the records as one batch. On the log's owner shard.
result<offsets_append> append_offsets_batch(storage::partition_log& log,
                                            const std::vector<offsets_record>& records,
                                            int64_t now_ms,
                                            std::optional<txn_producer> txn = std::nullopt);

struct replayed_record {
  std::span<const std::byte> key;
  std::optional<std::span<const std::byte>> value;
  int64_t offset = -1;
  int64_t txn_producer_id = -1;  // >= 0: written in that producer's transaction
};
using replay_fn = std::function<void(const replayed_record&)>;
// A transaction marker: the producer's transaction committed or aborted.
using marker_fn = std::function<void(int64_t producer_id, bool commit)>;

// Calls fn for every record of the log and on_marker for every transaction
// marker, in offset order. Blocking (it reads the files): for start-up,
// before the owner shard runs. Batches that do not parse are skipped
// (recovery already checked every CRC).
result<void> replay_offsets_log(storage::partition_log& log, const replay_fn& fn,
                                const marker_fn& on_marker = {});

class server;

// The logs of the internal compacted topic `name`, one per partition in
// partition order, creating the topic first (with `partitions` partitions
// and segment.bytes `segment_bytes`) if it does not exist; an existing one
// keeps its partition count. Blocking: for start-up, before the shards run.
result<std::vector<storage::partition_log*>> open_internal_topic(server& srv,
                                                                 const std::string& name,
                                                                 int32_t partitions,
                                                                 int64_t segment_bytes);

// Runs `fn(i)` on the event loop of every shard i and waits for each,
// `timeout` at most: a shard that did not finish by then is named in a
// warning ("<what> of shard <i> did not stop in time") and left behind.
// For shutdown, from a thread that is not a shard's.
void on_every_shard(server& srv, std::string_view what, std::chrono::seconds timeout,
                    const std::function<void(size_t)>& fn);

}  // namespace runnel::broker
