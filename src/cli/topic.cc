// `runnel topic create|list|describe|delete|alter-config|add-partitions|delete-records`:
// topics of any Kafka-protocol cluster, through the client module's admin.
#include <memory>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/table.h"

namespace runnel::cli {

namespace {

using json = nlohmann::ordered_json;

struct topic_options {
  client_flags client;
  std::string name;
  std::vector<std::string> names;  // delete: one or more
  std::string format = "text";
  // create
  int32_t partitions = -1;
  int16_t replication_factor = -1;
  std::vector<std::string> configs;
  // alter-config
  std::vector<std::string> set;
  std::vector<std::string> remove;
  // add-partitions
  std::optional<int32_t> add;
  std::optional<int32_t> total;
  // delete-records: PARTITION:OFFSET, or PARTITION:end
  std::vector<std::string> before;
};

std::optional<std::vector<std::pair<std::string, std::string>>> parse_configs(
    const CLI::App& cmd, const std::vector<std::string>& in, const char* flag) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : in) {
    auto kv = split_key_value(s);
    if (!kv) {
      fail(cmd, fmt::format("{} expects name=value, got '{}'", flag, s));
      return std::nullopt;
    }
    out.push_back(std::move(*kv));
  }
  return out;
}

int run_create(const CLI::App& cmd, const topic_options& o) {
  auto configs = parse_configs(cmd, o.configs, "--config");
  if (!configs) return 1;
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  client::new_topic t{o.name, o.partitions, o.replication_factor, std::move(*configs)};
  if (auto r = admin->create_topic(t); !r) return fail(cmd, r.error().message);
  // The broker chose the defaults: say what it made.
  int64_t partitions = o.partitions;
  if (auto info = admin->describe_topic(o.name); info)
    partitions = static_cast<int64_t>(info.value().partitions.size());
  print_outcome(o.format,
                partitions > 0 ? fmt::format("created topic {} with {}", o.name,
                                             plural(partitions, "partition", "partitions"))
                               : "created topic " + o.name,
                {{"topic", o.name}, {"created", true}, {"partitions", partitions}});
  return 0;
}

