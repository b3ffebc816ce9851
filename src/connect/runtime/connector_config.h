// The keys every connector has, besides its own (Kafka's ConnectorConfig,
// SourceConnectorConfig and SinkConnectorConfig, in the same groups):
// name, connector.class, tasks.max, converters, transforms, predicates,
// errors.*, topics / topics.regex (sinks), topic.creation.* and
// exactly.once.support (sources), and producer.override.* /
// consumer.override.* (passed to the task's client).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/api/plugins.h"
#include "connect/runtime/state.h"

namespace runnel::connect {

// The common definitions of a source or sink connector (groups "Common",
// "Transforms", "Predicates", "Error Handling", "Topic Creation",
// "Exactly Once Support").
const config_def& source_connector_config_def();
const config_def& sink_connector_config_def();

struct error_config {
  int64_t retry_timeout_ms = 0;  // -1: forever
  int64_t retry_delay_max_ms = 60000;
  bool tolerate_all = false;
  bool log_enable = false;
  bool log_include_messages = false;
  std::string dlq_topic;  // empty: none
  int16_t dlq_replication_factor = 3;
  bool dlq_context_headers = false;
};

struct connector_config {
  std::string name;
  std::string connector_class;
  connector_type type = connector_type::unknown;
  int32_t tasks_max = 1;
  bool tasks_max_enforce = true;
  std::optional<std::string> key_converter, value_converter, header_converter;
  error_config errors;
  // Sinks.
  std::vector<std::string> topics;
  std::string topics_regex;
  // Sources: topic.creation.default.* (unset: the worker does not create topics).
  std::optional<int32_t> topic_creation_partitions;
  std::optional<int16_t> topic_creation_replication_factor;
  std::string exactly_once_support = "requested";  // requested | required
  std::string transaction_boundary = "poll";       // poll | interval | connector
  std::optional<int64_t> transaction_boundary_interval_ms;
  config_map originals;

  // Parses the common keys of `props` (the connector's own keys are its
  // business). Needs the plugin to know source from sink.
  static result<connector_config> parse(const config_map& props, const plugin_registry& plugins);

  // The converter's own keys: key.converter.* (worker's first, then the
  // connector's), class removed.
  config_map converter_props(const config_map& worker, std::string_view role) const;
};

// The connector-level validation of REST `config/validate` and of create:
// the common keys, the transformations' and predicates' keys, and the
// connector's own; for sources also KIP-618's checks, which depend on the
// worker (`exactly_once_source`: its exactly.once.source.support is
// enabled; the herder and `connect run` pass it):
// exactly.once.support=required needs that worker setting and a connector
// whose exactly_once(props) says supported, and
// transaction.boundary=connector a connector that can define boundaries.
// Returns the Kafka-shaped answer object:
// {"name","error_count","groups","configs":[{"definition":…,"value":…}]}.
data validate_connector_config(const config_map& props, const plugin_registry& plugins,
                               bool exactly_once_source = false);
// The same validation as a refusal: errc::bad_request with Kafka's sentence
// ("Connector configuration is invalid and contains the following N
// error(s): …") when there is any error (create, update, `connect run`).
result<void> check_connector_config(const config_map& props, const plugin_registry& plugins,
                                    bool exactly_once_source = false);

// The definition of one key as the REST API shows it (Kafka's ConfigKeyInfo).
data config_key_json(const config_key& k);

}  // namespace runnel::connect
