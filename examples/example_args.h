// The command line every example shares: --brokers, --application-id,
// --state-dir, --input/--output topic overrides, --commit-interval-ms.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

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

inline args parse_args(int argc, char** argv, const std::string& name, const std::string& about) {
  args a;
  CLI::App cli(about, name);
  a.config.application_id = name;
  int64_t commit_ms = 1000;
  std::string state_dir;
  std::vector<std::string> renames;
  std::string dead_letter;
  cli.add_option("--brokers", a.config.brokers, "Kafka bootstrap servers")->capture_default_str();
  cli.add_option("--application-id", a.config.application_id, "consumer group and internal-topic prefix")
      ->capture_default_str();
  cli.add_option("--state-dir", state_dir, "where the RocksDB state stores live");
  cli.add_option("--commit-interval-ms", commit_ms, "how often progress is committed")->capture_default_str();
  cli.add_option("--topic", renames, "use another topic name: NAME=TOPIC (repeatable)");
  cli.add_option("--dead-letter-topic", dead_letter, "send bad and late records here instead of failing");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    a.exit_code = cli.exit(e);
    return a;
  }
  if (!state_dir.empty()) a.config.state_dir = state_dir;
  a.config.commit_interval = std::chrono::milliseconds(commit_ms);
  a.config.metrics_log_interval = std::chrono::seconds(30);
  if (!dead_letter.empty()) {
    a.config.dead_letter_topic = dead_letter;
    a.config.on_error = runnel::stream::error_policy::log_and_skip;
  }
  for (const auto& r : renames) {
    auto eq = r.find('=');
    if (eq == std::string::npos) {
      fmt::print(stderr, "--topic wants NAME=TOPIC, got {}\n", r);
      a.exit_code = 2;
      return a;
    }
    a.topics[r.substr(0, eq)] = r.substr(eq + 1);
  }
  a.ok = true;
  return a;
}

inline int run(runnel::stream::topology t, const args& a) {
  runnel::stream::app app(std::move(t), a.config);
  auto r = app.run();
  if (!r) {
    fmt::print(stderr, "{}: {}\n", a.config.application_id, r.error().message);
    return 1;
  }
  return 0;
}

}  // namespace examples
