// Metadata: this broker is the only broker and leads every partition.
// Topics are auto-created when the request and auto.create.topics.enable
// allow it.
#include "broker/handlers.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/metadata.h"

namespace runnel::broker {

namespace {

kafka::metadata_response::metadata_response_topic describe_topic(const server& srv,
                                                                 const topic_info& t) {
  kafka::metadata_response::metadata_response_topic out;
  out.name = t.name;
  out.topic_id = t.id;
  out.is_internal = t.name == "__consumer_offsets";
  out.partitions.reserve(size_t(t.partitions));
  const int32_t node = srv.config().node_id;
  for (int32_t i = 0; i < t.partitions; ++i) {
    auto& p = out.partitions.emplace_back();
    p.partition_index = i;
    p.leader_id = node;
    p.leader_epoch = 0;
    p.replica_nodes = {node};
    p.isr_nodes = {node};
  }
  return out;
}

}  // namespace

boost::asio::awaitable<response> handle_metadata(request_context& ctx) {
  kafka::metadata_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed Metadata request");
  server& srv = ctx.srv;
  const auto& cfg = srv.config();
  kafka::metadata_response resp;
  resp.brokers.push_back({cfg.node_id, cfg.advertised_host, cfg.advertised_port, std::nullopt});
  resp.cluster_id = cfg.cluster_id;
  resp.controller_id = cfg.node_id;

  // v0: an empty list means all topics; v1+: null means all.
  const bool all = !req.topics || (ctx.header.api_version == 0 && req.topics->empty());
  if (all) {
    for (const auto& [name, t] : *srv.registry().snapshot())
      resp.topics.push_back(describe_topic(srv, *t));
    co_return respond(ctx, resp);
  }
  const bool may_create =
      cfg.auto_create_topics && (ctx.header.api_version < 4 || req.allow_auto_topic_creation);
  for (auto& rt : *req.topics) {
    std::shared_ptr<const topic_info> t;
    if (rt.name) {
      t = srv.registry().find(*rt.name);
    } else {
      for (const auto& [name, info] : *srv.registry().snapshot())
        if (info->id == rt.topic_id) t = info;
      if (!t) {
        auto& out = resp.topics.emplace_back();
        out.error_code = kafka::code(kafka::error_code::unknown_topic_id);
        out.name = std::nullopt;
        out.topic_id = rt.topic_id;
        continue;
      }
    }
    if (!t && rt.name) {
      if (!valid_topic_name(*rt.name)) {
        auto& out = resp.topics.emplace_back();
        out.error_code = kafka::code(kafka::error_code::invalid_topic_exception);
        out.name = *rt.name;
        continue;
      }
      if (may_create) {
        auto created = co_await srv.create_topic(*rt.name, cfg.num_partitions, {}, false);
        t = created.topic;
      }
    }
    if (!t) {
      auto& out = resp.topics.emplace_back();
      out.error_code = kafka::code(kafka::error_code::unknown_topic_or_partition);
      out.name = rt.name;
      continue;
    }
    resp.topics.push_back(describe_topic(srv, *t));
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
