#include "connect/runtime/worker_config.h"

#include <algorithm>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

config_key str(const char* name, config_default def, const char* doc,
               config_importance imp = config_importance::high) {
  return {.name = name,
          .type = config_type::string,
          .default_value = std::move(def),
          .importance = imp,
          .documentation = doc};
}

config_key num(const char* name, config_type t, const char* def, const char* doc,
               config_importance imp = config_importance::medium) {
  return {.name = name,
          .type = t,
          .default_value = config_default::of(def),
          .importance = imp,
          .documentation = doc};
}

// Java-only client properties with no librdkafka counterpart.
bool java_only(std::string_view k) {
  static const std::vector<std::string_view> keys = {
      "key.serializer",         "value.serializer",    "key.deserializer",
      "value.deserializer",     "interceptor.classes", "partitioner.class",
      "metric.reporters",       "sasl.jaas.config",    "security.providers",
      "request.timeout.ms",     "delivery.timeout.ms", "max.request.size",
      "buffer.memory",          "max.block.ms",        "default.api.timeout.ms",
      "exclude.internal.topics"};
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

// host and port of "http://host:port" (host may be empty: all interfaces).
bool parse_listener(std::string_view l, std::string& host, uint16_t& port) {
  auto scheme = l.find("://");
  if (scheme != std::string_view::npos) {
    if (l.substr(0, scheme) != "http") return false;
    l.remove_prefix(scheme + 3);
  }
  while (!l.empty() && l.back() == '/') l.remove_suffix(1);
  auto colon = l.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = std::string(l.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    int p = std::stoi(std::string(l.substr(colon + 1)));
    if (p < 0 || p > 65535) return false;
    port = uint16_t(p);
  } catch (...) {
    return false;
  }
  if (host.empty()) host = "0.0.0.0";
  return true;
}

}  // namespace

