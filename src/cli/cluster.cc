// `runnel cluster info`: what a cluster says about itself in Metadata — its
// id, controller, brokers, and how many topics and partitions it holds.
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/table.h"

namespace runnel::cli {

namespace {

using json = nlohmann::ordered_json;

struct cluster_options {
  client_flags client;
  std::string format = "text";
};

int run_info(const CLI::App& cmd, const cluster_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto md = admin->metadata();
  if (!md) return fail(cmd, md.error().message);
  const auto& c = md.value();
  size_t partitions = 0;
  for (const auto& t : c.topics) partitions += t.partitions.size();
  if (o.format == "json") {
    json brokers = json::array();
    for (const auto& b : c.brokers)
      brokers.push_back({{"id", b.id}, {"host", b.host}, {"port", b.port}});
    json out = {{"cluster_id", c.cluster_id.empty() ? json(nullptr) : json(c.cluster_id)},
                {"controller_id", c.controller_id},
                {"brokers", brokers},
                {"topics", c.topics.size()},
                {"partitions", partitions}};
    fmt::print("{}\n", out.dump());
    return 0;
  }
  fmt::print("cluster {}: {}, controller {}; {} with {}\n\n",
             c.cluster_id.empty() ? "(no id)" : c.cluster_id,
             plural(c.brokers.size(), "broker", "brokers"), c.controller_id,
             plural(c.topics.size(), "topic", "topics"),
             plural(partitions, "partition", "partitions"));
  table t({"BROKER", "HOST", "PORT", "CONTROLLER"});
  for (const auto& b : c.brokers) {
    t.add({std::to_string(b.id), b.host, std::to_string(b.port),
           b.id == c.controller_id ? "yes" : "-"});
  }
  t.print();
  return 0;
}

}  // namespace

void add_cluster(CLI::App& app) {
  auto* cluster = app.add_subcommand("cluster", "What a cluster says about itself");
  cluster->require_subcommand(1);
  auto o = std::make_shared<cluster_options>();
  auto* info = cluster->add_subcommand(
      "info",
      "Cluster id, controller, brokers (with the addresses they advertise), topic and "
      "partition counts");
  add_format_flag(*info, o->format);
  add_client_flags(*info, o->client);
  info->callback([info, o] { set_exit_code(run_info(*info, *o)); });
}

}  // namespace runnel::cli
