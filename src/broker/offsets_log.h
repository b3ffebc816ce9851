// Writing to and replaying the __consumer_offsets partition logs. Records
// are built with model::batch_builder (one uncompressed batch per write) and
// go through the same partition_log as every other topic; the record layout
// is offsets_format.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
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

// Appends the records as one batch. On the log's owner shard.
result<offsets_append> append_offsets_batch(storage::partition_log& log,
                                            const std::vector<offsets_record>& records,
                                            int64_t now_ms);

using replay_fn =
    std::function<void(std::span<const std::byte> key,
                       std::optional<std::span<const std::byte>> value, int64_t offset)>;

// Calls fn for every record of the log, in offset order. Blocking (it reads
// the files): for start-up, before the owner shard runs. Batches that do not
// parse are skipped (recovery already checked every CRC).
result<void> replay_offsets_log(storage::partition_log& log, const replay_fn& fn);

}  // namespace runnel::broker
