// Request handlers, one per Kafka API (handle_<api>.cc). Each decodes its
// request body, does the work (hopping to partition owners where needed) and
// encodes the whole response frame. A handler returning nullopt sends no
// response (Produce with acks=0).
//
// Per-connection ordering (DESIGN.md decision 4; enforced in connection.cc):
// the requests of one connection take effect in the order they were read,
// and their responses leave in that order. A handler runs only once the
// previous request of its connection has ended its *ordered stage*; that
// stage ends when the handler returns, or earlier when it calls
// ctx.end_ordered_stage() before waiting for something later requests need
// not wait for (an fsync, new data, a rebalance). Everything a handler does
// that a later request could observe (appends, topic creation, sequence
// checks) belongs before that call.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/completion.h"
#include "broker/metrics.h"
#include "kafka/api.h"
#include "kafka/header.h"
#include "kafka/wire.h"

namespace runnel::broker {

class server;
class shard;

struct request_context {
  server& srv;
  shard& sh;  // the connection's shard
  kafka::request_header header;
  const kafka::api_info& api;
  // The request frame (without its size prefix); keeps decoded spans alive.
  // Not zero-filled when allocated: the socket read overwrites it at once.
  std::shared_ptr<std::byte[]> frame;
  size_t frame_size = 0;
  size_t body_offset = 0;  // where the body starts in frame
  std::string peer;        // the client's "address:port"
  // Set when this request's ordered stage ends (the connection's executor).
  std::shared_ptr<completion<bool>> ordered_stage;

  // Lets the connection's next request start (see above). Idempotent.
  void end_ordered_stage() const {
    if (ordered_stage) ordered_stage->set(true);
  }

  bool flexible() const { return api.flexible(header.api_version); }
  kafka::reader body() const {
    return kafka::reader(std::span<std::byte>(frame.get(), frame_size).subspan(body_offset));
  }
};

// What a handler produces: a response frame, nothing (acks=0), or the
// verdict that the request was malformed and the connection must close.
struct response {
  std::optional<kafka::writer> frame;
  bool close = false;
  std::string why;  // logged when closing

  static response none() { return {}; }
  static response malformed(std::string why) { return {std::nullopt, true, std::move(why)}; }
};

// Encodes `body` as the response to ctx's request.
template <class M>
response respond(const request_context& ctx, M& body) {
  count_errors(ctx.api, body);
  response r;
  r.frame.emplace();
  kafka::encode_response(*r.frame, ctx.header.correlation_id, ctx.header.api_key,
                         ctx.header.api_version, body);
  return r;
}

// Decodes ctx's request body into `m`; false if it does not parse.
template <class M>
bool decode_request(const request_context& ctx, M& m) {
  auto r = ctx.body();
  return kafka::decode_body(r, m, ctx.header.api_version, ctx.flexible());
}

boost::asio::awaitable<response> handle_api_versions(request_context& ctx);
boost::asio::awaitable<response> handle_produce(request_context& ctx);
boost::asio::awaitable<response> handle_fetch(request_context& ctx);
boost::asio::awaitable<response> handle_init_producer_id(request_context& ctx);
boost::asio::awaitable<response> handle_metadata(request_context& ctx);
boost::asio::awaitable<response> handle_list_offsets(request_context& ctx);
boost::asio::awaitable<response> handle_create_topics(request_context& ctx);
boost::asio::awaitable<response> handle_delete_topics(request_context& ctx);
boost::asio::awaitable<response> handle_describe_configs(request_context& ctx);
boost::asio::awaitable<response> handle_alter_configs(request_context& ctx);
boost::asio::awaitable<response> handle_incremental_alter_configs(request_context& ctx);
boost::asio::awaitable<response> handle_create_partitions(request_context& ctx);
boost::asio::awaitable<response> handle_delete_records(request_context& ctx);
boost::asio::awaitable<response> handle_offset_for_leader_epoch(request_context& ctx);
// Consumer groups (handle_groups.cc) and their offsets (handle_offsets.cc).
boost::asio::awaitable<response> handle_find_coordinator(request_context& ctx);
boost::asio::awaitable<response> handle_join_group(request_context& ctx);
boost::asio::awaitable<response> handle_sync_group(request_context& ctx);
boost::asio::awaitable<response> handle_heartbeat(request_context& ctx);
boost::asio::awaitable<response> handle_leave_group(request_context& ctx);
boost::asio::awaitable<response> handle_describe_groups(request_context& ctx);
boost::asio::awaitable<response> handle_list_groups(request_context& ctx);
boost::asio::awaitable<response> handle_delete_groups(request_context& ctx);
boost::asio::awaitable<response> handle_offset_commit(request_context& ctx);
boost::asio::awaitable<response> handle_offset_fetch(request_context& ctx);
boost::asio::awaitable<response> handle_offset_delete(request_context& ctx);
// Transactions (handle_txn.cc).
boost::asio::awaitable<response> handle_add_partitions_to_txn(request_context& ctx);
boost::asio::awaitable<response> handle_add_offsets_to_txn(request_context& ctx);
boost::asio::awaitable<response> handle_end_txn(request_context& ctx);
boost::asio::awaitable<response> handle_txn_offset_commit(request_context& ctx);
boost::asio::awaitable<response> handle_describe_transactions(request_context& ctx);
boost::asio::awaitable<response> handle_list_transactions(request_context& ctx);
// An ApiVersions answer in the v0 layout, used for unsupported versions.
response api_versions_unsupported(const request_context& ctx);

// Runs the handler for ctx.api (which must be served at this version).
boost::asio::awaitable<response> dispatch(request_context& ctx);

}  // namespace runnel::broker
