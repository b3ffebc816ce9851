// `runnel consume TOPIC`: prints messages, as the value per line or as one
// JSON object per message. Without --group it reads the partitions itself
// from a chosen position; with --group it joins that consumer group and
// commits what it printed.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"

namespace runnel::cli {

namespace {

using json = nlohmann::ordered_json;

struct consume_options {
  client_flags client;
  std::string topic;
  bool from_beginning = false;
  std::optional<int64_t> offset;
  std::optional<int64_t> timestamp;
  std::string group;
  std::optional<uint64_t> count;
  std::optional<int32_t> partition;
  std::string format = "text";
  std::optional<int64_t> timeout_ms;
  bool exit_at_end = false;
};

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

json optional_string(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}

void print_message(const client::message& m, bool as_json) {
  if (!as_json) {
    const std::string_view v = m.value ? std::string_view(*m.value) : std::string_view();
    std::fwrite(v.data(), 1, v.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  json headers = json::array();
  for (const auto& h : m.headers)
    headers.push_back({{"key", h.key}, {"value", optional_string(h.value)}});
  json j = {{"topic", m.topic},
            {"partition", m.partition()},
            {"offset", m.offset()},
            {"timestamp", m.timestamp()},
            {"key", optional_string(m.key)},
            {"value", optional_string(m.value)},
            {"headers", headers}};
  // Keys and values are bytes: invalid UTF-8 is replaced, never fatal.
  const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

int run_consume(const CLI::App& cmd, const consume_options& o) {
  const bool grouped = !o.group.empty();
  if (grouped && (o.offset || o.timestamp || o.partition)) {
    return fail(cmd,
                "--offset, --timestamp and --partition pick positions by hand and cannot be "
                "combined with --group (move a group with `runnel group reset-offsets`)");
  }
  auto config = make_client_config(o.client, cmd);
  if (!config) return 1;

  client::consumer_options co;
  co.client = *config;
  co.group_id = o.group;
  co.auto_offset_reset = o.from_beginning ? "earliest" : "latest";
  co.report_partition_end = o.exit_at_end;
  auto created = client::consumer::create(co);
  if (!created) return fail(cmd, created.error().message);
  auto& consumer = created.value();

  if (grouped) {
    if (auto r = consumer.subscribe({o.topic}); !r) return fail(cmd, r.error().message);
  } else {
    // Which partitions exist: ask once, and fail clearly on an unknown topic.
    auto admin = make_admin(o.client, cmd);
    if (!admin) return 1;
    auto info = admin->describe_topic(o.topic);
    if (!info) return fail(cmd, info.error().message);
    client::start_position start = client::start_position::end();
    if (o.from_beginning) start = client::start_position::beginning();
    if (o.offset) start = client::start_position::at(model::offset{*o.offset});
    if (o.timestamp) start = client::start_position::at_time(model::timestamp{*o.timestamp});
    std::vector<client::partition_assignment> parts;
    for (const auto& p : info.value().partitions) {
      if (o.partition && p.id() != *o.partition) continue;
      parts.push_back({o.topic, p.id, start});
    }
    if (parts.empty()) {
      return fail(cmd, fmt::format("topic {} has no partition {}", o.topic, *o.partition));
    }
    if (auto r = consumer.assign(parts); !r) return fail(cmd, r.error().message);
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool as_json = o.format == "json";
  using clock = std::chrono::steady_clock;
  auto last_progress = clock::now();
  uint64_t printed = 0;
  std::set<client::topic_partition> at_end;
  std::optional<client::error> last_transient;
  int code = 0;
  while (!g_stop && !(o.count && printed >= *o.count)) {
    if (o.timeout_ms && clock::now() - last_progress >= std::chrono::milliseconds(*o.timeout_ms)) {
      break;
    }
    auto ev = consumer.poll(std::chrono::milliseconds(100));
    if (!ev) {
      // The consumer retries transient errors by itself; anything else
      // (unknown topic, authorization, ...) will not get better.
      if (client::is_transient(ev.error())) {
        last_transient = ev.error();
        continue;
      }
      code = fail(cmd, ev.error().message);
      break;
    }
    if (auto* m = std::get_if<client::message>(&ev.value())) {
      print_message(*m, as_json);
      std::fflush(stdout);
      ++printed;
      last_progress = clock::now();
      at_end.erase({m->topic, m->partition});
    } else if (auto* e = std::get_if<client::partition_end>(&ev.value())) {
      at_end.insert({e->topic, e->partition});
      auto assigned = consumer.assignment();
      if (assigned && !assigned.value().empty()) {
        bool all = true;
        for (const auto& tp : assigned.value()) all = all && at_end.contains(tp);
        if (all) break;
      }
    }
  }
  std::fflush(stdout);
  if (code == 0 && printed == 0 && last_transient) {
    code = fail(cmd, "no messages; " + last_transient->message);
  }
  if (auto r = consumer.close(); !r && code == 0) code = fail(cmd, r.error().message);
  return code;
}

}  // namespace

void add_consume(CLI::App& app) {
  auto o = std::make_shared<consume_options>();
  auto* c = app.add_subcommand("consume", "Print the messages of a topic");
  c->add_option("TOPIC", o->topic, "The topic to read")->required();
  auto* begin = c->add_flag("-b,--from-beginning", o->from_beginning,
                            "Start at the oldest message (with --group: where it has no offset)");
  auto* offset = c->add_option("-o,--offset", o->offset, "Start at this offset in each partition")
                     ->check(CLI::NonNegativeNumber);
  auto* ts = c->add_option("--timestamp", o->timestamp,
                           "Start at the first message with a timestamp >= MS (Unix epoch ms)")
                 ->check(CLI::NonNegativeNumber);
  begin->excludes(offset)->excludes(ts);
  offset->excludes(ts);
  c->add_option("-g,--group", o->group,
                "Join this consumer group and commit what was printed (default: no group; "
                "start at the end unless told otherwise)");
  c->add_option("-n,--count", o->count, "Exit after this many messages")
      ->check(CLI::PositiveNumber);
  c->add_option("-p,--partition", o->partition, "Read only this partition")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--format", o->format, "text: the value per line; json: one object per message")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  c->add_option("--timeout-ms", o->timeout_ms, "Exit when no message came for this long")
      ->check(CLI::PositiveNumber);
  c->add_flag("-e,--exit-at-end", o->exit_at_end, "Exit once every partition read is at its end");
  add_client_flags(*c, o->client);
  c->callback([c, o] { set_exit_code(run_consume(*c, *o)); });
}

}  // namespace runnel::cli
