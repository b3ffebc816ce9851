// CreateTopics and DeleteTopics.
#include <map>
#include <optional>
#include <vector>

#include "broker/handlers.h"
#include "broker/replica_assignment.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/create_topics.h"
#include "kafka/messages/delete_topics.h"

namespace runnel::broker {

boost::asio::awaitable<response> handle_create_topics(request_context& ctx) {
  kafka::create_topics_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed CreateTopics request");
  server& srv = ctx.srv;
  kafka::create_topics_response resp;
  // A name given twice is refused once, with nothing created (as Kafka does).
  std::map<std::string, int> seen;
  for (const auto& t : req.topics) ++seen[t.name];
  for (auto& t : req.topics) {
    int& count = seen[t.name];
    if (count == 0) continue;  // a duplicate already answered
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    out.configs.emplace();  // v5+: an empty list when the topic is not created
    if (count > 1) {
      count = 0;
      out.error_code = kafka::code(kafka::error_code::invalid_request);
      out.error_message = "Create topics request contains multiple entries for the topic " + t.name;
      continue;
    }
    std::map<std::string, std::string> overrides;
    for (auto& c : t.configs)
      if (c.value) overrides[c.name] = *c.value;
    int32_t partitions = t.num_partitions == -1 ? srv.config().num_partitions : t.num_partitions;
    if (!t.assignments.empty()) {
      // A manual assignment replaces both counts (Kafka's rule).
      std::optional<assignment_error> bad;
      if (t.num_partitions != -1 || t.replication_factor != -1)
        bad = assignment_error{kafka::error_code::invalid_request,
                               "Both numPartitions or replicationFactor and replicasAssignments "
                               "were set. Both cannot be used at the same time."};
      std::vector<int32_t> indexes;
      for (const auto& a : t.assignments) {
        indexes.push_back(a.partition_index);
        if (!bad) bad = check_replicas(a.partition_index, a.broker_ids, srv.config().node_id);
      }
      if (!bad) bad = check_partition_indexes(indexes);
      if (bad) {
        out.error_code = kafka::code(bad->code);
        out.error_message = std::move(bad->message);
        continue;
      }
      partitions = int32_t(t.assignments.size());
    } else if (t.replication_factor != -1 && t.replication_factor != 1) {
      out.error_code = kafka::code(kafka::error_code::invalid_replication_factor);
      out.error_message = "Replication factor: " + std::to_string(t.replication_factor) +
                          " larger than available brokers: 1.";
      continue;
    }
    auto r = co_await srv.create_topic(t.name, partitions, overrides, req.validate_only);
    out.error_code = kafka::code(r.error);
    if (!r.message.empty()) out.error_message = r.message;
    if (r.error == kafka::error_code::none && r.topic) {
      out.topic_id = r.topic->id;
      out.num_partitions = r.topic->partitions;
      out.replication_factor = 1;
      for (const auto& [k, v] : r.topic->config.describe()) {
        auto& c = out.configs->emplace_back();
        c.name = k;
        c.value = v;
        c.read_only = false;
        c.config_source = r.topic->overrides.contains(k) ? 1 : 5;  // topic / default
        c.is_sensitive = false;
      }
    }
  }
  co_return respond(ctx, resp);
}

boost::asio::awaitable<response> handle_delete_topics(request_context& ctx) {
  kafka::delete_topics_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed DeleteTopics request");
  server& srv = ctx.srv;
  kafka::delete_topics_response resp;
  std::vector<std::pair<std::optional<std::string>, kafka::uuid>> targets;
  for (auto& n : req.topic_names) targets.push_back({n, {}});
  for (auto& t : req.topics) targets.push_back({t.name, t.topic_id});
  for (auto& [name, id] : targets) {
    auto& out = resp.responses.emplace_back();
    std::shared_ptr<const topic_info> info;
    if (name)
      info = srv.registry().find(*name);
    else
      for (const auto& [n, t] : *srv.registry().snapshot())
        if (t->id == id) info = t;
    out.name = name;
    out.topic_id = id;
    if (!info) {
      out.error_code = kafka::code(name ? kafka::error_code::unknown_topic_or_partition
                                        : kafka::error_code::unknown_topic_id);
      continue;
    }
    out.name = info->name;
    out.topic_id = info->id;
    out.error_code = kafka::code(co_await srv.delete_topic(info->name));
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
