// OffsetCommit, OffsetFetch and OffsetDelete: checks that need only the
// topic metadata happen here; the rest runs on the group's shard
// (group_manager), which answers a commit only once it is fsynced.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

#include "broker/commit_items.h"
#include "broker/group_coordinator.h"
#include "broker/handlers.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/offset_commit.h"
#include "kafka/messages/offset_delete.h"
#include "kafka/messages/offset_fetch.h"

namespace runnel::broker {

namespace asio = boost::asio;
using asio::use_awaitable;
using kafka::error_code;

asio::awaitable<response> handle_offset_commit(request_context& ctx) {
  kafka::offset_commit_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed OffsetCommit request");
  server& srv = ctx.srv;
  kafka::offset_commit_response resp;
  commit_args a;
  a.group_id = req.group_id;
  a.generation = req.generation_id_or_member_epoch;
  a.member_id = req.member_id;
  a.instance_id = req.group_instance_id;
  auto slots = collect_commit_items(srv, req, resp, a.items);
  auto& coord = srv.groups();
  shard& owner = coord.shard_for(a.group_id);
  auto errors = co_await asio::co_spawn(
      owner.context(), coord.manager_on(owner).commit(std::move(a)), use_awaitable);
  answer_commit_items(slots, errors);
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_offset_fetch(request_context& ctx) {
  kafka::offset_fetch_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed OffsetFetch request");
  std::optional<std::vector<topic_partition>> parts;
  if (req.topics) {
    parts.emplace();
    for (const auto& t : *req.topics)
      for (int32_t p : t.partition_indexes) parts->push_back({t.name, p});
  }
  auto& coord = ctx.srv.groups();
  shard& owner = coord.shard_for(req.group_id);
  auto fetched = co_await asio::co_spawn(
      owner.context(), coord.manager_on(owner).fetch_offsets(req.group_id, std::move(parts)),
      use_awaitable);
  kafka::offset_fetch_response resp;
  std::map<std::string, size_t> topic_at;
  for (auto& f : fetched) {
    auto [it, fresh] = topic_at.try_emplace(f.tp.topic, resp.topics.size());
    if (fresh) resp.topics.emplace_back().name = f.tp.topic;
    auto& rp = resp.topics[it->second].partitions.emplace_back();
    rp.partition_index = f.tp.partition;
    if (f.unstable && req.require_stable) {
      // A transaction holds an offset for it: the consumer retries until
      // the transaction ends (KIP-447).
      rp.committed_offset = -1;
      rp.committed_leader_epoch = -1;
      rp.metadata = "";
      rp.error_code = kafka::code(error_code::unstable_offset_commit);
      continue;
    }
    if (f.value) {
      rp.committed_offset = f.value->offset;
      rp.committed_leader_epoch = f.value->leader_epoch;
      rp.metadata = f.value->metadata;
    } else {
      rp.committed_offset = -1;
      rp.committed_leader_epoch = -1;
      rp.metadata = "";
    }
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_offset_delete(request_context& ctx) {
  kafka::offset_delete_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed OffsetDelete request");
  server& srv = ctx.srv;
  kafka::offset_delete_response resp;
  std::vector<topic_partition> parts;
  std::vector<kafka::offset_delete_response::partition*> slots;  // parallel to parts
  resp.topics.reserve(req.topics.size());
  for (auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    rt.partitions.reserve(t.partitions.size());
    for (auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (!has_partition(srv, t.name, p.partition_index)) {
        rp.error_code = kafka::code(error_code::unknown_topic_or_partition);
        continue;
      }
      parts.push_back({t.name, p.partition_index});
      slots.push_back(&rp);
    }
  }
  auto& coord = srv.groups();
  shard& owner = coord.shard_for(req.group_id);
  auto o = co_await asio::co_spawn(
      owner.context(), coord.manager_on(owner).delete_offsets(req.group_id, std::move(parts)),
      use_awaitable);
  if (o.error != error_code::none) {
    kafka::offset_delete_response failed;
    failed.error_code = kafka::code(o.error);
    co_return respond(ctx, failed);
  }
  for (size_t i = 0; i < slots.size(); ++i)
    slots[i]->error_code =
        kafka::code(i < o.partitions.size() ? o.partitions[i] : error_code::unknown_server_error);
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
