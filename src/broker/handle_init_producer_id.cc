// InitProducerId. For an idempotent producer: a fresh producer id with
// epoch 0, or, when it asks to bump the epoch of its id (v3+, after an
// error), the next epoch. For a transactional one: the transaction
// coordinator of its transactional.id (txn_manager) fences older instances
// and answers with the id's producer id and a new epoch.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/handlers.h"
#include "broker/server.h"
#include "broker/txn_coordinator.h"
#include "kafka/error_code.h"
#include "kafka/messages/init_producer_id.h"

namespace runnel::broker {

namespace {

// -1 if the allocation could not be made durable.
asio::awaitable<int64_t> allocate_on_io(producer_ids* ids) {
  auto id = ids->allocate();
  co_return id ? id.value() : -1;
}

}  // namespace

boost::asio::awaitable<response> handle_init_producer_id(request_context& ctx) {
  kafka::init_producer_id_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed InitProducerId request");
  kafka::init_producer_id_response resp;
  if (req.transactional_id) {
    if (req.transactional_id->empty()) {
      resp.error_code = kafka::code(kafka::error_code::invalid_request);
      co_return respond(ctx, resp);
    }
    // v3+: -1/-1 for a new producer, both set for one that knows its id.
    if ((req.producer_id < 0) != (req.producer_epoch < 0)) {
      resp.error_code = kafka::code(kafka::error_code::invalid_request);
      co_return respond(ctx, resp);
    }
    auto& coord = ctx.srv.transactions();
    shard& owner = coord.shard_for(*req.transactional_id);
    auto o = co_await asio::co_spawn(
        owner.context(),
        coord.manager_on(owner).init_producer_id(*req.transactional_id, req.transaction_timeout_ms,
                                                 req.producer_id, int16_t(req.producer_epoch)),
        asio::use_awaitable);
    auto err = o.error;
    // PRODUCER_FENCED (KIP-588) came with v4; older clients know it as
    // INVALID_PRODUCER_EPOCH.
    if (err == kafka::error_code::producer_fenced && ctx.header.api_version < 4)
      err = kafka::error_code::invalid_producer_epoch;
    resp.error_code = kafka::code(err);
    if (err == kafka::error_code::none) {
      resp.producer_id = o.producer_id;
      resp.producer_epoch = o.producer_epoch;
    }
    co_return respond(ctx, resp);
  }
  if (req.producer_id >= 0 && req.producer_epoch >= 0 && req.producer_epoch < INT16_MAX - 1) {
    resp.producer_id = req.producer_id;
    resp.producer_epoch = int16_t(req.producer_epoch + 1);
    co_return respond(ctx, resp);
  }
  auto id = co_await asio::co_spawn(
      ctx.srv.io_pool(), allocate_on_io(&ctx.srv.producer_id_allocator()), asio::use_awaitable);
  if (id < 0) {
    resp.error_code = kafka::code(kafka::error_code::kafka_storage_error);
    co_return respond(ctx, resp);
  }
  resp.producer_id = id;
  resp.producer_epoch = 0;
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