const config_def& worker_config_def() {
  static const config_def def = [] {
    config_def d;
    using ct = config_type;
    d.define(str("bootstrap.servers", config_default::of("localhost:9092"),
                 "A list of host/port pairs used to establish the initial connection to the "
                 "Kafka cluster."));
    d.define(str("client.id", config_default::of(""),
                 "An id string to pass to the server when making requests.",
                 config_importance::low));
    d.define(str("group.id", config_default::null(),
                 "A unique string that identifies the Connect cluster group this worker belongs "
                 "to (distributed mode)."));
    d.define(str("key.converter", config_default::of("org.apache.kafka.connect.json.JsonConverter"),
                 "Converter class used to convert between Kafka Connect format and the "
                 "serialized form that is written to Kafka (keys). Kafka requires it; runnel "
                 "defaults to JsonConverter."));
    d.define(str("value.converter",
                 config_default::of("org.apache.kafka.connect.json.JsonConverter"),
                 "Converter class for values (Kafka requires it; runnel defaults to "
                 "JsonConverter)."));
    d.define(str("header.converter",
                 config_default::of("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
                 "HeaderConverter class used to convert between Kafka Connect format and the "
                 "serialized form that is written to Kafka.",
                 config_importance::low));
    d.define(num("offset.flush.interval.ms", ct::long_, "60000",
                 "Interval at which to try committing offsets for tasks.", config_importance::low));
    d.define(num("offset.flush.timeout.ms", ct::long_, "5000",
                 "Maximum number of milliseconds to wait for records to flush and partition "
                 "offset data to be committed to offset storage before cancelling the process "
                 "and restoring the offset data to be committed in a future attempt.",
                 config_importance::low));
    d.define(num("task.shutdown.graceful.timeout.ms", ct::long_, "5000",
                 "Amount of time to wait for tasks to shutdown gracefully.",
                 config_importance::low));
    d.define({.name = "topic.creation.enable",
              .type = ct::boolean,
              .default_value = config_default::of("true"),
              .importance = config_importance::low,
              .documentation = "Whether to allow automatic creation of topics used by source "
                               "connectors, when source connectors are configured with "
                               "`topic.creation.` properties."});
    d.define(str("offset.storage.file.filename", config_default::of(""),
                 "The file to store connector offsets in (standalone mode). Empty: "
                 "offset.storage.topic must be set."));
    d.define(str("config.storage.topic", config_default::of(""),
                 "The name of the Kafka topic where connector configurations are stored."));
    d.define(str("offset.storage.topic", config_default::of(""),
                 "The name of the Kafka topic where source connector offsets are stored."));
    d.define(str("status.storage.topic", config_default::of(""),
                 "The name of the Kafka topic where connector and task status are stored."));
    for (const char* k : {"config.storage.replication.factor", "offset.storage.replication.factor",
                          "status.storage.replication.factor"})
      d.define(num(k, ct::short_, "3",
                   "Replication factor used when creating the internal topic (-1: the broker's "
                   "default). runnel falls back to the broker's default when the cluster has "
                   "fewer brokers."));
    d.define(num("offset.storage.partitions", ct::int_, "25",
                 "The number of partitions used when creating the offset storage topic."));
    d.define(num("status.storage.partitions", ct::int_, "5",
                 "The number of partitions used when creating the status storage topic."));
    d.define(num("session.timeout.ms", ct::int_, "10000",
                 "The timeout used to detect worker failures."));
    d.define(num("heartbeat.interval.ms", ct::int_, "3000",
                 "The expected time between heartbeats to the group coordinator."));
    d.define(num("rebalance.timeout.ms", ct::int_, "60000",
                 "The maximum allowed time for each worker to join the group once a rebalance "
                 "has begun."));
    d.define({.name = "exactly.once.source.support",
              .type = ct::string,
              .default_value = config_default::of("disabled"),
              .importance = config_importance::high,
              .documentation = "Whether to enable exactly-once support for source connectors "
                               "in the cluster by using transactions to write source records "
                               "and their source offsets. runnel: 'enabled' needs "
                               "offset.storage.topic, in standalone mode too; 'preparing' "
                               "runs source tasks at-least-once, as 'disabled' does.",
              .validator = validators::one_of({"disabled", "preparing", "enabled"}, true)});
    d.define(str("listeners", config_default::of("http://127.0.0.1:8083"),
                 "List of comma-separated URIs the REST API will listen on (runnel: the first "
                 "http:// one). runnel's default is loopback; Kafka's is all interfaces."));
    d.define(str("rest.advertised.host.name", config_default::null(),
                 "If this is set, this is the hostname that will be given out to other workers "
                 "to connect to.",
                 config_importance::low));
    d.define({.name = "rest.advertised.port",
              .type = ct::int_,
              .default_value = config_default::null(),
              .importance = config_importance::low,
              .documentation = "If this is set, this is the port that will be given out to "
                               "other workers to connect to."});
    for (const char* k : {"plugin.path", "plugin.discovery", "connect.protocol",
                          "connector.client.config.override.policy", "worker.sync.timeout.ms",
                          "scheduled.rebalance.max.delay.ms", "rest.advertised.listener",
                          "metrics.recording.level", "auto.include.jmx.reporter"})
      d.define(str(k, config_default::null(),
                   "Accepted for compatibility with Kafka Connect's worker files; runnel "
                   "ignores it.",
                   config_importance::low));
    return d;
  }();
  return def;
}

result<worker_config> worker_config::parse(const config_map& props) {
  // Only the defined keys are parsed; producer.*, consumer.*, admin.*,
  // key.converter.* and the like pass through in originals.
  CONNECT_TRY(auto c, worker_config_def().parse(props));
  worker_config w;
  w.originals = props;
  w.bootstrap_servers = c.get_string("bootstrap.servers");
  w.client_id = c.get_string("client.id");
  w.group_id = c.get_optional_string("group.id").value_or("");
  w.key_converter = c.get_string("key.converter");
  w.value_converter = c.get_string("value.converter");
  w.header_converter = c.get_string("header.converter");
  w.offset_flush_interval_ms = c.get_long("offset.flush.interval.ms");
  w.offset_flush_timeout_ms = c.get_long("offset.flush.timeout.ms");
  w.task_shutdown_timeout_ms = c.get_long("task.shutdown.graceful.timeout.ms");
  w.topic_creation_enable = c.get_bool("topic.creation.enable");
  w.offset_file = c.get_string("offset.storage.file.filename");
  w.config_topic = c.get_string("config.storage.topic");
  w.offset_topic = c.get_string("offset.storage.topic");
  w.status_topic = c.get_string("status.storage.topic");
  w.config_rf = int16_t(c.get_long("config.storage.replication.factor"));
  w.offset_rf = int16_t(c.get_long("offset.storage.replication.factor"));
  w.status_rf = int16_t(c.get_long("status.storage.replication.factor"));
  w.offset_partitions = c.get_int("offset.storage.partitions");
  w.status_partitions = c.get_int("status.storage.partitions");
  w.session_timeout_ms = c.get_int("session.timeout.ms");
  w.heartbeat_interval_ms = c.get_int("heartbeat.interval.ms");
  w.rebalance_timeout_ms = c.get_int("rebalance.timeout.ms");
  w.exactly_once_source_support = c.get_string("exactly.once.source.support");
  for (auto& ch : w.exactly_once_source_support) ch = char(std::tolower(ch));
  if (w.exactly_once_source() && w.offset_topic.empty())
    return make_error(errc::invalid_config,
                      "exactly.once.source.support=enabled needs offset.storage.topic: a source "
                      "task writes its records and their offsets in one transaction, so the "
                      "offsets must live in a topic (offset.storage.file.filename cannot take "
                      "part in a transaction)");
  auto listeners = c.get_string("listeners");
  auto first = listeners.substr(0, listeners.find(','));
  if (!first.empty() && !parse_listener(first, w.rest_host, w.rest_port))
    return make_error(errc::invalid_config,
                      fmt::format("Invalid value {} for configuration listeners: expected "
                                  "http://HOST:PORT",
                                  listeners));
  auto host = c.get_optional_string("rest.advertised.host.name");
  std::optional<int32_t> port;
  if (c.has("rest.advertised.port")) port = c.get_int("rest.advertised.port");
  if (host || port)
    w.advertised_url =
        fmt::format("http://{}:{}/", host.value_or(w.rest_host), port.value_or(w.rest_port));
  return w;
}

client::client_config worker_config::client(std::string_view role,
                                            const config_map& overrides) const {
  client::client_config c;
  c.brokers = bootstrap_servers;
  c.client_id = client_id.empty() ? "runnel-connect" : client_id;
  auto apply = [&](const config_map& m) {
    for (const auto& [k, v] : m) {
      if (java_only(k) || k == "bootstrap.servers") continue;
      if (k == "client.id") {
        c.client_id = v;
        continue;
      }
      c.properties.emplace_back(k, v);
    }
  };
  apply(with_prefix(originals, std::string(role) + "."));
  apply(overrides);
  return c;
}

std::string worker_config::transactional_id(const std::string& connector, int32_t task) const {
  return fmt::format("{}-{}-{}", group_id.empty() ? offset_topic : group_id, connector, task);
}

std::string worker_config::worker_id() const {
  if (!advertised_url.empty()) {
    auto s = advertised_url;
    if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
  }
  return fmt::format("{}:{}", rest_host == "0.0.0.0" ? "127.0.0.1" : rest_host, rest_port);
}

}  // namespace runnel::connect
