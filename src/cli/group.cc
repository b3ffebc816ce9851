// `runnel group list|describe|delete|reset-offsets|offset-delete`: consumer
// groups of any Kafka-protocol cluster, their members, committed offsets and
// lag.
#include <charconv>
#include <map>
#include <memory>
#include <set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/table.h"

namespace runnel::cli {

namespace {

using json = nlohmann::ordered_json;

struct group_options {
  client_flags client;
  std::string group;
  std::vector<std::string> groups;  // delete: one or more
  std::string format = "text";
  // offset-delete: TOPIC or TOPIC:P[,P...]
  std::vector<std::string> topics;
  // reset-offsets
  std::string topic;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<int64_t> to_offset;
  std::optional<int64_t> to_timestamp;
  bool execute = false;
};

int run_list(const CLI::App& cmd, const group_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto groups = admin->list_groups();
  if (!groups) return fail(cmd, groups.error().message);
  if (o.format == "json") {
    json out = json::array();
    for (const auto& g : groups.value()) {
      out.push_back({{"group", g.id}, {"state", g.state}, {"simple", g.simple}});
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  table t({"GROUP", "STATE"});
  for (const auto& g : groups.value()) t.add({g.id, g.state});
  t.print();
  return 0;
}

// One row of `describe`: a partition of a topic the group reads or has
// offsets in, with or without a committed offset.
struct partition_row {
  std::optional<int64_t> committed;
  int64_t start = -1, end = -1;
  const client::group_member* owner = nullptr;
};

// Records still to read: from the committed offset, or with none committed
// from the partition's start (everything a reader from the beginning has
// left; a reader starting at the end has none).
std::optional<int64_t> lag_of(const partition_row& r) {
  if (r.end < 0) return std::nullopt;
  const int64_t from = r.committed ? *r.committed : r.start;
  if (from < 0) return std::nullopt;
  return std::max<int64_t>(0, r.end - from);
}

int run_describe(const CLI::App& cmd, const group_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto desc = admin->describe_group(o.group);
  if (!desc) return fail(cmd, desc.error().message);
  auto committed = admin->committed_offsets(o.group);
  if (!committed) return fail(cmd, committed.error().message);
  const auto& g = desc.value();
  if (g.state == "Dead" && g.members.empty() && committed.value().empty()) {
    return fail(cmd, "group " + o.group + " does not exist");
  }

  // Every partition of every topic the group has offsets in or is assigned:
  // a partition nobody committed in yet is lag too.
  std::set<std::string> topics;
  for (const auto& c : committed.value()) topics.insert(c.topic);
  for (const auto& m : g.members)
    for (const auto& tp : m.assignment) topics.insert(tp.topic);
  std::map<client::topic_partition, partition_row> rows;
  for (const auto& topic : topics) {
    auto offs = admin->offsets(topic);
    if (!offs) {
      // A deleted topic may still have committed offsets: show those.
      continue;
    }
    for (const auto& p : offs.value()) {
      auto& row = rows[{topic, p.partition}];
      row.start = p.start();
      row.end = p.end();
    }
  }
  for (const auto& c : committed.value()) rows[{c.topic, c.partition}].committed = c.offset();
  for (const auto& m : g.members) {
    for (const auto& tp : m.assignment) rows[tp].owner = &m;
  }

  if (o.format == "json") {
    json members = json::array();
    for (const auto& m : g.members) {
      json assignment = json::array();
      for (const auto& tp : m.assignment) {
        assignment.push_back({{"topic", tp.topic}, {"partition", tp.partition()}});
      }
      members.push_back(
          {{"member_id", m.member_id},
           {"client_id", m.client_id},
           {"host", m.host},
           {"group_instance_id", m.group_instance_id ? json(*m.group_instance_id) : json(nullptr)},
           {"assignment", assignment}});
    }
    json parts = json::array();
    for (const auto& [tp, r] : rows) {
      const auto lag = lag_of(r);
      parts.push_back({{"topic", tp.topic},
                       {"partition", tp.partition()},
                       {"committed_offset", r.committed ? json(*r.committed) : json(nullptr)},
                       {"start_offset", r.start},
                       {"end_offset", r.end},
                       {"lag", lag ? json(*lag) : json(nullptr)},
                       {"member_id", r.owner ? json(r.owner->member_id) : json(nullptr)}});
    }
    json out = {{"group", g.id},          {"state", g.state},
                {"assignor", g.assignor}, {"coordinator", g.coordinator},
                {"members", members},     {"partitions", parts}};
    fmt::print("{}\n", out.dump());
    return 0;
  }

  fmt::print("group {}: {}, {}, assignor {}, coordinator {}\n\n", g.id, g.state,
             plural(g.members.size(), "member", "members"), g.assignor.empty() ? "-" : g.assignor,
             g.coordinator);
  if (!g.members.empty()) {
    table tm({"MEMBER", "CLIENT-ID", "HOST", "ASSIGNMENT"});
    for (const auto& m : g.members) {
      std::map<std::string, std::vector<int32_t>> by_topic;
      for (const auto& tp : m.assignment) by_topic[tp.topic].push_back(tp.partition());
      std::string assignment;
      for (const auto& [topic, ps] : by_topic) {
        if (!assignment.empty()) assignment += " ";
        assignment += topic + ":";
        for (size_t i = 0; i < ps.size(); ++i) assignment += (i ? "," : "") + std::to_string(ps[i]);
      }
      tm.add({m.member_id, m.client_id, m.host, assignment.empty() ? "-" : assignment});
    }
    tm.print();
    fmt::print("\n");
  }
  table tp({"TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER"});
  for (const auto& [key, r] : rows) {
    const auto lag = lag_of(r);
    tp.add({key.topic, std::to_string(key.partition()),
            r.committed ? std::to_string(*r.committed) : "-",
            r.end >= 0 ? std::to_string(r.end) : "-", lag ? std::to_string(*lag) : "-",
            r.owner ? r.owner->member_id : "-"});
  }
  tp.print();
  return 0;
}

int run_delete(const CLI::App& cmd, const group_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  json out = json::array();
  std::vector<std::string> errors;
  for (const auto& g : o.groups) {
    if (auto r = admin->delete_group(g); !r) {
      errors.push_back(r.error().message);
      out.push_back({{"group", g}, {"deleted", false}, {"error", r.error().message}});
      continue;
    }
    out.push_back({{"group", g}, {"deleted", true}});
    if (o.format != "json") fmt::print("deleted group {}\n", g);
  }
  if (o.format == "json") fmt::print("{}\n", out.dump());
  std::fflush(stdout);
  if (errors.empty()) return 0;
  if (o.groups.size() == 1) return fail(cmd, errors.front());
  std::string why = fmt::format("{} of {} groups not deleted:", errors.size(), o.groups.size());
  for (size_t i = 0; i < errors.size(); ++i) why += (i ? "; " : " ") + errors[i];
  return fail(cmd, why);
}

// TOPIC or TOPIC:P[,P...] into the partitions meant; nullopt if malformed.
std::optional<std::pair<std::string, std::vector<int32_t>>> parse_topic_partitions(
    std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::pair{std::string(s), std::vector<int32_t>{}};
  std::pair<std::string, std::vector<int32_t>> out{std::string(s.substr(0, colon)), {}};
  std::string_view rest = s.substr(colon + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view p = rest.substr(0, comma);
    int32_t v = -1;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v < 0) return std::nullopt;
    out.second.push_back(v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (out.first.empty()) return std::nullopt;
  return out;
}

int run_offset_delete(const CLI::App& cmd, const group_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto committed = admin->committed_offsets(o.group);
  if (!committed) return fail(cmd, committed.error().message);
  std::vector<client::topic_partition> target;
  for (const auto& spec : o.topics) {
    auto tp = parse_topic_partitions(spec);
    if (!tp) return fail(cmd, "--topic expects TOPIC or TOPIC:P[,P...], got '" + spec + "'");
    const auto& [topic, partitions] = *tp;
    if (partitions.empty()) {
      // Every partition the group has an offset in.
      size_t before = target.size();
      for (const auto& c : committed.value())
        if (c.topic == topic) target.push_back({topic, c.partition});
      if (target.size() == before)
        return fail(cmd, "group " + o.group + " has no committed offsets in topic " + topic);
    } else {
      for (int32_t p : partitions) target.push_back({topic, runnel::partition_id{p}});
    }
  }
  if (auto r = admin->delete_committed_offsets(o.group, target); !r)
    return fail(cmd, r.error().message);
  json parts = json::array();
  for (const auto& tp : target)
    parts.push_back({{"topic", tp.topic}, {"partition", tp.partition()}});
  print_outcome(o.format,
                fmt::format("deleted the committed offsets of group {} in {}", o.group,
                            plural(target.size(), "partition", "partitions")),
                {{"group", o.group}, {"deleted", parts}});
  return 0;
}

int run_reset_offsets(const CLI::App& cmd, const group_options& o) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  // Kafka only moves the offsets of a group nobody is consuming with: an
  // active member would overwrite them with its next commit.
  auto desc = admin->describe_group(o.group);
  if (!desc) return fail(cmd, desc.error().message);
  if (!desc.value().members.empty()) {
    return fail(cmd, fmt::format("group {} is active ({}, {} members); stop its consumers first",
                                 o.group, desc.value().state, desc.value().members.size()));
  }
  auto offsets = admin->offsets(o.topic);
  if (!offsets) return fail(cmd, offsets.error().message);
  auto committed = admin->committed_offsets(o.group, o.topic);
  if (!committed) return fail(cmd, committed.error().message);
  std::vector<client::topic_partition_offset> by_time;
  if (o.to_timestamp) {
    auto r = admin->offsets_for_time(o.topic, runnel::timestamp{*o.to_timestamp});
    if (!r) return fail(cmd, r.error().message);
    by_time = std::move(r).value();
  }

  struct plan_row {
    int32_t partition;
    std::optional<int64_t> current;
    int64_t target;
  };
  std::vector<plan_row> plan;
  std::vector<client::topic_partition_offset> target;
  for (const auto& p : offsets.value()) {
    int64_t to = p.end();
    if (o.to_earliest) to = p.start();
    if (o.to_offset) to = std::clamp(*o.to_offset, p.start(), p.end());
    for (const auto& t : by_time) {
      if (t.partition == p.partition) to = t.offset();
    }
    std::optional<int64_t> current;
    for (const auto& c : committed.value()) {
      if (c.partition == p.partition) current = c.offset();
    }
    plan.push_back({p.partition(), current, to});
    target.push_back({o.topic, p.partition, runnel::offset{to}});
  }
  if (o.execute) {
    if (auto r = admin->alter_committed_offsets(o.group, target); !r) {
      return fail(cmd, r.error().message);
    }
  }
  if (o.format == "json") {
    json parts = json::array();
    for (const auto& r : plan) {
      parts.push_back({{"topic", o.topic},
                       {"partition", r.partition},
                       {"current_offset", r.current ? json(*r.current) : json(nullptr)},
                       {"new_offset", r.target}});
    }
    json out = {{"group", o.group}, {"executed", o.execute}, {"partitions", parts}};
    fmt::print("{}\n", out.dump());
  } else {
    table t({"TOPIC", "PARTITION", "CURRENT", "NEW"});
    for (const auto& r : plan) {
      t.add({o.topic, std::to_string(r.partition), r.current ? std::to_string(*r.current) : "-",
             std::to_string(r.target)});
    }
    t.print();
  }
  if (!o.execute) fmt::print(stderr, "dry run: nothing changed; add --execute to apply\n");
  return 0;
}

CLI::App* add_sub(CLI::App& group, const char* name, const char* help,
                  std::shared_ptr<group_options> o,
                  int (*run)(const CLI::App&, const group_options&), bool has_group = true) {
  auto* c = group.add_subcommand(name, help);
  if (has_group) c->add_option("GROUP", o->group, "The consumer group")->required();
  c->callback([c, o, run] { set_exit_code(run(*c, *o)); });
  add_format_flag(*c, o->format);
  return c;
}

}  // namespace

void add_group(CLI::App& app) {
  auto* group = app.add_subcommand(
      "group", "List, describe, delete consumer groups; move or delete their offsets");
  group->require_subcommand(1);
  auto o = std::make_shared<group_options>();

  add_sub(*group, "list", "List consumer groups and their states", o, run_list, false);

  add_sub(*group, "describe",
          "State, members, and for every partition of the group's topics the committed offset, "
          "end and lag",
          o, run_describe);

  auto* del = add_sub(*group, "delete", "Delete consumer groups that have no active members", o,
                      run_delete, false);
  del->add_option("GROUP", o->groups, "The consumer groups (one or more)")->required();

  auto* offset_delete =
      add_sub(*group, "offset-delete",
              "Forget a group's committed offsets in some topics or partitions (OffsetDelete)", o,
              run_offset_delete);
  offset_delete
      ->add_option("-t,--topic", o->topics,
                   "TOPIC (every partition the group has an offset in) or TOPIC:P[,P...] "
                   "(repeatable)")
      ->required();

  auto* reset = add_sub(*group, "reset-offsets",
                        "Move a group's committed offsets in a topic (dry run without --execute)",
                        o, run_reset_offsets);
  reset->add_option("-t,--topic", o->topic, "The topic whose offsets to move")->required();
  auto* earliest = reset->add_flag("--to-earliest", o->to_earliest, "To each partition's start");
  auto* latest = reset->add_flag("--to-latest", o->to_latest, "To each partition's end");
  auto* offset = reset
                     ->add_option("--to-offset", o->to_offset,
                                  "To this offset (kept within each partition's start and end)")
                     ->check(at_least(0));
  auto* ts = reset
                 ->add_option("--to-timestamp", o->to_timestamp,
                              "To the first message with a timestamp >= MS (Unix epoch ms)")
                 ->check(at_least(0));
  auto* target = reset->add_option_group("target", "Where to move the offsets");
  target->add_option(earliest);
  target->add_option(latest);
  target->add_option(offset);
  target->add_option(ts);
  target->require_option(1);
  reset->add_flag("--execute", o->execute, "Apply the change (default: only show it)");

  for (auto* c : group->get_subcommands({})) add_client_flags(*c, o->client);
}

}  // namespace runnel::cli
