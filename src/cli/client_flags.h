// What the client commands (topic, produce, consume, group) share: the flags
// that say how to reach the cluster, and one way to report an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runnel/client/admin.h"
#include "runnel/client/config.h"

namespace runnel::cli {

struct client_flags {
  std::string brokers = "127.0.0.1:9092";
  std::vector<std::string> properties;  // -X name=value, passed to librdkafka
  int request_timeout_ms = 15000;
};

// -b/--brokers (or $RUNNEL_BROKERS), -X/--property, --request-timeout-ms.
void add_client_flags(CLI::App& cmd, client_flags& f);

// The client configuration the flags describe, once a bootstrap broker has
// accepted a TCP connection (broker_probe.h: an unreachable address fails at
// once, named). librdkafka's own log stays quiet unless a `-X debug=...`
// asks for it: errors reach the user through the results of the calls.
std::optional<client::client_config> make_client_config(const client_flags& f, const CLI::App& cmd);
std::optional<client::admin> make_admin(const client_flags& f, const CLI::App& cmd);

// Prints "runnel <command path>: <message>" as one line to stderr and
// returns the exit code for a failed command (1).
int fail(const CLI::App& cmd, std::string_view message);

// "name=value" split at the first '='; nullopt if there is none or the name
// is empty.
std::optional<std::pair<std::string, std::string>> split_key_value(std::string_view s);

// --format text|json.
void add_format_flag(CLI::App& cmd, std::string& format);

// Prints the outcome of a command that changes something: `text` as one
// line, or `j` as one line of JSON with --format json.
void print_outcome(const std::string& format, std::string_view text,
                   const nlohmann::ordered_json& j);

// "1 partition", "3 partitions".
std::string plural(uint64_t n, std::string_view one, std::string_view many);

}  // namespace runnel::cli
