// The plugin registry: every connector, converter, header converter,
// transformation and predicate runnel has, by Kafka's class name.
//
// A plugin is found by its full class name
// ("org.apache.kafka.connect.file.FileStreamSourceConnector"), its simple
// name ("FileStreamSourceConnector"), or its simple name without the
// "Connector"/"Converter" suffix ("FileStreamSource"), as Kafka's plugin
// aliases work, or by an extra alias the plugin registers (Confluent's and
// Debezium's class names for runnel's own connectors, say).
//
// Adding a plugin: write a register_* function next to it and call it from
// plugins.cc (the one list; static registration would be dropped by the
// linker from a static library).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/connector.h"
#include "connect/api/converter.h"
#include "connect/api/transformation.h"

namespace runnel::connect {

enum class plugin_type { source, sink, converter, header_converter, transformation, predicate };

// Kafka's names in the REST API: "source", "sink", "converter",
// "header_converter", "transformation", "predicate".
std::string_view plugin_type_name(plugin_type t);

struct plugin {
  std::string class_name;
  plugin_type type = plugin_type::source;
  std::string version;
  std::vector<std::string> aliases;  // besides the automatic ones
  std::function<std::unique_ptr<plugin_instance>()> make;
  // The config_def of the class (from one instance made on first use).
  const config_def& config() const;

  // The instance config() asks; filled by config().
  mutable std::shared_ptr<plugin_instance> sample = nullptr;
};

class plugin_registry {
 public:
  // Everything runnel ships, built on first use (thread-safe).
  static const plugin_registry& builtin();

  void add(plugin p);

  // By any of its names; with `type`, only a plugin of that type.
  const plugin* find(std::string_view name, std::optional<plugin_type> type = std::nullopt) const;
  std::vector<const plugin*> list(std::optional<plugin_type> type = std::nullopt) const;

  result<std::unique_ptr<connector>> new_connector(std::string_view name) const;
  result<std::unique_ptr<converter>> new_converter(std::string_view name) const;
  result<std::unique_ptr<header_converter>> new_header_converter(std::string_view name) const;
  result<std::unique_ptr<transformation>> new_transformation(std::string_view name) const;
  result<std::unique_ptr<predicate>> new_predicate(std::string_view name) const;

 private:
  std::vector<plugin> plugins_;
};

// The simple class name ("a.b.C$D" → "C$D") and the pruned one (without a
// trailing "Connector" or "Converter").
std::string simple_class_name(std::string_view class_name);
std::string pruned_class_name(std::string_view class_name);

// runnel's version, the version every built-in plugin reports.
std::string_view runnel_version();

}  // namespace runnel::connect
