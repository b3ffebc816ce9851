// The command line every example shares: --brokers, --application-id,
// --state-dir, --topic renames, --processing-guarantee, --commit-interval-ms,
// --max-task-idle-ms, --metrics-log-interval-ms, --client-property,
// --dead-letter-topic, --admin-listen. An example adds its own options through the `more`
// callback of parse_args.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "runnel/stream.h"

namespace examples {

struct args {
  int exit_code = 0;
  bool ok = false;
  runnel::stream::app_config config;
  std::map<std::string, std::string> topics;  // name -> override
  explicit operator bool() const { return ok; }
  std::string input(const std::string& name) const { return topic(name); }
  std::string output(const std::string& name) const { return topic(name); }
  std::string topic(const std::string& name) const {
    auto it = topics.find(name);
    return it == topics.end() ? name : it->second;
  }
};

// Splits NAME=VALUE at the first '='; false if there is none.
inline bool split_pair(const std::string& s, std::string& name, std::string& value) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  name = s.substr(0, eq);
  value = s.substr(eq + 1);
  return true;
}

inline args parse_args(int argc, char** argv, const std::string& name, const std::string& about,
                       const std::function<void(CLI::App&)>& more = {}) {
  args a;
  CLI::App cli(about, name);
  a.config.application_id = name;
  int64_t commit_ms = -1;
  std::string guarantee = "at_least_once";
  int64_t idle_ms = 0;
  int64_t metrics_ms = 30000;
  std::string state_dir;
  std::vector<std::string> renames;
  std::vector<std::string> properties;
  std::string dead_letter;
  cli.add_option("--brokers", a.config.brokers, "Kafka bootstrap servers")->capture_default_str();
  cli.add_option("--application-id", a.config.application_id,
                 "consumer group and internal-topic prefix")
      ->capture_default_str();
  cli.add_option("--state-dir", state_dir,
                 "where the RocksDB state stores live (default: a directory under /tmp)");
  cli.add_option("--processing-guarantee", guarantee,
                 "at_least_once, or exactly_once_v2: every commit is a transaction (read the "
                 "output with isolation.level=read_committed)")
      ->check(CLI::IsMember({"at_least_once", "exactly_once_v2"}))
      ->capture_default_str();
  cli.add_option("--commit-interval-ms", commit_ms,
                 "how often progress is committed (default: 1000 at-least-once, 100 exactly-once)");
  cli.add_option("--max-task-idle-ms", idle_ms,
                 "how long a task with several inputs waits for an empty one before going on")
      ->capture_default_str();
  cli.add_option("--metrics-log-interval-ms", metrics_ms,
                 "log each task's metrics this often (0: never)")
      ->capture_default_str();
  cli.add_option("--topic", renames, "use another topic name: NAME=TOPIC (repeatable)");
  cli.add_option("--client-property", properties,
                 "a librdkafka property for the app's clients: NAME=VALUE (repeatable), e.g. "
                 "session.timeout.ms=6000");
  cli.add_option("--dead-letter-topic", dead_letter,
                 "send bad and late records here instead of failing");
  cli.add_option("--admin-listen", a.config.admin_listen,
                 "HOST:PORT for the admin HTTP server: /metrics, /health, /ready, /v1/loglevel "
                 "(default: none)");
  if (more) more(cli);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    a.exit_code = cli.exit(e);
    return a;
  }
  if (!state_dir.empty()) a.config.state_dir = state_dir;
  if (commit_ms >= 0) a.config.commit_interval = std::chrono::milliseconds(commit_ms);
  if (guarantee == "exactly_once_v2")
    a.config.guarantee = runnel::stream::processing_guarantee::exactly_once_v2;
  a.config.max_task_idle = std::chrono::milliseconds(idle_ms);
  a.config.metrics_log_interval = std::chrono::milliseconds(metrics_ms);
  if (!dead_letter.empty()) {
    a.config.dead_letter_topic = dead_letter;
    a.config.on_error = runnel::stream::error_policy::log_and_skip;
  }
  for (const auto& r : renames) {
    std::string from, to;
    if (!split_pair(r, from, to)) {
      fmt::print(stderr, "--topic wants NAME=TOPIC, got {}\n", r);
      a.exit_code = 2;
      return a;
    }
    a.topics[from] = to;
  }
  for (const auto& p : properties) {
    std::string k, v;
    if (!split_pair(p, k, v)) {
      fmt::print(stderr, "--client-property wants NAME=VALUE, got {}\n", p);
      a.exit_code = 2;
      return a;
    }
    a.config.client_properties.emplace_back(k, v);
  }
  a.ok = true;
  return a;
}

inline int run(runnel::stream::topology t, const args& a) {
  // Each log line out at once, even when stdout is a file or a pipe: an
  // operator tailing the log (or a test reading it) sees what the app is
  // doing now — restoring, waiting for its group — not 4 KiB later.
  spdlog::flush_on(spdlog::level::info);
  runnel::stream::app app(std::move(t), a.config);
  auto r = app.run();
  if (!r) {
    fmt::print(stderr, "{}: {}\n", a.config.application_id, r.error().message);
    return 1;
  }
  return 0;
}

}  // namespace examples
