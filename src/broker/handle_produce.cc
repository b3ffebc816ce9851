// Produce: validate and append each partition's batch on its owner shard,
// then (acks=-1) wait until the data is fsynced, with one group commit per
// partition covering every waiting request (unless the topic has
// write.caching, which answers acks=all from the page cache). A batch the topic's
// compression.type wants in another codec is re-compressed on the io pool
// first (CPU work that would stall every partition of the owner shard,
// DESIGN.md decision 4); the log then stores it as it comes. A transactional batch is taken
// only for a partition its transaction includes (KIP-890 part 1): a retried
// or late batch that arrives after its transaction ended cannot open a new,
// never-ending one there.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "broker/async_util.h"
#include "broker/errors.h"
#include "broker/fan_out.h"
#include "broker/handlers.h"
#include "kafka/messages/produce.h"
#include "model/record_batch.h"
#include "storage/partition_log.h"

namespace runnel::broker {

namespace {

using kafka::error_code;

struct append_item {
  std::string topic;
  int32_t index = 0;
  std::span<std::byte> batch;
  bool has_transactional_id = false;
  kafka::produce_response::partition* out = nullptr;  // lives in the connection's coroutine
  // The topic's write.caching: acks=all does not wait for this batch's fsync.
  bool write_caching = false;
  int64_t flush_upto = -1;
  // The topic's config when compression.type makes the log re-compress this
  // batch (kept alive by `topics` in handle_produce), and the result.
  const storage::log_config* recompress = nullptr;
  model::bytes converted;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Whether the producer's ongoing transaction includes this partition: it is
// open in the log already, or the coordinator added the partition to it.
bool in_transaction(const partition& p, const model::batch_header& h) {
  if (auto open = p.log->producers().open_transaction(h.producer_id))
    return *open == h.producer_epoch;
  auto it = p.txn_producers.find(h.producer_id);
  return it != p.txn_producers.end() && it->second == h.producer_epoch;
}

// On the io pool: the batches to store in another codec, validated record
// by record and re-compressed. One the records of which are invalid is
// refused here, as append() would.
asio::awaitable<void> recompress_off_shard(std::vector<append_item*> items) {
  for (auto* it : items) {
    auto r = storage::recompress_for(*it->recompress, it->batch);
    if (!r) {
      it->out->error_code = kafka::code(to_kafka_error(r.error()));
      it->out->error_message = r.error().message();
      continue;
    }
    it->converted = std::move(r).value();
    it->batch = it->converted;
  }
  co_return;
}

// On the owner shard: append every item, in order.
asio::awaitable<void> append_on_owner(shard& sh, std::vector<append_item*> items) {
  for (auto* it : items) {
    if (it->out->error_code != 0) continue;  // refused by recompress_off_shard
    partition* p = sh.find(it->topic, it->index);
    if (!p) {
      it->out->error_code = kafka::code(error_code::not_leader_or_follower);
      continue;
    }
    auto h = model::parse_header(it->batch);
    if (h && h.value().is_control()) {
      // Markers are the transaction coordinator's to write.
      it->out->error_code = kafka::code(error_code::invalid_record);
      it->out->error_message = "control batches may not be produced by clients";
      continue;
    }
    const bool transactional = h && h.value().is_transactional();
    if (transactional && (!it->has_transactional_id || h.value().producer_id < 0)) {
      it->out->error_code = kafka::code(error_code::invalid_record);
      it->out->error_message = "a transactional batch needs a transactional.id and a producer id";
      continue;
    }
    // The log records the batch in its producer state as it appends it.
    const bool idempotent = h && h.value().producer_id >= 0;
    if (idempotent) {
      auto v = p->log->producers().check(h.value());
      if (v.kind == storage::producer_state::verdict::duplicate) {
        // A retry of a batch already written: its original offsets, once more,
        // and (as Kafka answers a duplicate) its max timestamp as the append time.
        it->out->base_offset = v.base_offset;
        it->out->log_append_time_ms = v.max_timestamp;
        it->out->log_start_offset = p->log->start_offset().value;
        it->flush_upto = v.last_offset + 1;
        continue;
      }
      if (v.kind == storage::producer_state::verdict::reject) {
        it->out->error_code = kafka::code(to_kafka_error(v.error));
        it->out->log_start_offset = p->log->start_offset().value;
        continue;
      }
    }
    if (transactional && !in_transaction(*p, h.value())) {
      it->out->error_code = kafka::code(error_code::invalid_txn_state);
      it->out->error_message = "Partition was not added to the transaction";
      continue;
    }
    auto r = p->log->append(it->batch, model::timestamp{now_ms()});
    if (!r) {
      it->out->error_code = kafka::code(to_kafka_error(r.error()));
      it->out->error_message = r.error().message();
      continue;
    }
    if (p->io) {
      p->io->records_in->inc(uint64_t(r.value().last.value - r.value().base.value + 1));
      p->io->bytes_in->inc(it->batch.size());
    }
    it->out->base_offset = r.value().base.value;
    it->out->log_append_time_ms = r.value().log_append_time.value;
    it->out->log_start_offset = p->log->start_offset().value;
    it->flush_upto = r.value().last.value + 1;
    p->notify_data();
  }
  co_return;
}

// On the owner shard: wait until every item's data is durable.
asio::awaitable<void> flush_on_owner(shard& sh, std::vector<append_item*> items) {
  countdown cd(co_await asio::this_coro::executor);
  for (auto* it : items) {
    if (it->flush_upto < 0 || it->write_caching) continue;
    partition* p = sh.find(it->topic, it->index);
    if (!p) {
      it->out->error_code = kafka::code(error_code::not_leader_or_follower);
      continue;
    }
    cd.add();
    p->log->flush_async(model::offset{it->flush_upto}, [&cd, it](std::error_code ec) {
      if (ec) {
        it->out->error_code = kafka::code(to_kafka_error(ec));
        it->out->error_message = "fsync failed: " + ec.message();
      }
      cd.done();
    });
  }
  co_await cd.wait();
}

// Exactly one v2 batch per partition, as Kafka requires.
bool single_batch(std::span<std::byte> records) {
  auto f = model::parse_frame(records);
  return f && f->batch_length >= 0 &&
         size_t(f->batch_length) + model::batch_layout::log_overhead == records.size();
}

}  // namespace

asio::awaitable<response> handle_produce(request_context& ctx) {
  kafka::produce_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed Produce request");
  server& srv = ctx.srv;
  const bool old_version = ctx.header.api_version < ctx.api.served_min();
  const bool bad_acks = req.acks != 0 && req.acks != 1 && req.acks != -1;

  kafka::produce_response resp;
  partition_fan_out<append_item> fan(srv, partition_count(req.topics));
  std::vector<std::shared_ptr<const topic_info>> topics;  // for their configs
  std::vector<append_item*> to_recompress;
  resp.topics.reserve(req.topics.size());
  for (auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    rt.partitions.reserve(t.partitions.size());
    auto topic = srv.registry().find(t.name);
    if (!topic && !old_version && srv.config().auto_create_topics && valid_topic_name(t.name)) {
      auto created = co_await srv.create_topic(t.name, srv.config().num_partitions, {}, false);
      topic = created.topic;
    }
    for (auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.index = p.index;
      error_code e = error_code::none;
      if (old_version)
        e = error_code::unsupported_version;
      else if (bad_acks)
        e = error_code::invalid_required_acks;
      else if (!has_partition(topic, p.index))
        e = error_code::unknown_topic_or_partition;
      else if (p.records.null || !single_batch(p.records.bytes))
        e = error_code::invalid_record;
      if (e != error_code::none) {
        rp.error_code = kafka::code(e);
        continue;
      }
      append_item item{t.name, p.index, p.records.bytes, req.transactional_id.has_value(), &rp};
      if (storage::needs_recompression(topic->config, item.batch)) item.recompress = &topic->config;
      item.write_caching = topic->config.write_caching;
      fan.add(std::move(item));
    }
    if (topic) topics.push_back(std::move(topic));
  }
  for (auto& it : fan.items())
    if (it.recompress) to_recompress.push_back(&it);
  if (!to_recompress.empty())
    co_await asio::co_spawn(srv.io_pool(), recompress_off_shard(std::move(to_recompress)),
                            asio::use_awaitable);

  // Appends, one hop per owner; then (acks=all) every owner's group commits
  // concurrently.
  co_await fan.in_turn(append_on_owner);
  // The appends (and sequence checks) are what later requests must see; the
  // wait for durability is not.
  ctx.end_ordered_stage();
  if (req.acks == -1) co_await fan.at_once(flush_on_owner);
  if (req.acks == 0) co_return response::none();
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
