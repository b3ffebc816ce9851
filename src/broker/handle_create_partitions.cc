// CreatePartitions: grows topics (server::add_partitions). runnel places
// every partition on its one node, so explicit replica assignments are
// refused.
#include <set>

#include "broker/handlers.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/create_partitions.h"

namespace runnel::broker {

boost::asio::awaitable<response> handle_create_partitions(request_context& ctx) {
  kafka::create_partitions_request req;
  if (!decode_request(ctx, req))
    co_return response::malformed("malformed CreatePartitions request");
  server& srv = ctx.srv;
  kafka::create_partitions_response resp;
  std::set<std::string> seen;
  for (const auto& t : req.topics) {
    auto& out = resp.results.emplace_back();
    out.name = t.name;
    auto fail = [&out](kafka::error_code e, std::string message) {
      out.error_code = kafka::code(e);
      out.error_message = std::move(message);
    };
    auto current = srv.registry().find(t.name);
    if (!seen.insert(t.name).second) {
      fail(kafka::error_code::invalid_request, "Duplicate topic in request.");
    } else if (!current) {
      fail(kafka::error_code::unknown_topic_or_partition,
           "The topic '" + t.name + "' does not exist.");
    } else if (t.count == current->partitions) {
      fail(kafka::error_code::invalid_partitions,
           "Topic already has " + std::to_string(t.count) + " partitions.");
    } else if (t.assignments) {
      fail(kafka::error_code::invalid_replica_assignment,
           "runnel is a single node: replica assignments are not supported");
    } else {
      auto r = co_await srv.add_partitions(t.name, t.count, req.validate_only);
      out.error_code = kafka::code(r.error);
      if (!r.message.empty()) out.error_message = r.message;
    }
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
