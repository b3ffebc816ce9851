// The classic group APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, DescribeGroups, ListGroups, DeleteGroups. Each decodes its
// request, hops to the shard that owns the group (group_coordinator.h) and
// encodes what the group_manager there answers.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

#include "broker/group_coordinator.h"
#include "broker/handlers.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/delete_groups.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/heartbeat.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/list_groups.h"
#include "kafka/messages/sync_group.h"

namespace runnel::broker {

namespace asio = boost::asio;
using asio::use_awaitable;
using kafka::error_code;

namespace {

constexpr int8_t key_type_group = 0;
constexpr int8_t key_type_transaction = 1;

// Kafka's client_host: "/" and the peer's address.
std::string client_host(const request_context& ctx) {
  std::string h = ctx.peer;
  if (auto colon = h.rfind(':'); colon != std::string::npos) h.resize(colon);
  return "/" + h;
}

struct coordinator_answer {
  error_code error = error_code::none;
  std::string message;
};

// This one node coordinates every group and every transaction.
coordinator_answer coordinator_for(int8_t key_type) {
  if (key_type == key_type_group || key_type == key_type_transaction) return {};
  return {error_code::invalid_request, "unknown coordinator key type " + std::to_string(key_type)};
}

}  // namespace

asio::awaitable<response> handle_find_coordinator(request_context& ctx) {
  kafka::find_coordinator_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed FindCoordinator request");
  const auto& cfg = ctx.srv.config();
  const auto answer = coordinator_for(req.key_type);
  const bool ok = answer.error == error_code::none;
  kafka::find_coordinator_response resp;
  if (ctx.header.api_version >= 4) {
    for (auto& key : req.coordinator_keys) {
      auto& c = resp.coordinators.emplace_back();
      c.key = key;
      c.node_id = ok ? cfg.node_id : -1;
      c.host = ok ? cfg.advertised_host : "";
      c.port = ok ? cfg.advertised_port : -1;
      c.error_code = kafka::code(answer.error);
      if (!ok) c.error_message = answer.message;
    }
  } else {
    resp.node_id = ok ? cfg.node_id : -1;
    resp.host = ok ? cfg.advertised_host : "";
    resp.port = ok ? cfg.advertised_port : -1;
    resp.error_code = kafka::code(answer.error);
    if (!ok) resp.error_message = answer.message;
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_join_group(request_context& ctx) {
  kafka::join_group_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed JoinGroup request");
  join_args a;
  a.group_id = req.group_id;
  a.member_id = req.member_id;
  a.instance_id = req.group_instance_id;
  a.client_id = ctx.header.client_id.value_or("");
  a.client_host = client_host(ctx);
  a.session_timeout_ms = req.session_timeout_ms;
  a.rebalance_timeout_ms =
      ctx.header.api_version >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  a.protocol_type = req.protocol_type;
  a.protocols = std::move(req.protocols);
  a.require_known_member_id = ctx.header.api_version >= 4 && !req.group_instance_id;
  auto& coord = ctx.srv.groups();
  shard& owner = coord.shard_for(a.group_id);
  group_manager& mgr = coord.manager_on(owner);
  // A join waits for the rebalance (up to its timeout): later requests of
  // the connection need not.
  ctx.end_ordered_stage();
  join_outcome o = co_await asio::co_spawn(owner.context(), mgr.join(std::move(a)), use_awaitable);
  kafka::join_group_response resp;
  resp.error_code = kafka::code(o.error);
  resp.generation_id = o.generation;
  resp.protocol_type = o.protocol_type;
  resp.protocol_name = o.protocol_name;
  resp.leader = std::move(o.leader);
  resp.member_id = std::move(o.member_id);
  resp.members = std::move(o.members);
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_sync_group(request_context& ctx) {
  kafka::sync_group_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed SyncGroup request");
  sync_args a;
  a.group_id = req.group_id;
  a.generation = req.generation_id;
  a.member_id = req.member_id;
  a.instance_id = req.group_instance_id;
  a.protocol_type = req.protocol_type;
  a.protocol_name = req.protocol_name;
  a.assignments.reserve(req.assignments.size());
  for (auto& e : req.assignments)
    a.assignments.emplace_back(std::move(e.member_id), std::move(e.assignment));
  auto& coord = ctx.srv.groups();
  shard& owner = coord.shard_for(a.group_id);
  group_manager& mgr = coord.manager_on(owner);
  // A follower's sync waits for the leader's assignment.
  ctx.end_ordered_stage();
  sync_outcome o = co_await asio::co_spawn(owner.context(), mgr.sync(std::move(a)), use_awaitable);
  kafka::sync_group_response resp;
  resp.error_code = kafka::code(o.error);
  resp.protocol_type = o.protocol_type;
  resp.protocol_name = o.protocol_name;
  resp.assignment = std::move(o.assignment);
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_heartbeat(request_context& ctx) {
  kafka::heartbeat_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed Heartbeat request");
  heartbeat_args a{req.group_id, req.generation_id, req.member_id, req.group_instance_id};
  auto& coord = ctx.srv.groups();
  shard& owner = coord.shard_for(a.group_id);
  group_manager& mgr = coord.manager_on(owner);
  error_code e =
      co_await asio::co_spawn(owner.context(), mgr.heartbeat(std::move(a)), use_awaitable);
  kafka::heartbeat_response resp;
  resp.error_code = kafka::code(e);
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_leave_group(request_context& ctx) {
  kafka::leave_group_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed LeaveGroup request");
  const bool batched = ctx.header.api_version >= 3;
  std::vector<leave_member> members;
  if (batched)
    for (auto& m : req.members) members.push_back({m.member_id, m.group_instance_id});
  else
    members.push_back({req.member_id, std::nullopt});
  auto& coord = ctx.srv.groups();
  shard& owner = coord.shard_for(req.group_id);
  group_manager& mgr = coord.manager_on(owner);
  leave_outcome o =
      co_await asio::co_spawn(owner.context(), mgr.leave(req.group_id, members), use_awaitable);
  kafka::leave_group_response resp;
  resp.error_code = kafka::code(o.error);
  if (batched) {
    for (size_t i = 0; i < o.members.size() && i < members.size(); ++i)
      resp.members.push_back(
          {members[i].member_id, members[i].instance_id, kafka::code(o.members[i])});
  } else if (o.error == error_code::none && !o.members.empty()) {
    resp.error_code = kafka::code(o.members.front());
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_describe_groups(request_context& ctx) {
  kafka::describe_groups_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed DescribeGroups request");
  auto& coord = ctx.srv.groups();
  kafka::describe_groups_response resp;
  resp.groups.resize(req.groups.size());
  // One hop per owning shard.
  std::map<shard*, std::vector<size_t>> by_owner;
  for (size_t i = 0; i < req.groups.size(); ++i)
    by_owner[&coord.shard_for(req.groups[i])].push_back(i);
  for (auto& [sh, idx] : by_owner) {
    std::vector<std::string> ids;
    for (size_t i : idx) ids.push_back(req.groups[i]);
    auto described = co_await asio::co_spawn(
        sh->context(),
        coord.manager_on(*sh).describe(std::move(ids), req.include_authorized_operations),
        use_awaitable);
    for (size_t k = 0; k < idx.size() && k < described.size(); ++k)
      resp.groups[idx[k]] = std::move(described[k]);
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_list_groups(request_context& ctx) {
  kafka::list_groups_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed ListGroups request");
  std::vector<group_state> states;
  for (const auto& s : req.states_filter)
    if (auto st = parse_state(s)) states.push_back(*st);
  kafka::list_groups_response resp;
  // A filter naming only unknown states matches nothing.
  if (!req.states_filter.empty() && states.empty()) co_return respond(ctx, resp);
  auto& srv = ctx.srv;
  for (size_t i = 0; i < srv.shard_count(); ++i) {
    shard& sh = srv.shard_at(i);
    auto listed = co_await asio::co_spawn(sh.context(), srv.groups().manager_on(sh).list(states),
                                          use_awaitable);
    for (auto& g : listed) resp.groups.push_back(std::move(g));
  }
  co_return respond(ctx, resp);
}

asio::awaitable<response> handle_delete_groups(request_context& ctx) {
  kafka::delete_groups_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed DeleteGroups request");
  auto& coord = ctx.srv.groups();
  kafka::delete_groups_response resp;
  for (const auto& id : req.groups_names) {
    shard& owner = coord.shard_for(id);
    // (A named vector, not a braced list: GCC 12 rejects an initializer
    // list temporary inside a co_await expression.)
    std::vector<std::string> one(1, id);
    auto errors = co_await asio::co_spawn(
        owner.context(), coord.manager_on(owner).delete_groups(std::move(one)), use_awaitable);
    auto& r = resp.results.emplace_back();
    r.group_id = id;
    r.error_code = kafka::code(errors.empty() ? error_code::unknown_server_error : errors.front());
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
