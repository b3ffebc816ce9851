// service: a whole Connect worker in one object — the stores and the
// herder — as `runnel connect run` (standalone) starts it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connect/runtime/herder.h"
#include "connect/runtime/worker_config.h"

namespace runnel::connect {

struct service_options {
  // Standalone: offsets in offset.storage.file.filename, or in
  // offset.storage.topic when set.
  worker_config worker;
};

class service {
 public:
  static result<std::unique_ptr<service>> start(service_options o);
  ~service();

  herder& connect_herder() { return *herder_; }
  void stop();

 private:
  service() = default;
  std::unique_ptr<herder> herder_;
};

// A connector config file: JSON as the REST API takes it ({"name": …,
// "config": {…}}, Kafka's standalone JSON files), a flat JSON object, or
// Java properties (Kafka's connector .properties files).
result<std::pair<std::string, config_map>> load_connector_file(const std::string& path);
// Java properties from a file (worker configs).
result<config_map> load_properties_file(const std::string& path);

}  // namespace runnel::connect
