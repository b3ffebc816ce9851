#include "broker/handlers.h"
#include "kafka/error_code.h"
#include "kafka/messages/api_versions.h"

namespace runnel::broker {

namespace {

kafka::api_versions_response our_versions() {
  kafka::api_versions_response r;
  for (const auto& a : kafka::supported_apis())
    r.api_keys.push_back({static_cast<int16_t>(a.key), a.min_version, a.max_version});
  return r;
}

}  // namespace

response api_versions_unsupported(const request_context& ctx) {
  // KIP-511: answer in the v0 layout so any client can read it and retry
  // with a version we list.
  auto body = our_versions();
  body.error_code = kafka::code(kafka::error_code::unsupported_version);
  response r;
  r.frame.emplace();
  kafka::encode_response(*r.frame, ctx.header.correlation_id, ctx.header.api_key, 0, body);
  return r;
}

boost::asio::awaitable<response> handle_api_versions(request_context& ctx) {
  kafka::api_versions_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed ApiVersions request");
  auto body = our_versions();
  co_return respond(ctx, body);
}

}  // namespace runnel::broker
