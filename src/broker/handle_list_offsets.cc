// ListOffsets: earliest (-2), latest (-1), max timestamp (-3) or the first
// record whose timestamp is at or after a given time. The owner shard answers
// the first three from memory and plans the last; the segment reads that
// needs run on the io pool (DESIGN.md decision 4). Under isolation_level 1
// (read_committed) "latest" is the last stable offset, and an answer at or
// past it is withheld, as Kafka does.
#include <optional>
#include <vector>

#include "broker/errors.h"
#include "broker/fan_out.h"
#include "broker/handlers.h"
#include "kafka/error_code.h"
#include "kafka/messages/list_offsets.h"
#include "storage/errc.h"
#include "storage/partition_log.h"

namespace runnel::broker {

namespace {

using out_partition = kafka::list_offsets_response::list_offsets_partition_response;

struct lookup {
  std::string topic;
  int32_t index;
  int64_t timestamp;
  bool read_committed;
  out_partition* out;
  int64_t last_stable = 0;  // the partition's, when the owner answered
  // A lookup by time: the segments to search, on the io pool.
  std::optional<storage::partition_log::time_plan> plan;
};

// A lookup whose segment changes under it (retention, compaction) is planned
// again on the owner; this many times at most.
constexpr int max_lookup_attempts = 3;

// read_committed: an offset found at or past the last stable offset is not
// told (earliest and latest are never past it).
void withhold_unstable(lookup& it) {
  if (it.read_committed && it.timestamp != -1 && it.timestamp != -2 &&
      it.out->offset >= it.last_stable) {
    it.out->offset = -1;
    it.out->timestamp = -1;
    it.out->leader_epoch = -1;
  }
}

asio::awaitable<void> lookup_on_owner(shard& sh, std::vector<lookup*> items) {
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    if (!p) {
      it->out->error_code = kafka::code(kafka::error_code::not_leader_or_follower);
      continue;
    }
    auto& log = *p->log;
    it->last_stable = log.last_stable_offset().value;
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
      it->plan = log.plan_offset_for_timestamp(model::timestamp{it->timestamp});
    }
    if (!it->plan) withhold_unstable(*it);
  }
  co_return;
}

// On the io pool: the lookups by time, one after another.
asio::awaitable<void> find_times(server* srv, std::vector<lookup*> items) {
  for (auto* it : items) {
    for (int attempt = 1; it->plan; ++attempt) {
      std::optional<storage::record_time> hit;
      std::error_code ec;
      for (auto& r : it->plan->readers) {
        auto found = r.find_time(it->timestamp, it->plan->min_offset);
        if (!found) {
          ec = found.error();
          break;
        }
        if ((hit = found.value())) break;
      }
      it->plan.reset();
      if (ec == storage::storage_errc::stale_view && attempt < max_lookup_attempts) {
        shard& sh = srv->owner(it->topic, it->index);
        std::vector<lookup*> again(1, it);  // (a braced list here trips GCC 12)
        co_await asio::co_spawn(sh.context(), lookup_on_owner(sh, std::move(again)),
                                asio::use_awaitable);
      } else if (ec) {
        it->out->error_code = kafka::code(ec == storage::storage_errc::stale_view
                                              ? kafka::error_code::kafka_storage_error
                                              : to_kafka_error(ec));
      } else if (hit) {
        it->out->offset = hit->offset;
        it->out->timestamp = hit->timestamp;
        it->out->leader_epoch = 0;
      }
    }
    withhold_unstable(*it);
  }
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
  std::vector<lookup*> by_time;
  for (auto& it : fan.items())
    if (it.plan) by_time.push_back(&it);
  if (!by_time.empty())
    co_await asio::co_spawn(srv.io_pool(), find_times(&srv, std::move(by_time)),
                            asio::use_awaitable);
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
