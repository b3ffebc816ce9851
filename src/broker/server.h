// The broker process: shards, the I/O pool, the listener, topic metadata.
//
// Threads: one per shard (each runs its io_context), a small pool for
// blocking work (fsync, open, unlink, metadata writes), and the caller of
// run(), which only waits for a signal. Connections are accepted on shard 0
// and handed round-robin to the shards; a connection lives on one shard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/broker_config.h"
#include "broker/producer_ids.h"
#include "broker/shard.h"
#include "broker/topic_registry.h"
#include "model/result.h"
#include "storage/file_system.h"

namespace runnel::broker {

class group_coordinator;
class txn_coordinator;

struct creation_result_t {
  topic_registry::create_result res;
  std::vector<std::unique_ptr<partition>> parts;
};

class server {
 public:
  // Every file the broker touches (logs, metadata, the data-directory lock)
  // goes through `fs` (DESIGN.md decision 6); tests pass a
  // fault_file_system. `fs` must outlive the server.
  explicit server(broker_config cfg, storage::file_system& fs = storage::posix_file_system());
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Takes the data directory's lock (data_dir_lock.h), binds the listener
  // (so a taken port fails at once, not after recovery), loads metadata,
  // opens every partition (recovering after a crash) and starts the shards.
  // Errors are start-up failures, logged with their reason. Also makes
  // SIGPIPE ignored process-wide if it still has its default action: a peer
  // that closes mid-response must cost its connection, never the process.
  result<void> start();
  // Blocks until SIGINT or SIGTERM, then shuts down cleanly.
  void run_until_signal();
  // Stops accepting, lets in-flight requests finish (bounded), flushes and
  // closes every log (writing the clean-shutdown checkpoint), stops threads.
  void shutdown();

  uint16_t port() const { return bound_port_; }
  const broker_config& config() const { return cfg_; }
  topic_registry& registry() { return registry_; }
  producer_ids& producer_id_allocator() { return producer_ids_; }
  // Consumer groups and committed offsets (group_coordinator.h).
  group_coordinator& groups() { return *groups_; }
  // Transactions (txn_coordinator.h).
  txn_coordinator& transactions() { return *txns_; }
  asio::thread_pool& io_pool() { return io_; }
  size_t shard_count() const { return shards_.size(); }
  shard& shard_at(size_t i) { return *shards_[i]; }
  // The shard that owns a partition (a fixed hash of topic and index).
  shard& owner(std::string_view topic, int32_t index);
  bool stopping() const { return stopping_.load(); }
  storage::file_system& fs() { return fs_; }

  // Creates a topic (metadata, then logs on their owners). Runs the blocking
  // parts on the io pool; the caller awaits from any shard.
  asio::awaitable<topic_registry::create_result> create_topic(
      std::string name, int32_t partitions, std::map<std::string, std::string> overrides,
      bool validate_only);
  // The blocking part of create_topic (io pool): metadata, then logs.
  std::shared_ptr<creation_result_t> create_on_io(
      const std::string& name, int32_t partitions,
      const std::map<std::string, std::string>& overrides, bool validate_only);
  // Deletes a topic: metadata, logs, files.
  asio::awaitable<kafka::error_code> delete_topic(std::string name);
  // Grows a topic to `count` partitions: metadata, then the new logs, opened
  // on the io pool and installed on their owners (topic_changes.cc).
  asio::awaitable<topic_registry::create_result> add_partitions(std::string name, int32_t count,
                                                                bool validate_only);
  // The blocking part of add_partitions (io pool).
  std::shared_ptr<creation_result_t> grow_on_io(const std::string& name, int32_t count,
                                                bool validate_only);
  // Changes a topic's config overrides durably (topic_registry::alter_configs),
  // then hands the new config to every partition's log on its owner.
  asio::awaitable<topic_registry::create_result> alter_topic_configs(
      std::string name, std::map<std::string, std::optional<std::string>> changes, bool incremental,
      bool validate_only);

  // Connections currently open, and requests being handled (shutdown waits
  // for the latter, not for idle connections).
  std::atomic<int64_t> open_connections{0};
  std::atomic<int64_t> requests_in_flight{0};

 private:
  asio::awaitable<void> accept_loop();
  result<void> listen();
  // Opens logs [from, to) of a topic. Blocking.
  result<std::vector<std::unique_ptr<partition>>> open_partitions(const topic_info& t, int32_t from,
                                                                  int32_t to);

  broker_config cfg_;
  storage::file_system& fs_;
  // Held from start() until shutdown() has closed every log.
  std::shared_ptr<storage::file> data_dir_lock_;
  topic_registry registry_;
  producer_ids producer_ids_;
  asio::thread_pool io_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  uint16_t bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  // The shards' threads run (start() got that far); shutdown() needs them.
  bool shards_started_ = false;
  size_t next_shard_ = 0;
  // Last: their timers live on the shards' io_contexts, so they go first.
  std::unique_ptr<group_coordinator> groups_;
  std::unique_ptr<txn_coordinator> txns_;
};

}  // namespace runnel::broker
