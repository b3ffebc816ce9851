// The status of every connector and task (what GET …/status answers):
// in memory in standalone mode; in distributed mode also in
// status.storage.topic, Kafka Connect's format: key
// "status-connector-<name>" or "status-task-<name>-<id>", value
// {"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":5}
// (null: deleted). Of two writes for the same key, the one with the higher
// generation wins, so a worker that lost a task after a rebalance cannot
// overwrite its new owner's status.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/error.h"
#include "connect/runtime/state.h"
#include "runnel/client/config.h"

namespace runnel::connect {

class kafka_log;

class status_store {
 public:
  // topic empty: memory only.
  status_store(std::string topic = {}, int32_t partitions = 5, int16_t replication_factor = 3,
               client::client_config client = {});
  ~status_store();

  result<void> start();
  result<void> refresh(std::chrono::milliseconds timeout);

  void put_connector(const std::string& name, const status& s);
  void put_task(const task_id& id, const status& s);
  // Removes a deleted connector's statuses (tombstones).
  void remove_connector(const std::string& name, int32_t tasks);

  std::optional<status> connector(const std::string& name) const;
  std::optional<status> task(const task_id& id) const;
  std::vector<std::pair<int32_t, status>> tasks(const std::string& connector) const;

 private:
  void apply(const std::string& key, std::optional<status> s);
  void write(const std::string& key, const std::optional<status>& s);

  std::string topic_;
  int32_t partitions_;
  int16_t rf_;
  client::client_config client_;
  std::unique_ptr<kafka_log> log_;
  mutable std::mutex mu_;
  std::map<std::string, status> connectors_;
  std::map<task_id, status> tasks_;
};

std::string status_to_json(const status& s);
std::optional<status> status_from_json(std::string_view bytes);

}  // namespace runnel::connect
