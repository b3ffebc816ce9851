// What OffsetCommit and TxnOffsetCommit share on the connection's shard:
// every partition of the request gets its entry in the response; those
// that pass the checks needing only topic metadata become commit_items for
// the group's shard (group_manager), whose per-item answers are then
// written back into their entries.
#pragma once

#include <cstddef>
#include <vector>

#include "broker/fan_out.h"
#include "broker/group_manager.h"
#include "broker/server.h"
#include "kafka/error_code.h"

namespace runnel::broker {

// Kafka's offset.metadata.max.bytes default: a longer commit metadata
// string is refused with OFFSET_METADATA_TOO_LARGE, in and out of
// transactions alike.
inline constexpr size_t offset_metadata_max_bytes = 4096;

// Fills `resp` (a response with .topics[].partitions[]) from `req`'s topics
// and appends the acceptable partitions to `items`; returns, parallel to
// the items appended, their entries in `resp`. The response's vectors are
// reserved first, so that those pointers stay valid.
template <class Request, class Response>
auto collect_commit_items(server& srv, const Request& req, Response& resp,
                          std::vector<commit_item>& items) {
  std::vector<typename Response::partition*> slots;
  resp.topics.reserve(req.topics.size());
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    rt.partitions.reserve(t.partitions.size());
    auto info = srv.registry().find(t.name);
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (!has_partition(info, p.partition_index)) {
        rp.error_code = kafka::code(kafka::error_code::unknown_topic_or_partition);
        continue;
      }
      if (p.committed_metadata && p.committed_metadata->size() > offset_metadata_max_bytes) {
        rp.error_code = kafka::code(kafka::error_code::offset_metadata_too_large);
        continue;
      }
      commit_item it;
      it.tp = {t.name, p.partition_index};
      it.value.offset = p.committed_offset;
      it.value.leader_epoch = p.committed_leader_epoch;
      it.value.metadata = p.committed_metadata.value_or("");
      items.push_back(std::move(it));
      slots.push_back(&rp);
    }
  }
  return slots;
}

// The group's answer for each item into its entry (an item it did not
// answer: UNKNOWN_SERVER_ERROR).
template <class Partition>
void answer_commit_items(const std::vector<Partition*>& slots,
                         const std::vector<kafka::error_code>& errors) {
  for (size_t i = 0; i < slots.size(); ++i)
    slots[i]->error_code =
        kafka::code(i < errors.size() ? errors[i] : kafka::error_code::unknown_server_error);
}

}  // namespace runnel::broker