int run_list(const CLI::App& cmd, const topic_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto md = admin->metadata();
  if (!md) return fail(cmd, md.error().message);
  if (o.format == "json") {
    json out = json::array();
    for (const auto& t : md.value().topics) {
      out.push_back({{"name", t.name},
                     {"partitions", t.partitions.size()},
                     {"replication_factor",
                      t.partitions.empty() ? 0 : t.partitions.front().replicas.size()}});
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  table tab({"NAME", "PARTITIONS", "REPLICAS"});
  for (const auto& t : md.value().topics) {
    tab.add({t.name, std::to_string(t.partitions.size()),
             std::to_string(t.partitions.empty() ? 0 : t.partitions.front().replicas.size())});
  }
  tab.print();
  return 0;
}

int run_describe(const CLI::App& cmd, const topic_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto info = admin->describe_topic(o.name);
  if (!info) return fail(cmd, info.error().message);
  auto offsets = admin->offsets(o.name);
  if (!offsets) return fail(cmd, offsets.error().message);
  auto configs = admin->describe_configs({client::config_resource_type::topic, o.name});
  if (!configs) return fail(cmd, configs.error().message);

  const auto& parts = info.value().partitions;
  const auto& offs = offsets.value();
  auto offsets_of = [&](runnel::partition_id p) -> const client::partition_offsets* {
    for (const auto& x : offs) {
      if (x.partition == p) return &x;
    }
    return nullptr;
  };
  if (o.format == "json") {
    json jp = json::array();
    for (const auto& p : parts) {
      const auto* x = offsets_of(p.id);
      jp.push_back({{"partition", p.id()},
                    {"leader", p.leader},
                    {"replicas", p.replicas},
                    {"isr", p.isr},
                    {"start_offset", x ? x->start() : -1},
                    {"end_offset", x ? x->end() : -1}});
    }
    json jc = json::array();
    for (const auto& c : configs.value()) {
      jc.push_back({{"name", c.name},
                    {"value", c.value ? json(*c.value) : json(nullptr)},
                    {"source", c.source},
                    {"default", c.is_default},
                    {"read_only", c.read_only},
                    {"sensitive", c.sensitive}});
    }
    json out = {{"name", o.name}, {"partitions", jp}, {"configs", jc}};
    fmt::print("{}\n", out.dump());
    return 0;
  }
  fmt::print("topic {}: {}\n\n", o.name, plural(parts.size(), "partition", "partitions"));
  table tp({"PARTITION", "LEADER", "REPLICAS", "ISR", "START", "END"});
  for (const auto& p : parts) {
    const auto* x = offsets_of(p.id);
    tp.add({std::to_string(p.id()), std::to_string(p.leader),
            fmt::format("{}", fmt::join(p.replicas, ",")), fmt::format("{}", fmt::join(p.isr, ",")),
            x ? std::to_string(x->start()) : "-", x ? std::to_string(x->end()) : "-"});
  }
  tp.print();
  fmt::print("\n");
  table tc({"CONFIG", "VALUE", "SOURCE"});
  for (const auto& c : configs.value()) {
    tc.add({c.name, c.sensitive ? "(sensitive)" : c.value.value_or(""), c.source});
  }
  tc.print();
  return 0;
}

// Deletes every topic named, going on past a failure; fails (one line) if
// any could not be deleted.
int run_delete(const CLI::App& cmd, const topic_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  json out = json::array();
  std::vector<std::string> errors;
  for (const auto& name : o.names) {
    if (auto r = admin->delete_topic(name); !r) {
      errors.push_back(r.error().message);
      out.push_back({{"topic", name}, {"deleted", false}, {"error", r.error().message}});
      continue;
    }
    out.push_back({{"topic", name}, {"deleted", true}});
    if (o.format != "json") fmt::print("deleted topic {}\n", name);
  }
  if (o.format == "json") fmt::print("{}\n", out.dump());
  std::fflush(stdout);
  if (errors.empty()) return 0;
  if (o.names.size() == 1) return fail(cmd, errors.front());
  std::string why = fmt::format("{} of {} topics not deleted:", errors.size(), o.names.size());
  for (size_t i = 0; i < errors.size(); ++i) why += (i ? "; " : " ") + errors[i];
  return fail(cmd, why);
}

int run_alter_config(const CLI::App& cmd, const topic_options& o) {
  if (o.set.empty() && o.remove.empty())
    return fail(cmd, "nothing to change: give --set or --delete");
  auto set = parse_configs(cmd, o.set, "--set");
  if (!set) return 1;
  std::set<std::string> touched;
  for (const auto& [k, v] : *set) touched.insert(k);
  for (const auto& k : o.remove) {
    if (touched.contains(k)) return fail(cmd, k + " is both set and deleted");
  }
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  if (auto r = admin->alter_configs({client::config_resource_type::topic, o.name}, *set, o.remove);
      !r) {
    return fail(cmd, r.error().message);
  }
  json js = json::object();
  for (const auto& [k, v] : *set) js[k] = v;
  print_outcome(o.format, "altered the configs of topic " + o.name,
                {{"topic", o.name}, {"set", js}, {"deleted", o.remove}});
  return 0;
}

int run_add_partitions(const CLI::App& cmd, const topic_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto info = admin->describe_topic(o.name);
  if (!info) return fail(cmd, info.error().message);
  const auto before = static_cast<int32_t>(info.value().partitions.size());
  const int32_t total = o.total ? *o.total : before + *o.add;
  if (total <= before) {
    return fail(cmd, fmt::format("topic {} already has {}; --total must be more (partitions "
                                 "are never removed)",
                                 o.name, plural(before, "partition", "partitions")));
  }
  if (auto r = admin->create_partitions(o.name, total); !r) return fail(cmd, r.error().message);
  print_outcome(o.format,
                fmt::format("topic {}: {} (was {}); new messages with a key may now go to "
                            "another partition than earlier ones with that key",
                            o.name, plural(total, "partition", "partitions"), before),
                {{"topic", o.name}, {"partitions", total}, {"previous_partitions", before}});
  return 0;
}

// Deletes the records before the given offsets (DeleteRecords), as
// kafka-delete-records does: each partition's log start moves up to its
// offset ("end": everything it holds now). Then prints the new starts.
int run_delete_records(const CLI::App& cmd, const topic_options& o) {
  std::vector<client::topic_partition_offset> before;
  for (const auto& b : o.before) {
    auto colon = b.find(':');
    int32_t p = -1;
    int64_t off = -2;
    try {
      if (colon == std::string::npos) throw std::invalid_argument(b);
      size_t used = 0;
      p = std::stoi(b.substr(0, colon), &used);
      if (used != colon || p < 0) throw std::invalid_argument(b);
      std::string rest = b.substr(colon + 1);
      if (rest == "end") {
        off = -1;
      } else {
        off = std::stoll(rest, &used);
        if (used != rest.size() || off < 0) throw std::invalid_argument(b);
      }
    } catch (const std::exception&) {
      return fail(cmd,
                  fmt::format("--before expects PARTITION:OFFSET or PARTITION:end, got '{}'", b));
    }
    before.push_back({o.name, runnel::partition_id{p}, runnel::offset{off}});
  }
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  if (auto r = admin->delete_records(before); !r) return fail(cmd, r.error().message);
  auto offsets = admin->offsets(o.name);
  if (!offsets) return fail(cmd, offsets.error().message);
  json jp = json::array();
  std::string text;
  for (const auto& x : offsets.value())
    for (const auto& b : before)
      if (b.partition == x.partition) {
        jp.push_back({{"partition", x.partition()}, {"start_offset", x.start()}});
        text += fmt::format("{}partition {} now starts at {}", text.empty() ? "" : "; ",
                            x.partition(), x.start());
      }
  print_outcome(o.format, fmt::format("topic {}: {}", o.name, text),
                {{"topic", o.name}, {"partitions", jp}});
  return 0;
}

// One `topic` subcommand with the shared flags and a NAME argument.
CLI::App* add_sub(CLI::App& topic, const char* name, const char* help,
                  std::shared_ptr<topic_options> o,
                  int (*run)(const CLI::App&, const topic_options&), bool has_name = true) {
  auto* c = topic.add_subcommand(name, help);
  if (has_name) c->add_option("NAME", o->name, "The topic")->required();
  c->callback([c, o, run] { set_exit_code(run(*c, *o)); });
  add_format_flag(*c, o->format);
  return c;
}

}  // namespace

void add_topic(CLI::App& app) {
  auto* topic =
      app.add_subcommand("topic", "Create, list, describe, alter, grow and delete topics");
  topic->require_subcommand(1);

  auto o = std::make_shared<topic_options>();
  auto* create = add_sub(*topic, "create", "Create a topic", o, run_create);
  create
      ->add_option("-p,--partitions", o->partitions,
                   "Partitions (default: the broker's num.partitions)")
      ->check(at_least(1));
  create
      ->add_option("-r,--replication-factor", o->replication_factor,
                   "Replicas of each partition (default: the broker's default)")
      ->check(at_least(1));
  create->add_option("-c,--config", o->configs, "A topic config, name=value (repeatable)");

  add_sub(*topic, "list", "List topics with their partition counts", o, run_list, false);

  add_sub(*topic, "describe", "Partitions, start/end offsets and configs of a topic", o,
          run_describe);

  auto* del = add_sub(*topic, "delete", "Delete topics and all their data", o, run_delete, false);
  del->add_option("NAME", o->names, "The topics (one or more)")->required();

  auto* alter =
      add_sub(*topic, "alter-config", "Set or remove configs of a topic", o, run_alter_config);
  alter->add_option("--set", o->set, "A config to set, name=value (repeatable)");
  alter->add_option("--delete", o->remove, "A config to remove, back to its default (repeatable)");

  auto* grow = add_sub(*topic, "add-partitions",
                       "Add partitions to a topic (they can never be removed; keys hash anew)", o,
                       run_add_partitions);
  auto* add =
      grow->add_option("-n,--num", o->add, "How many partitions to add")->check(at_least(1));
  auto* total = grow->add_option("--total", o->total,
                                 "The partition count to reach (as kafka-topics --partitions)")
                    ->check(at_least(1));
  auto* how = grow->add_option_group("count", "How many partitions");
  how->add_option(add);
  how->add_option(total);
  how->require_option(1);

  auto* trim = add_sub(*topic, "delete-records",
                       "Delete the records before given offsets (DeleteRecords): each "
                       "partition's log start moves up to its offset",
                       o, run_delete_records);
  trim->add_option("--before", o->before,
                   "PARTITION:OFFSET (records below OFFSET go), or PARTITION:end "
                   "(all it holds now); repeatable")
      ->required();

  for (auto* c : topic->get_subcommands({})) add_client_flags(*c, o->client);
}

}  // namespace runnel::cli
