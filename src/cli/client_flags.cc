#include "cli/client_flags.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/core.h>

#include "cli/broker_probe.h"
#include "cli/checks.h"

namespace runnel::cli {

void add_client_flags(CLI::App& cmd, client_flags& f) {
  cmd.add_option("-b,--brokers", f.brokers, "Bootstrap brokers, HOST:PORT[,HOST:PORT...]")
      ->envname("RUNNEL_BROKERS")
      ->capture_default_str();
  cmd.add_option("-X,--property", f.properties,
                 "A librdkafka client property, name=value (repeatable), e.g. "
                 "-X security.protocol=SSL");
  cmd.add_option("--request-timeout-ms", f.request_timeout_ms,
                 "How long to wait for the cluster to answer a request")
      ->capture_default_str()
      ->check(at_least(1));
}

void add_format_flag(CLI::App& cmd, std::string& format) {
  cmd.add_option("--format", format, "Output: aligned text or JSON")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
}

void print_outcome(const std::string& format, std::string_view text,
                   const nlohmann::ordered_json& j) {
  if (format == "json")
    fmt::print("{}\n", j.dump());
  else
    fmt::print("{}\n", text);
}

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

int fail(const CLI::App& cmd, std::string_view message) {
  std::string path = cmd.get_name();
  for (const CLI::App* p = cmd.get_parent(); p; p = p->get_parent()) {
    path = (p->get_parent() ? p->get_name() : std::string("runnel")) + " " + path;
  }
  std::string line(message);
  for (char& c : line) {
    if (c == '\n') c = ' ';  // one line, whatever the broker said
  }
  fmt::print(stderr, "{}: {}\n", path, line);
  return 1;
}

std::optional<std::pair<std::string, std::string>> split_key_value(std::string_view s) {
  const auto eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  return std::pair{std::string(s.substr(0, eq)), std::string(s.substr(eq + 1))};
}

std::optional<client::client_config> make_client_config(const client_flags& f,
                                                        const CLI::App& cmd) {
  // A refused or unresolvable address fails now, naming it, rather than
  // after librdkafka's retries run into the request timeout.
  const auto probe_timeout =
      std::min(std::chrono::milliseconds(f.request_timeout_ms), std::chrono::milliseconds(10000));
  if (auto why = probe_brokers(f.brokers, probe_timeout)) {
    fail(cmd, *why);
    return std::nullopt;
  }
  client::client_config c;
  c.brokers = f.brokers;
  c.client_id = "runnel-cli";
  bool debug = false;
  for (const auto& p : f.properties) {
    auto kv = split_key_value(p);
    if (!kv) {
      fail(cmd, "-X expects name=value, got '" + p + "'");
      return std::nullopt;
    }
    debug = debug || kv->first == "debug";
    c.properties.push_back(std::move(*kv));
  }
  if (debug) {
    c.on_log = [](int, std::string_view facility, std::string_view message) {
      fmt::print(stderr, "rdkafka {}: {}\n", facility, message);
    };
  } else {
    c.on_log = [](int, std::string_view, std::string_view) {};
  }
  return c;
}

std::optional<client::admin> make_admin(const client_flags& f, const CLI::App& cmd) {
  auto c = make_client_config(f, cmd);
  if (!c) return std::nullopt;
  client::admin_options o;
  o.client = std::move(*c);
  o.timeout = std::chrono::milliseconds(f.request_timeout_ms);
  auto a = client::admin::create(o);
  if (!a) {
    fail(cmd, a.error().message);
    return std::nullopt;
  }
  return std::move(a).value();
}

}  // namespace runnel::cli
