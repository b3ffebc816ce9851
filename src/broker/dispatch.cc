#include <chrono>

#include "broker/handlers.h"
#include "broker/metrics.h"

namespace runnel::broker {

namespace {

boost::asio::awaitable<response> run_handler(request_context& ctx) {
  using kafka::api_key;
  switch (ctx.api.key) {
    case api_key::api_versions:
      co_return co_await handle_api_versions(ctx);
    case api_key::produce:
      co_return co_await handle_produce(ctx);
    case api_key::fetch:
      co_return co_await handle_fetch(ctx);
    case api_key::init_producer_id:
      co_return co_await handle_init_producer_id(ctx);
    case api_key::metadata:
      co_return co_await handle_metadata(ctx);
    case api_key::list_offsets:
      co_return co_await handle_list_offsets(ctx);
    case api_key::create_topics:
      co_return co_await handle_create_topics(ctx);
    case api_key::delete_topics:
      co_return co_await handle_delete_topics(ctx);
    case api_key::describe_configs:
      co_return co_await handle_describe_configs(ctx);
    case api_key::alter_configs:
      co_return co_await handle_alter_configs(ctx);
    case api_key::incremental_alter_configs:
      co_return co_await handle_incremental_alter_configs(ctx);
    case api_key::create_partitions:
      co_return co_await handle_create_partitions(ctx);
    case api_key::delete_records:
      co_return co_await handle_delete_records(ctx);
    case api_key::offset_for_leader_epoch:
      co_return co_await handle_offset_for_leader_epoch(ctx);
    case api_key::find_coordinator:
      co_return co_await handle_find_coordinator(ctx);
    case api_key::join_group:
      co_return co_await handle_join_group(ctx);
    case api_key::sync_group:
      co_return co_await handle_sync_group(ctx);
    case api_key::heartbeat:
      co_return co_await handle_heartbeat(ctx);
    case api_key::leave_group:
      co_return co_await handle_leave_group(ctx);
    case api_key::describe_groups:
      co_return co_await handle_describe_groups(ctx);
    case api_key::list_groups:
      co_return co_await handle_list_groups(ctx);
    case api_key::delete_groups:
      co_return co_await handle_delete_groups(ctx);
    case api_key::offset_commit:
      co_return co_await handle_offset_commit(ctx);
    case api_key::offset_fetch:
      co_return co_await handle_offset_fetch(ctx);
    case api_key::offset_delete:
      co_return co_await handle_offset_delete(ctx);
    case api_key::add_partitions_to_txn:
      co_return co_await handle_add_partitions_to_txn(ctx);
    case api_key::add_offsets_to_txn:
      co_return co_await handle_add_offsets_to_txn(ctx);
    case api_key::end_txn:
      co_return co_await handle_end_txn(ctx);
    case api_key::txn_offset_commit:
      co_return co_await handle_txn_offset_commit(ctx);
    case api_key::describe_transactions:
      co_return co_await handle_describe_transactions(ctx);
    case api_key::list_transactions:
      co_return co_await handle_list_transactions(ctx);
    default:
      break;
  }
  co_return response::malformed(std::string(ctx.api.name) + " is not implemented yet");
}

}  // namespace

// Called by the connection (connection.cc, run_request) once the previous
// request's ordered stage is over: per-connection ordering is kept there,
// and a handler ends its own stage early only by ctx.end_ordered_stage()
// (handlers.h). Counts the request and its latency by API (metrics.h).
boost::asio::awaitable<response> dispatch(request_context& ctx) {
  const auto start = std::chrono::steady_clock::now();
  auto r = co_await run_handler(ctx);
  record_request(ctx.api, std::chrono::steady_clock::now() - start, r.close);
  co_return r;
}

}  // namespace runnel::broker
