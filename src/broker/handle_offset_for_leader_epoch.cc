// OffsetForLeaderEpoch: where a leader epoch ended. A single node never
// changes leader, so every partition has been in epoch 0 since it was created
// and the answer follows from Kafka's epoch-cache rules with that one entry
// (epoch 0 starting at the log start offset):
//   requested -1 (undefined)   -> epoch -1, offset -1
//   requested 0 (the current)  -> epoch 0, the log end offset
//   requested > 0 (unknown)    -> epoch -1, offset -1
//   requested < -1 (below all) -> the requested epoch, the log start offset
// A current_leader_epoch other than -1 (not given) must be 0: a larger one
// means the client knows an epoch we do not (UNKNOWN_LEADER_EPOCH), a smaller
// one that its metadata is stale (FENCED_LEADER_EPOCH).
#include "broker/fan_out.h"
#include "broker/handlers.h"
#include "kafka/error_code.h"
#include "kafka/messages/offset_for_leader_epoch.h"

namespace runnel::broker {

namespace {

using kafka::error_code;
using out_partition = kafka::offset_for_leader_epoch_response::epoch_end_offset;

constexpr int32_t current_epoch = 0;
constexpr int32_t undefined_epoch = -1;

struct lookup {
  std::string topic;
  int32_t index = 0;
  int32_t epoch = 0;
  out_partition* out = nullptr;  // lives in the handler's coroutine
};

asio::awaitable<void> lookup_on_owner(shard& sh, std::vector<lookup*> items) {
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    if (!p) {
      it->out->error_code = kafka::code(error_code::not_leader_or_follower);
      continue;
    }
    if (it->epoch == current_epoch) {
      it->out->leader_epoch = current_epoch;
      it->out->end_offset = p->log->end_offset().value;
    } else if (it->epoch < undefined_epoch) {
      it->out->leader_epoch = it->epoch;
      it->out->end_offset = p->log->start_offset().value;
    }
  }
  co_return;
}

}  // namespace

boost::asio::awaitable<response> handle_offset_for_leader_epoch(request_context& ctx) {
  kafka::offset_for_leader_epoch_request req;
  if (!decode_request(ctx, req))
    co_return response::malformed("malformed OffsetForLeaderEpoch request");
  server& srv = ctx.srv;
  kafka::offset_for_leader_epoch_response resp;
  partition_fan_out<lookup> fan(srv, partition_count(req.topics));
  resp.topics.reserve(req.topics.size());
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.topic = t.topic;
    rt.partitions.reserve(t.partitions.size());
    auto topic = srv.registry().find(t.topic);
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      rp.leader_epoch = undefined_epoch;
      rp.end_offset = -1;
      if (!has_partition(topic, p.partition))
        rp.error_code = kafka::code(error_code::unknown_topic_or_partition);
      else if (p.current_leader_epoch > current_epoch)
        rp.error_code = kafka::code(error_code::unknown_leader_epoch);
      else if (p.current_leader_epoch < current_epoch && p.current_leader_epoch != -1)
        rp.error_code = kafka::code(error_code::fenced_leader_epoch);
      else if (p.leader_epoch == current_epoch || p.leader_epoch < undefined_epoch)
        fan.add({t.topic, p.partition, p.leader_epoch, &rp});
      // Otherwise (undefined or a future epoch): epoch -1, offset -1.
    }
  }
  co_await fan.in_turn(lookup_on_owner);
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
