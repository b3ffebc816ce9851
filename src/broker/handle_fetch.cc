// Fetch: whole batches from each partition's log, long polling on
// max_wait_ms / min_bytes that wakes as soon as any requested partition gets
// data. A read at the tail is answered on the owner shard from memory, as
// ranges of the active segment file (sent with sendfile); any other read
// (a closed segment, or far back in the active one: data that may be cold)
// runs on the io pool and comes back as bytes in memory, so that no shard
// waits for the disk (DESIGN.md decision 4). With isolation_level 1
// (read_committed) a partition is read only up to its last stable offset,
// and the answer lists the aborted transactions of the range sent, so the
// client drops their batches (the markers are in the data).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "broker/errors.h"
#include "broker/fan_out.h"
#include "broker/handlers.h"
#include "kafka/error_code.h"
#include "kafka/messages/fetch.h"
#include "storage/errc.h"
#include "storage/partition_log.h"

namespace runnel::broker {

namespace {

using out_partition = kafka::fetch_response::partition_data;

struct read_item {
  std::string topic;
  int32_t index = 0;
  int64_t offset = 0;
  int32_t max_bytes = 0;
  bool read_committed = false;
  out_partition* out = nullptr;
  topic_io* io = nullptr;  // kept alive by `topics` in handle_fetch
  int64_t next = 0;        // offset after the last batch read
  // A read the owner could not answer from memory, for the io pool.
  std::optional<storage::read_plan::deferred> later;
};

// A partition that answers with an error carries no offsets: Kafka sends -1
// for its high watermark, last stable offset and log start offset.
void set_error(out_partition& out, kafka::error_code e) {
  out.error_code = kafka::code(e);
  out.high_watermark = -1;
  out.last_stable_offset = -1;
  out.log_start_offset = -1;
}

// The offset below which a fetch may read.
int64_t visible_end(const storage::partition_log& log, bool read_committed) {
  return read_committed ? log.last_stable_offset().value : log.end_offset().value;
}

// A deferred read that finds its segment changed (retention, compaction) is
// planned again on the owner; this many times at most.
constexpr int max_read_attempts = 3;

// On the owner shard: read each partition, within the request's byte budget.
// The first batch of the first partition with data is always whole, so a
// consumer can make progress past a batch larger than its limits.
asio::awaitable<void> read_on_owner(shard& sh, std::vector<read_item*> items,
                                    std::shared_ptr<int64_t> budget) {
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    auto* out = it->out;
    out->records = {};
    it->next = it->offset;
    if (!p) {
      set_error(*out, kafka::error_code::not_leader_or_follower);
      continue;
    }
    auto& log = *p->log;
    out->error_code = 0;
    out->high_watermark = log.end_offset().value;
    out->last_stable_offset = log.last_stable_offset().value;
    out->log_start_offset = log.start_offset().value;
    out->records.null = false;
    // Out of budget: no data for this partition, but an out-of-range offset
    // must still be reported.
    const bool exhausted = *budget <= 0;
    const int64_t want = exhausted ? 0 : std::min<int64_t>(it->max_bytes, *budget);
    if (exhausted) {
      if (it->offset < out->log_start_offset || it->offset > out->high_watermark)
        set_error(*out, kafka::error_code::offset_out_of_range);
      continue;
    }
    const model::offset upto{visible_end(log, it->read_committed)};
    auto plan =
        log.plan_read(model::offset{it->offset}, uint64_t(std::max<int64_t>(want, 0)), upto);
    if (!plan) {
      set_error(*out, to_kafka_error(plan.error()));
      continue;
    }
    if (it->read_committed) {
      // A read at the tail knows where it ends; a deferred one does not yet,
      // so it gets the aborted transactions up to the last stable offset (a
      // client ignores those of batches it was not sent).
      const model::offset stop = plan.value().ready ? plan.value().ready->next : upto;
      if (stop.value > it->offset) {
        auto aborted = log.aborted_transactions(model::offset{it->offset}, stop);
        if (!aborted) {
          set_error(*out, to_kafka_error(aborted.error()));
          continue;
        }
        auto& list = out->aborted_transactions.emplace();
        for (const auto& a : aborted.value()) list.push_back({a.producer_id, a.first_offset});
      }
    }
    if (plan.value().later) {
      // What it will return is bounded by `want` (or one batch): reserved now.
      it->later = std::move(plan.value().later);
      *budget -= want;
      continue;
    }
    for (auto& s : plan.value().ready->slices)
      out->records.chunks.push_back({std::shared_ptr<void>(s.f), s.pos, s.len});
    it->next = plan.value().ready->next.value;
    *budget -= int64_t(plan.value().ready->bytes);
  }
  co_return;
}

// On the io pool: the reads the owners deferred, one after another. A read
// whose segment changed under it is planned again on its owner.
asio::awaitable<void> read_deferred(server* srv, std::vector<read_item*> items,
                                    std::shared_ptr<int64_t> budget) {
  for (auto* it : items) {
    for (int attempt = 1; it->later; ++attempt) {
      auto r = it->later->run();
      it->later.reset();
      if (r) {
        for (auto& s : r.value().slices)
          it->out->records.chunks.push_back({std::shared_ptr<void>(s.f), s.pos, s.len});
        it->next = r.value().next.value;
      } else if (r.error() != storage::storage_errc::stale_view) {
        set_error(*it->out, to_kafka_error(r.error()));
      } else if (attempt == max_read_attempts) {
        set_error(*it->out, kafka::error_code::kafka_storage_error);
      } else {
        shard& sh = srv->owner(it->topic, it->index);
        std::vector<read_item*> again(1, it);  // (a braced list here trips GCC 12)
        co_await asio::co_spawn(sh.context(), read_on_owner(sh, std::move(again), budget),
                                asio::use_awaitable);
      }
    }
  }
}

// On the owner shard: ask to be woken (once) when any of these partitions
// gets data.
asio::awaitable<void> watch_on_owner(shard& sh, std::vector<read_item*> items,
                                     std::shared_ptr<data_waiter> waiter) {
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    if (!p) continue;
    if (visible_end(*p->log, it->read_committed) > it->offset) {
      asio::post(waiter->timer.get_executor(), [waiter] { waiter->wake(); });
      co_return;
    }
    p->add_data_waiter(waiter);
  }
}

