// The broker's topic metadata: names, ids, partition counts and config
// overrides, persisted in <data_dir>/meta/topics.json (docs/format/metadata.md).
//
// Readers on any shard take an immutable snapshot (no lock on the data
// path); writers (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
// auto-creation) are serialised by a mutex, persist the new state durably and
// then publish it. Writers block on fsync: call them off the shards' event
// loops.
//
// The file is replaced atomically (write_file_atomically), so a crash leaves
// the old or the new version. A file that still does not parse (a torn
// write on a file system without atomic rename, a damaged disk) fails
// load() with broker_errc::damaged_metadata: starting with fewer topics
// would hide their logs and let auto-creation overwrite them.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "broker/metrics.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"
#include "model/result.h"
#include "storage/file_system.h"
#include "storage/log_config.h"

namespace runnel::broker {

struct topic_info {
  std::string name;
  kafka::uuid id{};
  int32_t partitions = 0;
  std::map<std::string, std::string> overrides;  // Kafka-named topic configs
  storage::log_config config;                    // defaults + overrides
  // Records and bytes in and out (metrics.h); shared by the topic's later
  // versions (configs, partitions), gone with the topic.
  std::shared_ptr<topic_io> io;
};

using topic_map = std::map<std::string, std::shared_ptr<const topic_info>, std::less<>>;

// Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);

class topic_registry {
 public:
  topic_registry(storage::file_system& fs, std::filesystem::path data_dir,
                 storage::log_config defaults);

  // Loads meta/topics.json (an empty registry if it does not exist).
  result<void> load();

  std::shared_ptr<const topic_map> snapshot() const { return std::atomic_load(&topics_); }
  std::shared_ptr<const topic_info> find(std::string_view name) const;
  const storage::log_config& defaults() const { return defaults_; }

  struct create_result {
    kafka::error_code error = kafka::error_code::none;
    std::string message;
    std::shared_ptr<const topic_info> topic;
    int32_t previous_partitions = 0;  // add_partitions: the count it grew from
  };
  // Validates and (unless validate_only) records a new topic durably.
  create_result create(const std::string& name, int32_t partitions,
                       const std::map<std::string, std::string>& overrides,
                       bool validate_only = false);
  // Removes a topic from the metadata durably; returns it (nullptr if absent).
  std::shared_ptr<const topic_info> remove(const std::string& name);
  // Grows a topic to `count` partitions.
  create_result add_partitions(const std::string& name, int32_t count, bool validate_only);
  // Replaces (incremental = false) or patches the overrides; nullopt values delete.
  create_result alter_configs(const std::string& name,
                              const std::map<std::string, std::optional<std::string>>& changes,
                              bool incremental, bool validate_only);

 private:
  result<void> persist(const topic_map& m);
  // Writes `current` with `info` added or replaced, then publishes it; on a
  // write failure returns `r` with KAFKA_STORAGE_ERROR and nothing changed.
  // Called with write_mu_ held.
  create_result commit(const topic_map& current, std::shared_ptr<const topic_info> info,
                       create_result r);
  void publish(topic_map m);

  storage::file_system& fs_;
  std::filesystem::path dir_;
  storage::log_config defaults_;
  std::mutex write_mu_;
  std::shared_ptr<const topic_map> topics_;
};

std::string uuid_to_string(const kafka::uuid& u);

}  // namespace runnel::broker
