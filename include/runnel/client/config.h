// How a client reaches the cluster. Shared by producer, consumer and admin.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runnel::client {

struct client_config {
  // Bootstrap servers, "host:port[,host:port...]": any Kafka-protocol cluster.
  std::string brokers = "127.0.0.1:9092";
  std::string client_id = "runnel";
  // Any librdkafka property (its CONFIGURATION.md), applied after everything
  // the wrapper sets itself, so it can override those too: security.protocol,
  // sasl.*, debug, socket.timeout.ms, ...
  std::vector<std::pair<std::string, std::string>> properties;
  // librdkafka's log lines (syslog levels, 0 emerg .. 7 debug), called from
  // librdkafka's threads. Unset: forwarded to spdlog. Errors that matter to a
  // call are reported in its result either way.
  std::function<void(int level, std::string_view facility, std::string_view message)> on_log;
};

}  // namespace runnel::client
