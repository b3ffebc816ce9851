// submitted_records: the source records sent and not yet committable, per
// source partition, in the order the task returned them (Kafka Connect's
// SubmittedRecords). A partition's offset may be committed up to the newest
// record whose predecessors in that partition are all acknowledged, so an
// offset never gets ahead of a record still in flight: a crash then only
// repeats records, never skips one.
//
// Used by the task's thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "connect/runtime/offset_store.h"

namespace runnel::connect {

class submitted_records {
 public:
  // Remembers a record of `partition` with `offset`; returns its id.
  uint64_t submit(const data& partition, const data& offset);
  // The record is in Kafka (or was dropped on purpose).
  void ack(uint64_t id);
  // Committable offsets, removed from the tracker; one entry per partition.
  offset_entries take_committable();
  size_t in_flight() const { return in_flight_; }

 private:
  struct entry {
    uint64_t id;
    data offset;
    bool acked = false;
  };
  struct partition_queue {
    data partition;
    std::deque<entry> entries;
  };
  uint64_t next_id_ = 1;
  size_t in_flight_ = 0;
  std::unordered_map<std::string, partition_queue> partitions_;
  std::unordered_map<uint64_t, partition_queue*> by_id_;
  // The last partition seen and its key: consecutive records of one file or
  // table share a partition, so most records skip the JSON dump.
  data last_partition_;
  std::string last_key_;
};

}  // namespace runnel::connect
