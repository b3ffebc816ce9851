// DeleteRecords: moves partitions' log start offsets forward, on their owner
// shards. A partition answers once its new start offset is durable (the log
// calls back after the checkpoint that records it is fsynced), so a restart
// never brings deleted records back.
#include "broker/async_util.h"
#include "broker/errors.h"
#include "broker/fan_out.h"
#include "broker/handlers.h"
#include "kafka/error_code.h"
#include "kafka/messages/delete_records.h"

namespace runnel::broker {

namespace {

using kafka::error_code;
using out_partition = kafka::delete_records_response::delete_records_partition_result;

struct deletion {
  std::string topic;
  int32_t index = 0;
  int64_t before = 0;            // -1: the high watermark
  out_partition* out = nullptr;  // lives in the handler's coroutine
};

asio::awaitable<void> delete_on_owner(shard& sh, std::vector<deletion*> items) {
  countdown cd(co_await asio::this_coro::executor);
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    if (!p) {
      it->out->error_code = kafka::code(error_code::not_leader_or_follower);
      continue;
    }
    auto& log = *p->log;
    if (!log.config().cleanup_delete) {
      // Kafka's rule: a compact-only topic's records go only by compaction.
      it->out->error_code = kafka::code(error_code::policy_violation);
      continue;
    }
    // The high watermark is the end offset: a single node has no replicas
    // to wait for.
    const int64_t before = it->before == -1 ? log.end_offset().value : it->before;
    if (before < 0 || before > log.end_offset().value) {
      it->out->error_code = kafka::code(error_code::offset_out_of_range);
      it->out->low_watermark = -1;
      continue;
    }
    cd.add();
    // Called on this shard, possibly before delete_records returns.
    log.delete_records(model::offset{before}, [&sh, it, &cd](std::error_code ec) {
      if (ec) {
        it->out->error_code = kafka::code(to_kafka_error(ec));
        it->out->low_watermark = -1;
      } else if (partition* p = sh.find(it->topic, it->index)) {
        it->out->low_watermark = p->log->start_offset().value;
      }
      cd.done();
    });
  }
  co_await cd.wait();
}

}  // namespace

boost::asio::awaitable<response> handle_delete_records(request_context& ctx) {
  kafka::delete_records_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed DeleteRecords request");
  server& srv = ctx.srv;
  kafka::delete_records_response resp;
  partition_fan_out<deletion> fan(srv, partition_count(req.topics));
  resp.topics.reserve(req.topics.size());
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    rt.partitions.reserve(t.partitions.size());
    auto topic = srv.registry().find(t.name);
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.low_watermark = -1;
      if (!has_partition(topic, p.partition_index)) {
        rp.error_code = kafka::code(error_code::unknown_topic_or_partition);
        continue;
      }
      fan.add({t.name, p.partition_index, p.offset, &rp});
    }
  }
  // Owners work concurrently: each waits for its own checkpoint fsyncs.
  co_await fan.at_once(delete_on_owner);
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
