// Connectors (Kafka's Connector, SourceConnector, SinkConnector): the part
// of a plugin that runs once per connector, anywhere in the cluster, and
// splits the work into task configurations. The tasks do the copying
// (source_task.h, sink_task.h).
//
// Lifecycle, driven by the runtime on the connector's own thread:
//   validate(props)        (any thread, on a fresh instance; REST validation)
//   start(props, ctx)      once
//   task_configs(max)      after start, and again whenever the connector
//                          calls ctx.request_task_reconfiguration()
//   stop()                 once, also after a failed start
// A connector may run its own threads (a monitor that notices new tables);
// they report through the context, which is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "connect/api/offsets.h"
#include "connect/api/plugin.h"
#include "runnel/client/message.h"

namespace runnel::connect {

class source_task;
class sink_task;

class connector_context {
 public:
  virtual ~connector_context() = default;
  // The task configs should change: the runtime calls task_configs() again
  // and restarts the tasks if they differ.
  virtual void request_task_reconfiguration() = 0;
  // A failure found outside a runtime call: the connector goes to FAILED.
  virtual void raise_error(const error& e) = 0;
  // The source offsets stored for this connector (source connectors only;
  // null for sinks).
  virtual offset_reader* offsets() = 0;
};

class connector : public plugin_instance {
 public:
  // Every check of a proposed config; the default is config().validate.
  // Override to add rules across keys (Kafka's Connector.validate).
  virtual std::vector<config_value> validate(const config_map& props) const;

  virtual result<void> start(const config_map& props, connector_context& ctx) = 0;
  // At most `max_tasks` configs, one per task to run.
  virtual result<std::vector<config_map>> task_configs(int max_tasks) = 0;
  virtual void stop() = 0;
};

// Whether a source connector can be run exactly once (KIP-618).
enum class exactly_once_support { unsupported, supported };

class source_connector : public connector {
 public:
  virtual std::unique_ptr<source_task> create_task() const = 0;

  // Whether records and offsets of this config can be committed in one
  // transaction (Kafka's exactlyOnceSupport): the runtime refuses a connector
  // with exactly.once.support=required when this says unsupported.
  virtual exactly_once_support exactly_once(const config_map& props) const;
  // Whether the tasks define transaction boundaries themselves
  // (transaction.boundary=connector, through source_task_context).
  virtual bool can_define_transaction_boundaries(const config_map& props) const;

  // KIP-875: the user alters (value) or resets (nullopt) these partitions'
  // offsets while the connector is stopped. Return an error to refuse, true
  // if the connector itself also acted on them (Kafka's alterOffsets), false
  // if it only accepts the runtime storing them.
  virtual result<bool> alter_offsets(
      const config_map& props, const std::vector<std::pair<data, std::optional<data>>>& offsets);
};

class sink_connector : public connector {
 public:
  virtual std::unique_ptr<sink_task> create_task() const = 0;

  // KIP-875 for sinks: the consumer group's offsets (the next offset to
  // read; nullopt: reset) are about to change.
  virtual result<bool> alter_offsets(
      const config_map& props,
      const std::map<client::topic_partition, std::optional<int64_t>>& offsets);
};

}  // namespace runnel::connect
