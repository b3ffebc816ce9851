// service: a whole Connect worker in one object — the stores, the herder
// and the REST listener — as `runnel connect run` (standalone), `runnel
// connect distributed` and `runnel serve` (distributed, on its own broker)
// start it.
// The REST API is served by observe's admin server (rest/rest_api.h is the
// transport-free API), so the same port also answers /metrics, /health,
// /ready and /v1/loglevel.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connect/rest/rest_api.h"
#include "connect/runtime/herder.h"
#include "connect/runtime/worker_config.h"
#include "observe/admin_server.h"

namespace runnel::connect {

struct service_options {
  // Standalone: offsets in offset.storage.file.filename, or in
  // offset.storage.topic when set. Distributed: group.id and the three
  // topics (config/offset/status.storage.topic) are required.
  worker_config worker;
  bool distributed = false;
  // Serve the REST API on worker.rest_host:rest_port (port 0: any free one).
  bool rest = true;
};

class service {
 public:
  static result<std::unique_ptr<service>> start(service_options o);
  ~service();

  herder& connect_herder() { return *herder_; }
  // The REST listener's port (0 without REST).
  uint16_t rest_port() const;
  void stop();

 private:
  service() = default;
  std::unique_ptr<herder> herder_;
  std::unique_ptr<rest_api> api_;
  // api_ once the herder runs: read by the server's threads.
  std::atomic<rest_api*> serving_{nullptr};
  std::unique_ptr<observe::admin_server> server_;
};

// A connector config file: JSON as the REST API takes it ({"name": …,
// "config": {…}}, Kafka's standalone JSON files), a flat JSON object, or
// Java properties (Kafka's connector .properties files).
result<std::pair<std::string, config_map>> load_connector_file(const std::string& path);
// Java properties from a file (worker configs).
result<config_map> load_properties_file(const std::string& path);

}  // namespace runnel::connect
