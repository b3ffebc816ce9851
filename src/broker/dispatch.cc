#include "broker/handlers.h"

namespace runnel::broker {

boost::asio::awaitable<response> dispatch(request_context& ctx) {
  using kafka::api_key;
  switch (ctx.api.key) {
    case api_key::api_versions: co_return co_await handle_api_versions(ctx);
    case api_key::produce: co_return co_await handle_produce(ctx);
    case api_key::fetch: co_return co_await handle_fetch(ctx);
    case api_key::metadata: co_return co_await handle_metadata(ctx);
    case api_key::list_offsets: co_return co_await handle_list_offsets(ctx);
    case api_key::create_topics: co_return co_await handle_create_topics(ctx);
    case api_key::delete_topics: co_return co_await handle_delete_topics(ctx);
    default: break;
  }
  co_return response::malformed(std::string(ctx.api.name) + " is not implemented yet");
}

}  // namespace runnel::broker
