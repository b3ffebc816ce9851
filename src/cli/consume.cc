// `runnel consume TOPIC`: prints messages, as the value per line (with -K the
// key before it) or as one JSON object per message. Without --group it reads
// the partitions itself from a chosen position; with --group it joins that
// consumer group and commits what it printed. The short flags are kcat's
// (-b -t -o -p -c -e -K -Z -J).
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/json_bytes.h"
#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"

namespace runnel::cli {

namespace {

using json = nlohmann::ordered_json;

struct consume_options {
  client_flags client;
  std::string topic;
  std::string topic_flag;  // -t: kcat's way to name the topic
  bool from_beginning = false;
  std::string offset;  // -o: beginning|end|N|-N|s@MS
  std::optional<int64_t> timestamp;
  std::string group;
  std::optional<uint64_t> count;
  std::optional<int32_t> partition;
  std::string format = "text";
  bool json_flag = false;  // -J
  bool base64 = false;
  std::string key_delimiter;  // -K: print the key, this, then the value
  bool null_text = false;     // -Z: print NULL for a null key or value
  std::optional<int64_t> timeout_ms;
  bool exit_at_end = false;
};

// Where to start, from -o/--offset, --from-beginning or --timestamp.
struct start_spec {
  enum class kind { end, beginning, offset, from_end, timestamp } what = kind::end;
  int64_t value = 0;
};

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// kcat's -o: "beginning", "end", an offset N, -N (N before the end of each
// partition), s@MS (the first message at or after a Unix time in ms).
std::optional<start_spec> parse_offset(std::string_view s) {
  using k = start_spec::kind;
  if (s == "beginning") return start_spec{k::beginning, 0};
  if (s == "end") return start_spec{k::end, 0};
  if (s.starts_with("s@")) {
    auto v = parse_int(s.substr(2));
    if (!v || *v < 0) return std::nullopt;
    return start_spec{k::timestamp, *v};
  }
  auto v = parse_int(s);
  if (!v) return std::nullopt;
  if (*v < 0) return start_spec{k::from_end, -*v};
  return start_spec{k::offset, *v};
}

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

void write_line(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
}

void print_message(const client::message& m, const consume_options& o, bool as_json) {
  if (!as_json) {
    std::string line;
    auto put = [&](const std::optional<std::string>& b) {
      if (b)
        line += *b;
      else if (o.null_text)
        line += "NULL";
    };
    if (!o.key_delimiter.empty()) {
      put(m.key);
      line += o.key_delimiter;
    }
    put(m.value);
    write_line(line);
    return;
  }
  json headers = json::array();
  for (const auto& h : m.headers) {
    json jh = json::object();
    put_bytes(jh, "key", std::string_view(h.key), o.base64);
    put_bytes(jh, "value", view(h.value), o.base64);
    headers.push_back(std::move(jh));
  }
  json j = {{"topic", m.topic},
            {"partition", m.partition()},
            {"offset", m.offset()},
            {"timestamp", m.timestamp()}};
  put_bytes(j, "key", view(m.key), o.base64);
  put_bytes(j, "value", view(m.value), o.base64);
  j["headers"] = std::move(headers);
  write_line(j.dump());
}

int run_consume(const CLI::App& cmd, consume_options o) {
  if (!o.topic_flag.empty()) {
    if (!o.topic.empty() && o.topic != o.topic_flag)
      return fail(cmd, "two topics given (" + o.topic + " and -t " + o.topic_flag + "): give one");
    o.topic = o.topic_flag;
  }
  if (o.topic.empty()) return fail(cmd, "which topic? give it as TOPIC or -t TOPIC");
  if (o.json_flag) o.format = "json";

  start_spec start;
  if (!o.offset.empty()) {
    auto s = parse_offset(o.offset);
    if (!s) {
      return fail(cmd,
                  "-o/--offset expects beginning, end, an offset N, -N (N before the end) "
                  "or s@MS (a Unix time in ms), got '" +
                      o.offset + "'");
    }
    start = *s;
  } else if (o.from_beginning) {
    start.what = start_spec::kind::beginning;
  } else if (o.timestamp) {
    start = {start_spec::kind::timestamp, *o.timestamp};
  }
  const bool grouped = !o.group.empty();
  const bool by_hand =
      start.what != start_spec::kind::end && start.what != start_spec::kind::beginning;
  if (grouped && (by_hand || o.partition)) {
    return fail(cmd,
                "an offset, -N, a timestamp or --partition pick positions by hand and cannot be "
                "combined with --group (move a group with `runnel group reset-offsets`)");
  }
  auto config = make_client_config(o.client, cmd);
  if (!config) return 1;

  client::consumer_options co;
  co.client = *config;
  co.group_id = o.group;
  // With a group: where it has no committed offset yet.
  co.auto_offset_reset = start.what == start_spec::kind::beginning ? "earliest" : "latest";
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
    std::map<int32_t, client::partition_offsets> bounds;
    if (start.what == start_spec::kind::from_end) {
      auto offs = admin->offsets(o.topic);
      if (!offs) return fail(cmd, offs.error().message);
      for (const auto& p : offs.value()) bounds.emplace(p.partition(), p);
    }
    std::vector<client::partition_assignment> parts;
    for (const auto& p : info.value().partitions) {
      if (o.partition && p.id() != *o.partition) continue;
      client::start_position at = client::start_position::end();
      switch (start.what) {
        case start_spec::kind::end:
          break;
        case start_spec::kind::beginning:
          at = client::start_position::beginning();
          break;
        case start_spec::kind::offset:
          at = client::start_position::at(runnel::offset{start.value});
          break;
        case start_spec::kind::timestamp:
          at = client::start_position::at_time(runnel::timestamp{start.value});
          break;
        case start_spec::kind::from_end: {
          auto b = bounds.find(p.id());
          if (b != bounds.end()) {
            const int64_t from = std::max(b->second.start(), b->second.end() - start.value);
            at = client::start_position::at(runnel::offset{from});
          }
          break;
        }
      }
      parts.push_back({o.topic, p.id, at});
    }
    if (parts.empty()) {
      return fail(cmd, fmt::format("topic {} has no partition {} (it has {})", o.topic,
                                   *o.partition, info.value().partitions.size()));
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
      print_message(*m, o, as_json);
      // SIGPIPE is ignored (main.cc): a reader that went away (`| head`)
      // shows as a failed flush, and there is nobody left to print for.
      if (std::fflush(stdout) != 0) break;
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
  c->add_option("TOPIC", o->topic, "The topic to read");
  c->add_option("-t,--topic", o->topic_flag, "The topic to read (instead of TOPIC, as kcat -t)");
  auto* offset =
      c->add_option("-o,--offset", o->offset,
                    "Where to start in each partition: beginning, end, an offset N, -N (N "
                    "messages before the end) or s@MS (first message at or after a Unix time in "
                    "ms). Default: end. With --group only beginning|end, for partitions the group "
                    "has no offset in");
  auto* begin = c->add_flag("--from-beginning", o->from_beginning, "The same as -o beginning");
  auto* ts = c->add_option("--timestamp", o->timestamp, "The same as -o s@MS")->check(at_least(0));
  begin->excludes(offset)->excludes(ts);
  offset->excludes(ts);
  c->add_option("-g,--group", o->group,
                "Join this consumer group and commit what was printed (default: no group; "
                "start at the end unless told otherwise)");
  c->add_option("-c,-n,--count", o->count, "Exit after this many messages")->check(at_least(1));
  c->add_option("-p,--partition", o->partition, "Read only this partition")->check(at_least(0));
  auto* format =
      c->add_option("--format", o->format,
                    "text: the value per line; json: one object per message (keys, values and "
                    "headers that are not UTF-8 come as base64, marked \"<field>_encoding\": "
                    "\"base64\")")
          ->capture_default_str()
          ->check(CLI::IsMember({"text", "json"}));
  c->add_flag("-J", o->json_flag, "The same as --format json")->excludes(format);
  c->add_flag("--base64", o->base64, "With --format json: every key, value and header as base64");
  c->add_option("-K,--key-delimiter", o->key_delimiter,
                "Text output: print the key, this delimiter, then the value");
  c->add_flag("-Z,--null", o->null_text, "Text output: print NULL for a null key or value");
  c->add_option("--timeout-ms", o->timeout_ms, "Exit when no message came for this long")
      ->check(at_least(1));
  c->add_flag("-e,--exit-at-end", o->exit_at_end, "Exit once every partition read is at its end");
  add_client_flags(*c, o->client);
  c->callback([c, o] { set_exit_code(run_consume(*c, *o)); });
}

}  // namespace runnel::cli
