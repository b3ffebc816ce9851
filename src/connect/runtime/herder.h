// herder: the worker's brain (Kafka Connect's Herder). It owns the stores
// (config, status, offsets), the worker, and — in distributed mode — the
// group membership; its thread keeps what this worker runs in step with
// the config and the assignment; its methods are what the REST API calls.
//
// Standalone mode (no membership): configs in memory, every connector and
// task runs here, offsets in a file (or offset.storage.topic).
// Distributed mode: configs, statuses and offsets in compacted topics;
// the group's leader assigns connectors and tasks (eager protocol: every
// member stops its work before rejoining, so a task never runs twice).
//
// Thread-safety: the public methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connect/api/plugins.h"
#include "connect/runtime/config_store.h"
#include "connect/runtime/membership.h"
#include "connect/runtime/offset_store.h"
#include "connect/runtime/status_store.h"
#include "connect/runtime/worker.h"
#include "connect/runtime/worker_config.h"
#include "runnel/client/admin.h"

namespace runnel::connect {

struct connector_info {
  std::string name;
  config_map config;
  std::vector<task_id> tasks;
  connector_type type = connector_type::unknown;
};

struct connector_state_info {
  std::string name;
  status connector;
  std::vector<std::pair<int32_t, status>> tasks;
  connector_type type = connector_type::unknown;
};

struct task_info {
  task_id id;
  config_map config;
};

class herder {
 public:
  // Standalone: `member` null. The stores are started by start().
  herder(worker_config cfg, const plugin_registry& plugins, std::unique_ptr<offset_store> offsets,
         std::unique_ptr<config_store> configs, std::unique_ptr<status_store> statuses,
         std::unique_ptr<membership> member);
  ~herder();

  result<void> start();
  void stop();

  const worker_config& config() const { return cfg_; }
  const plugin_registry& plugins() const { return plugins_; }
  bool distributed() const { return member_ != nullptr; }
  std::string kafka_cluster_id();

  // The REST API's operations.
  std::vector<std::string> connectors();
  result<connector_info> info(const std::string& name);
  result<config_map> connector_config(const std::string& name);
  // Creates (created=true) or replaces a connector's config; refuses an
  // invalid config (errc::bad_request with Kafka's sentence) and, when
  // !allow_replace, an existing name (errc::conflict).
  struct put_result {
    connector_info info;
    bool created = false;
  };
  result<put_result> put_connector(const std::string& name, config_map config, bool allow_replace,
                                   std::optional<target_state> initial = std::nullopt);
  result<void> delete_connector(const std::string& name);
  result<std::vector<task_info>> task_configs(const std::string& name);
  result<connector_state_info> connector_status(const std::string& name);
  result<status> task_status(const task_id& id);
  result<void> set_target(const std::string& name, target_state t);
  // Restarts the connector (and its tasks, or only the failed ones); the
  // answer shows what will restart as RESTARTING.
  result<connector_state_info> restart(const std::string& name, bool include_tasks,
                                       bool only_failed);
  result<void> restart_task(const task_id& id);
  result<data> offsets(const std::string& name);
  // KIP-875: alter (entries with offsets) or reset (all, nullopt body); the
  // connector must be STOPPED. Returns the message of Kafka's answer.
  result<std::string> alter_offsets(const std::string& name, const data& body);
  result<std::string> reset_offsets(const std::string& name);
  data validate(const config_map& config);

  // For tests and metrics.
  worker& local_worker() { return *worker_; }

 private:
  void run();
  void tick();
  void rebalance();
  void reconcile(const config_snapshot& snap, std::vector<restart_request> restarts);
  void wake();
  bool owns_connector(const std::string& name, const config_snapshot& snap) const;
  std::set<task_id> owned_tasks(const config_snapshot& snap) const;
  result<void> refresh_configs();
  connector_type type_of(const config_map& config) const;
  std::string sink_group(const std::string& name, const config_map& config) const;
  client::admin* admin();

  worker_config cfg_;
  const plugin_registry& plugins_;
  std::unique_ptr<offset_store> offsets_;
  std::unique_ptr<config_store> configs_;
  std::unique_ptr<status_store> statuses_;
  std::unique_ptr<membership> member_;
  std::unique_ptr<worker> worker_;
  std::optional<client::admin> admin_;
  std::mutex admin_mu_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::vector<restart_request> restarts_;

  // Herder thread only.
  std::optional<work_assignment> assignment_;
  std::map<std::string, size_t> assigned_shape_;     // connector → task count, at assignment
  std::map<std::string, config_map> generated_for_;  // the config tasks were generated from
};

}  // namespace runnel::connect
