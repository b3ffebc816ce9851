// The transaction APIs: AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
// DescribeTransactions and ListTransactions run on the transactional id's
// shard (txn_manager); TxnOffsetCommit on the group's (group_manager).
// Checks that need only topic metadata happen here.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

#include "broker/commit_items.h"
#include "broker/group_coordinator.h"
#include "broker/handlers.h"
#include "broker/offsets_format.h"
#include "broker/server.h"
#include "broker/txn_coordinator.h"
#include "kafka/error_code.h"
#include "kafka/messages/add_offsets_to_txn.h"
#include "kafka/messages/add_partitions_to_txn.h"
#include "kafka/messages/describe_transactions.h"
#include "kafka/messages/end_txn.h"
#include "kafka/messages/list_transactions.h"
#include "kafka/messages/txn_offset_commit.h"

namespace runnel::broker {

namespace asio = boost::asio;
using asio::use_awaitable;
using kafka::error_code;

namespace {

// PRODUCER_FENCED (KIP-588) is newer than these versions; their clients
// know the same situation as INVALID_PRODUCER_EPOCH.
error_code for_version(error_code e, int16_t version, int16_t fenced_from) {
  if (e == error_code::producer_fenced && version < fenced_from)
    return error_code::invalid_producer_epoch;
  return e;
}

}  // namespace

asio::awaitable<response> handle_add_partitions_to_txn(request_context& ctx) {
  kafka::add_partitions_to_txn_request req;
  if (!decode_request(ctx, req))
    co_return response::malformed("malformed AddPartitionsToTxn request");
  server& srv = ctx.srv;
  std::vector<txn_partition> parts;
  bool unknown = false;
  for (const auto& t : req.topics)
    for (int32_t p : t.partitions) {
      if (!has_partition(srv, t.name, p)) unknown = true;
      parts.push_back({t.name, p});
    }
  error_code err = error_code::none;
  if (req.transactional_id.empty()) {
    err = error_code::invalid_request;
  } else if (!unknown) {
    auto& coord = srv.transactions();
    shard& owner = coord.shard_for(req.transactional_id);
    err = co_await asio::co_spawn(
        owner.context(),
        coord.manager_on(owner).add_partitions(req.transactional_id, req.producer_id,
                                               req.producer_epoch, parts),
        use_awaitable);
    err = for_version(err, ctx.header.api_version, 2);
  }
  kafka::add_partitions_to_txn_response resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.results.emplace_back();
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      error_code e = err;
      // As Kafka: unknown partitions fail, the others are not attempted.
      if (unknown)
        e = has_partition(srv, t.name, p) ? error_code::operation_not_attempted
                                          : error_code::unknown_topic_or_partition;
      rt.results.push_back({p, kafka::code(e)});
    }
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_add_offsets_to_txn(request_context& ctx) {
  kafka::add_offsets_to_txn_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed AddOffsetsToTxn request");
  server& srv = ctx.srv;
  kafka::add_offsets_to_txn_response resp;
  if (req.transactional_id.empty() || req.group_id.empty()) {
    resp.error_code = kafka::code(error_code::invalid_request);
    co_return respond(ctx, resp);
  }
  // The group's __consumer_offsets partition joins the transaction, so the
  // commit marker reaches the offsets committed in it.
  std::vector<txn_partition> parts{
      {std::string(offsets_format::topic_name), srv.groups().partition_for(req.group_id)}};
  auto& coord = srv.transactions();
  shard& owner = coord.shard_for(req.transactional_id);
  auto err = co_await asio::co_spawn(
      owner.context(),
      coord.manager_on(owner).add_partitions(req.transactional_id, req.producer_id,
                                             req.producer_epoch, std::move(parts)),
      use_awaitable);
  resp.error_code = kafka::code(for_version(err, ctx.header.api_version, 2));
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_end_txn(request_context& ctx) {
  kafka::end_txn_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed EndTxn request");
  kafka::end_txn_response resp;
  if (req.transactional_id.empty()) {
    resp.error_code = kafka::code(error_code::invalid_request);
    co_return respond(ctx, resp);
  }
  auto& coord = ctx.srv.transactions();
  shard& owner = coord.shard_for(req.transactional_id);
  auto err =
      co_await asio::co_spawn(owner.context(),
                              coord.manager_on(owner).end_txn(req.transactional_id, req.producer_id,
                                                              req.producer_epoch, req.committed),
                              use_awaitable);
  resp.error_code = kafka::code(for_version(err, ctx.header.api_version, 2));
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_txn_offset_commit(request_context& ctx) {
  kafka::txn_offset_commit_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed TxnOffsetCommit request");
  server& srv = ctx.srv;
  kafka::txn_offset_commit_response resp;
  txn_commit_args a;
  a.group_id = req.group_id;
  a.producer_id = req.producer_id;
  a.producer_epoch = req.producer_epoch;
  a.generation = req.generation_id;
  a.member_id = req.member_id;
  a.instance_id = req.group_instance_id;
  auto slots = collect_commit_items(srv, req, resp, a.items);
  std::vector<error_code> errors;
  if (req.transactional_id.empty() || req.group_id.empty()) {
    errors.assign(slots.size(), error_code::invalid_request);
  } else {
    auto& coord = srv.groups();
    shard& owner = coord.shard_for(a.group_id);
    errors = co_await asio::co_spawn(
        owner.context(), coord.manager_on(owner).txn_commit(std::move(a)), use_awaitable);
  }
  answer_commit_items(slots, errors);
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_describe_transactions(request_context& ctx) {
  kafka::describe_transactions_request req;
  if (!decode_request(ctx, req))
    co_return response::malformed("malformed DescribeTransactions request");
  auto& coord = ctx.srv.transactions();
  // One hop per shard, then the answers in the order asked.
  std::map<shard*, std::vector<std::string>> by_shard;
  for (const auto& id : req.transactional_ids) by_shard[&coord.shard_for(id)].push_back(id);
  std::map<std::string, described_txn> found;
  for (auto& [sh, ids] : by_shard) {
    auto got =
        co_await asio::co_spawn(sh->context(), coord.manager_on(*sh).describe(ids), use_awaitable);
    for (auto& d : got) found[d.transactional_id] = std::move(d);
  }
  kafka::describe_transactions_response resp;
  for (const auto& id : req.transactional_ids) {
    auto& d = resp.transaction_states.emplace_back(found[id]);
    d.transactional_id = id;
    if (id.empty()) d.error_code = kafka::code(error_code::invalid_request);
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_list_transactions(request_context& ctx) {
  kafka::list_transactions_request req;
  if (!decode_request(ctx, req))
    co_return response::malformed("malformed ListTransactions request");
  kafka::list_transactions_response resp;
  std::vector<txn_format::txn_state> states;
  for (const auto& name : req.state_filters) {
    if (auto s = txn_format::state_from_name(name))
      states.push_back(*s);
    else
      resp.unknown_state_filters.push_back(name);
  }
  // Only unknown names asked for: nothing can match.
  if (!req.state_filters.empty() && states.empty()) co_return respond(ctx, resp);
  server& srv = ctx.srv;
  for (size_t i = 0; i < srv.shard_count(); ++i) {
    shard& sh = srv.shard_at(i);
    auto got = co_await asio::co_spawn(
        sh.context(), srv.transactions().manager_on(sh).list(states, req.producer_id_filters),
        use_awaitable);
    for (auto& t : got) resp.transaction_states.push_back(std::move(t));
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
