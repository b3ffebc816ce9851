// A shard: one thread running one io_context, owning a set of partitions
// (DESIGN.md decision 4). A partition's log is touched only on its owner
// shard, so the data path takes no locks; work for another shard's partition
// hops there with co_spawn and the caller awaits it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/metrics.h"
#include "storage/partition_log.h"

namespace runnel::broker {

namespace asio = boost::asio;

// A long-polling fetch waiting for data. wake() runs on the timer's own
// executor (the fetch's shard) and may come before the fetch starts waiting
// (an append on one owner shard while the fetch still registers with
// another); `woken` keeps that wake-up, which a timer cancel alone would lose
// (the fetch would then sleep until its max_wait_ms).
struct data_waiter {
  explicit data_waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool woken = false;

  void wake() {
    woken = true;
    timer.cancel();
  }
};

// One partition as its owner shard holds it.
struct partition {
  std::string topic;
  int32_t index = 0;
  std::unique_ptr<storage::partition_log> log;  // also holds the producer state
  // Producers whose ongoing transaction includes this partition, with their
  // epoch: set by the transaction coordinator before AddPartitionsToTxn
  // answers, cleared by the transaction's marker (txn_markers.h). A
  // transactional batch is accepted only from these, or from a producer
  // whose transaction is already open in the log (KIP-890 part 1).
  std::unordered_map<int64_t, int16_t> txn_producers;
  std::shared_ptr<topic_io> io;  // the topic's traffic counters (metrics.h)
  // Long-polling fetches waiting for data: each is woken (on its own
  // executor) by the next append. Fetches that timed out leave expired
  // entries, pruned as new ones arrive.
  std::vector<std::weak_ptr<data_waiter>> data_waiters;

  void add_data_waiter(const std::shared_ptr<data_waiter>& w);
  void notify_data();
};

std::string partition_key(std::string_view topic, int32_t index);

class shard {
 public:
  shard(unsigned id, asio::thread_pool& io);
  ~shard();

  unsigned id() const { return id_; }
  asio::io_context& context() { return ctx_; }
  asio::io_context::executor_type executor() { return ctx_.get_executor(); }
  // Executors for partition logs owned here: blocking work on the io pool,
  // completions back on this shard.
  storage::log_executors log_executors();

  partition* find(std::string_view topic, int32_t index);
  void install(std::unique_ptr<partition> p);
  std::unique_ptr<partition> take(std::string_view topic, int32_t index);
  std::unordered_map<std::string, std::unique_ptr<partition>>& partitions() { return parts_; }

  void start();  // runs the thread
  void stop();   // stops the loop and joins

 private:
  void schedule_maintenance();

  unsigned id_;
  asio::thread_pool& io_;
  asio::io_context ctx_{1};
  std::unordered_map<std::string, std::unique_ptr<partition>> parts_;
  asio::steady_timer maintenance_;
  std::thread thread_;
};

}  // namespace runnel::broker