// Records and bytes out, per topic, for what the response carries.
void count_fetched(const std::vector<read_item>& items) {
  for (const auto& it : items) {
    const uint64_t bytes = it.out->records.size();
    if (!it.io || it.out->error_code != 0 || bytes == 0) continue;
    it.io->bytes_out->inc(bytes);
    if (it.next > it.offset) it.io->records_out->inc(uint64_t(it.next - it.offset));
  }
}

uint64_t total_bytes(const kafka::fetch_response& r) {
  uint64_t n = 0;
  for (const auto& t : r.responses)
    for (const auto& p : t.partitions) n += p.records.size();
  return n;
}

}  // namespace

boost::asio::awaitable<response> handle_fetch(request_context& ctx) {
  kafka::fetch_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed Fetch request");
  server& srv = ctx.srv;
  kafka::fetch_response resp;
  if (ctx.header.api_version >= 7 && req.session_id != 0) {
    // runnel does not keep incremental fetch sessions (KIP-227); clients
    // fall back to full fetches when a session is unknown.
    resp.error_code = kafka::code(kafka::error_code::fetch_session_id_not_found);
    co_return respond(ctx, resp);
  }
  partition_fan_out<read_item> fan(srv, partition_count(req.topics));
  std::vector<std::shared_ptr<const topic_info>> topics;  // for their counters
  resp.responses.reserve(req.topics.size());
  for (auto& t : req.topics) {
    auto& rt = resp.responses.emplace_back();
    rt.topic = t.topic;
    rt.partitions.reserve(t.partitions.size());
    auto topic = srv.registry().find(t.topic);
    for (auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition;
      rp.records.null = false;
      // Kafka tells a read_uncommitted consumer nothing about aborted
      // transactions (null); read_committed gets the list (empty: none).
      if (req.isolation_level == 0) rp.aborted_transactions = std::nullopt;
      if (!has_partition(topic, p.partition)) {
        set_error(rp, kafka::error_code::unknown_topic_or_partition);
        rp.aborted_transactions.emplace();  // Kafka: an empty list here
        continue;
      }
      fan.add({t.topic, p.partition, p.fetch_offset, p.partition_max_bytes,
               req.isolation_level == 1, &rp, topic->io.get()});
    }
    if (topic) topics.push_back(std::move(topic));
  }

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(req.max_wait_ms, 0));
  for (;;) {
    auto budget = std::make_shared<int64_t>(req.max_bytes);
    co_await fan.in_turn(read_on_owner, budget);
    std::vector<read_item*> deferred;
    for (auto& it : fan.items())
      if (it.later) deferred.push_back(&it);
    if (!deferred.empty())
      co_await asio::co_spawn(srv.io_pool(), read_deferred(&srv, std::move(deferred), budget),
                              asio::use_awaitable);
    const bool errors = std::any_of(fan.items().begin(), fan.items().end(),
                                    [](const read_item& i) { return i.out->error_code != 0; });
    if (errors || fan.empty() || total_bytes(resp) >= uint64_t(std::max(req.min_bytes, 0)) ||
        std::chrono::steady_clock::now() >= deadline || srv.stopping())
      break;
    // Long poll: sleep until data arrives on any partition, or the deadline,
    // without holding up the connection's next requests.
    ctx.end_ordered_stage();
    auto waiter = std::make_shared<data_waiter>(co_await asio::this_coro::executor);
    waiter->timer.expires_at(deadline);
    co_await fan.in_turn(watch_on_owner, waiter);
    // Data may have come while we registered with the owners.
    if (!waiter->woken) co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  count_fetched(fan.items());
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
