// Connector configs, task configs and target states: in memory in
// standalone mode; in distributed mode in config.storage.topic (one
// partition, compacted), Kafka Connect's records:
//
//   connector-<name>          {"properties": {…}}          (null: deleted)
//   task-<name>-<n>           {"properties": {…}}          applied only when
//   commit-<name>             {"tasks": N}                 its commit follows
//   target-state-<name>       {"state": "PAUSED", "state.v2": "STOPPED"}
//   restart-connector-<name>  {"include-tasks": true, "only-failed": false}
//   restart-task-<name>-<n>   {}                            (runnel's own)
//
// Every worker reads the whole topic and applies it in order, so all
// workers agree on the config once they have read to the same offset.
// Writes from any worker go straight to the topic; the store applies them
// as it reads them back (in standalone mode at once).
//
// Thread-safe; the listener runs on the thread that applied the change.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/api/error.h"
#include "connect/runtime/state.h"
#include "runnel/client/config.h"

namespace runnel::connect {

class kafka_log;

struct connector_snapshot {
  config_map config;
  target_state target = target_state::started;
  std::vector<config_map> tasks;  // the committed task configs
};

struct config_snapshot {
  int64_t offset = 0;  // how far the config log is applied
  std::map<std::string, connector_snapshot> connectors;

  const connector_snapshot* find(const std::string& name) const {
    auto it = connectors.find(name);
    return it == connectors.end() ? nullptr : &it->second;
  }
};

struct restart_request {
  std::string connector;
  bool include_tasks = false;
  bool only_failed = false;
  std::optional<int32_t> task;  // a single task's restart
};

struct config_event {
  enum class kind { connector, removed, tasks, target, restart };
  kind what = kind::connector;
  std::string connector;
  restart_request restart;
};

class config_store {
 public:
  // topic empty: memory only (standalone).
  explicit config_store(std::string topic = {}, int16_t replication_factor = 3,
                        client::client_config client = {});
  ~config_store();

  result<void> start();
  // Reads what other workers wrote (topic mode).
  result<void> refresh(std::chrono::milliseconds timeout);
  config_snapshot snapshot() const;
  void set_listener(std::function<void(const config_event&)> l);

  result<void> put_connector(const std::string& name, const config_map& c,
                             std::optional<target_state> initial = std::nullopt);
  result<void> remove_connector(const std::string& name);
  result<void> put_task_configs(const std::string& name, const std::vector<config_map>& tasks);
  result<void> put_target_state(const std::string& name, target_state t);
  result<void> put_restart(const restart_request& r);

  bool distributed() const { return !topic_.empty(); }

 private:
  struct pending_write {
    std::string key;
    std::optional<std::string> value;
  };
  result<void> write(std::vector<pending_write> records);
  void apply(std::string_view key, std::optional<std::string_view> value);

  std::string topic_;
  int16_t rf_;
  client::client_config client_;
  std::unique_ptr<kafka_log> log_;
  mutable std::mutex mu_;
  config_snapshot snap_;
  // Task configs read but not yet committed, by connector.
  std::map<std::string, std::map<int32_t, config_map>> pending_tasks_;
  // Target states of connectors whose config has not come yet.
  std::map<std::string, target_state> early_targets_;
  std::function<void(const config_event&)> listener_;
};

}  // namespace runnel::connect
