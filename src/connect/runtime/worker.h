// worker: runs the connectors and tasks assigned to this process (Kafka
// Connect's Worker). Connector lifecycle calls (start, task_configs, stop)
// run on the caller's thread — the herder's; each task runs on a thread of
// its own (worker_task.h). Status changes go to the status store, stamped
// with this worker's id and the group generation.
//
// Thread-safety: the herder thread drives it; tasks report from their own
// threads; the accessors may be called from REST threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "connect/api/connector.h"
#include "connect/api/plugins.h"
#include "connect/runtime/offset_store.h"
#include "connect/runtime/state.h"
#include "connect/runtime/status_store.h"
#include "connect/runtime/worker_config.h"
#include "connect/runtime/worker_task.h"

namespace runnel::connect {

class worker {
 public:
  worker(worker_config cfg, const plugin_registry& plugins, offset_store* offsets,
         status_store& status);
  ~worker();

  const worker_config& config() const { return cfg_; }
  const plugin_registry& plugins() const { return plugins_; }
  std::string worker_id() const { return cfg_.worker_id(); }
  void set_generation(int32_t g) { generation_.store(g); }
  int32_t generation() const { return generation_.load(); }
  // Called from any thread when the herder should look again (a connector
  // asked for new task configs, or failed).
  void set_wakeup(std::function<void()> f) { wakeup_ = std::move(f); }

  // Connectors.
  result<void> start_connector(const std::string& name, const config_map& config, target_state t);
  void stop_connector(const std::string& name);
  void set_connector_target(const std::string& name, target_state t);
  bool running_connector(const std::string& name) const;
  std::optional<config_map> connector_config_of(const std::string& name) const;
  // Asks the connector for at most tasks.max task configs.
  result<std::vector<config_map>> task_configs(const std::string& name);
  // Whether the connector asked for new task configs since the last call.
  bool take_reconfiguration_request(const std::string& name);
  bool connector_failed(const std::string& name) const;
  std::vector<std::string> connectors() const;

  // Tasks.
  result<void> start_task(const task_id& id, const config_map& connector_config,
                          const config_map& task_config, target_state t);
  // Stops these tasks, all at once, each within task.shutdown.graceful.timeout.ms.
  void stop_tasks(const std::vector<task_id>& ids);
  void set_task_target(const task_id& id, target_state t);
  std::vector<task_id> tasks() const;
  std::optional<config_map> task_config_of(const task_id& id) const;
  // The connector config a task was started with.
  std::optional<config_map> task_connector_config_of(const task_id& id) const;
  bool task_failed(const task_id& id) const;
  // The running task objects (metrics, tests).
  std::vector<std::shared_ptr<worker_task>> task_objects() const;

  void stop_all();

 private:
  struct connector_slot;
  class connector_context_impl;
  void put_connector_status(const std::string& name, run_state s, const std::string& trace = {});

  worker_config cfg_;
  const plugin_registry& plugins_;
  offset_store* offsets_;
  status_store& status_;
  std::atomic<int32_t> generation_{0};
  std::function<void()> wakeup_;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<connector_slot>> connectors_;
  struct running_task {
    std::shared_ptr<worker_task> task;
    config_map connector_config;
    std::shared_ptr<std::atomic<bool>> failed;
  };
  std::map<task_id, running_task> tasks_;
};

}  // namespace runnel::connect
