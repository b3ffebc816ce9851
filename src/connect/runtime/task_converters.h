// The key, value and header converters of one task: the connector's
// key.converter / value.converter / header.converter if it names them, else
// the worker's, each configured with its own `*.converter.*` keys.
#pragma once

#include <memory>
#include <string>

#include "connect/api/converter.h"
#include "connect/api/plugins.h"
#include "connect/runtime/connector_config.h"
#include "connect/runtime/worker_config.h"

namespace runnel::connect {

struct task_converters {
  std::unique_ptr<converter> key, value;
  std::unique_ptr<header_converter> headers;
  std::string key_class, value_class, header_class;

  static result<task_converters> create(const worker_config& w, const connector_config& c,
                                        const plugin_registry& plugins);

  // Connect headers to Kafka headers, and back.
  result<std::vector<client::header>> to_kafka(std::string_view topic,
                                               const std::vector<header>& hs);
  result<std::vector<header>> from_kafka(std::string_view topic,
                                         const std::vector<client::header>& hs);
};

}  // namespace runnel::connect
