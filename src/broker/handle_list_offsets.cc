// ListOffsets: earliest (-2), latest (-1), max timestamp (-3) or the first
// offset whose batch max timestamp is at or after a given time. Under
// isolation_level 1 (read_committed) "latest" is the last stable offset, and
// an answer at or past it is withheld, as Kafka does.
#include "broker/errors.h"
#include "broker/fan_out.h"
#include "broker/handlers.h"
#include "kafka/error_code.h"
#include "kafka/messages/list_offsets.h"

namespace runnel::broker {

namespace {

using out_partition = kafka::list_offsets_response::list_offsets_partition_response;

struct lookup {
  std::string topic;
  int32_t index;
  int64_t timestamp;
  bool read_committed;
  out_partition* out;
};

asio::awaitable<void> lookup_on_owner(shard& sh, std::vector<lookup*> items) {
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    if (!p) {
      it->out->error_code = kafka::code(kafka::error_code::not_leader_or_follower);
      continue;
    }
    auto& log = *p->log;
    // The leader epoch goes with an offset found; "none" (-1, -1) has none.
    if (it->timestamp == -2) {
      it->out->offset = log.start_offset().value;
      it->out->leader_epoch = 0;
    } else if (it->timestamp == -1) {
      it->out->offset =
          it->read_committed ? log.last_stable_offset().value : log.end_offset().value;
      it->out->leader_epoch = 0;
    } else if (it->timestamp == -3) {
      if (auto m = log.max_timestamp()) {
        it->out->offset = m->offset.value;
        it->out->timestamp = m->timestamp.value;
        it->out->leader_epoch = 0;
      }
    } else if (it->timestamp < 0) {
      // Kafka's other special times (-4 earliest local, -5 latest tiered, …)
      // need ListOffsets versions runnel does not serve; so does any other
      // negative time, as Kafka answers.
      it->out->error_code = kafka::code(kafka::error_code::unsupported_version);
    } else {
      auto r = log.offset_for_timestamp(model::timestamp{it->timestamp});
      if (!r) {
        it->out->error_code = kafka::code(to_kafka_error(r.error()));
      } else if (r.value()) {
        it->out->offset = r.value()->offset.value;
        it->out->timestamp = r.value()->timestamp.value;
        it->out->leader_epoch = 0;
      }
    }
    if (it->read_committed && it->timestamp != -1 && it->timestamp != -2 &&
        it->out->offset >= log.last_stable_offset().value) {
      it->out->offset = -1;
      it->out->timestamp = -1;
      it->out->leader_epoch = -1;
    }
  }
  co_return;
}

}  // namespace

boost::asio::awaitable<response> handle_list_offsets(request_context& ctx) {
  kafka::list_offsets_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed ListOffsets request");
  server& srv = ctx.srv;
  kafka::list_offsets_response resp;
  partition_fan_out<lookup> fan(srv, partition_count(req.topics));
  resp.topics.reserve(req.topics.size());
  for (auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    rt.partitions.reserve(t.partitions.size());
    auto topic = srv.registry().find(t.name);
    for (auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (!has_partition(topic, p.partition_index)) {
        rp.error_code = kafka::code(kafka::error_code::unknown_topic_or_partition);
        continue;
      }
      fan.add({t.name, p.partition_index, p.timestamp, req.isolation_level == 1, &rp});
    }
  }
  co_await fan.in_turn(lookup_on_owner);
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
