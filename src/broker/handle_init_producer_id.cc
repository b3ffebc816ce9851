// InitProducerId for idempotent producers (transactions are not supported
// yet): a fresh producer id with epoch 0, or, when a producer asks to bump
// the epoch of its id (v3+, after an error), the next epoch.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/handlers.h"
#include "broker/server.h"
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
    resp.error_code = kafka::code(kafka::error_code::transactional_id_authorization_failed);
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
