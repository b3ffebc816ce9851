#include "connect/runtime/kafka_topics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace runnel::connect {

namespace {
// Kafka protocol error codes the client reports in kafka_category().
constexpr int topic_already_exists = 36;
constexpr int invalid_replication_factor = 38;
}  // namespace

error from_client(const client::error& e, std::string_view context) {
  std::string msg = context.empty() ? e.message : fmt::format("{}: {}", context, e.message);
  return error{client::is_transient(e) ? errc::retriable : errc::fatal, std::move(msg)};
}

result<bool> ensure_topic(client::admin& admin, const std::string& topic, int32_t partitions,
                          int16_t replication_factor,
                          const std::vector<std::pair<std::string, std::string>>& configs) {
  if (auto d = admin.describe_topic(topic); d) return false;
  client::new_topic t{topic, partitions, replication_factor, configs};
  auto r = admin.create_topic(t);
  if (!r && r.error().code.category() == client::kafka_category() &&
      r.error().code.value() == invalid_replication_factor && replication_factor != -1) {
    spdlog::warn(
        "connect: topic {} cannot have replication factor {} on this cluster ({}); "
        "creating it with the broker's default",
        topic, replication_factor, r.error().message);
    t.replication_factor = -1;
    r = admin.create_topic(t);
  }
  if (!r) {
    if (r.error().code.category() == client::kafka_category() &&
        r.error().code.value() == topic_already_exists)
      return false;
    return from_client(r.error(), "cannot create topic " + topic);
  }
  return true;
}

}  // namespace runnel::connect
