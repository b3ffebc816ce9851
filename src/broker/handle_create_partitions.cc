// CreatePartitions: grows topics (server::add_partitions). runnel places
// every partition on its one node, so an explicit assignment is valid only if
// it names that node alone for each new partition (replica_assignment.h).
#include <optional>
#include <set>

#include "broker/handlers.h"
#include "broker/replica_assignment.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/create_partitions.h"

namespace runnel::broker {

namespace {

// One replica list per new partition, each naming only this broker.
std::optional<assignment_error> check_new_assignments(
    const kafka::create_partitions_request::topic& t, int32_t current, int32_t node_id) {
  if (!t.assignments || t.count <= current) return std::nullopt;
  if (int64_t(t.assignments->size()) != int64_t(t.count) - current)
    return assignment_error{kafka::error_code::invalid_replica_assignment,
                            "Increasing the number of partitions by " +
                                std::to_string(t.count - current) + " but " +
                                std::to_string(t.assignments->size()) + " assignments provided."};
  for (size_t i = 0; i < t.assignments->size(); ++i)
    if (auto bad = check_replicas(current + int32_t(i), (*t.assignments)[i].broker_ids, node_id))
      return bad;
  return std::nullopt;
}

}  // namespace

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
    } else if (auto bad = check_new_assignments(t, current->partitions, srv.config().node_id)) {
      fail(bad->code, std::move(bad->message));
    } else {
      auto r = co_await srv.add_partitions(t.name, t.count, req.validate_only);
      out.error_code = kafka::code(r.error);
      if (!r.message.empty()) out.error_message = r.message;
    }
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
