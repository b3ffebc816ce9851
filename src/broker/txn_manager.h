// txn_manager: the transaction coordinator for the transactional ids of one
// shard, i.e. those whose __transaction_state partition that shard owns
// (txn_coordinator.h maps an id to its shard).
//
// It follows Kafka's TransactionCoordinator: InitProducerId with a
// transactional.id (epoch bumps, fencing of an older instance by aborting
// its open transaction with a newer epoch, KIP-360 retries), AddPartitionsToTxn,
// AddOffsetsToTxn (the group's __consumer_offsets partition joins the
// transaction), EndTxn, DescribeTransactions and ListTransactions, the
// proactive abort of transactions older than their transaction.timeout.ms,
// and the expiry of ids idle for transactional.id.expiration.ms. States are
// Kafka's (txn_format::txn_state). Every transition is written to
// __transaction_state and fsynced before the client hears of it; commit and
// abort markers (txn_markers.h) are written only after the PrepareCommit /
// PrepareAbort record is durable, and the CompleteCommit / CompleteAbort
// record only after the markers are, so that start-up, finding a prepared
// transaction, writes its markers again and never leaves it hanging.
//
// Partitions learn which producers' ongoing transactions include them
// (partition::txn_producers, pushed by AddPartitionsToTxn before it answers
// and cleared by the markers); a transactional batch for any other partition
// is refused there (KIP-890 part 1's server-side defence).
//
// Threading: every member function runs on the owning shard's thread; no
// locks. Requests reach it with
//   co_await asio::co_spawn(shard.context(), mgr.end_txn(args), use_awaitable)
// The coroutines take arguments by value and re-find their transaction after
// each suspension. While one writes a transition, the transaction is
// `pending` and other requests for it get CONCURRENT_TRANSACTIONS (clients
// retry), as Kafka's pendingTransitionInProgress.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/txn_format.h"
#include "kafka/error_code.h"
#include "kafka/messages/describe_transactions.h"
#include "kafka/messages/list_transactions.h"

namespace runnel::broker {

class server;
class shard;

struct init_pid_outcome {
  kafka::error_code error = kafka::error_code::none;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

// One partition named by a transaction request.
struct txn_partition {
  std::string topic;
  int32_t partition = 0;
};

using described_txn = kafka::describe_transactions_response::transaction_state;
using listed_txn = kafka::list_transactions_response::listed_transaction;

class txn_manager {
 public:
  // `log_partitions`: the partition count of __transaction_state.
  txn_manager(server& srv, shard& sh, int32_t log_partitions);
  ~txn_manager();
  txn_manager(const txn_manager&) = delete;
  txn_manager& operator=(const txn_manager&) = delete;

  // Start-up, before the shard runs: one record of this shard's
  // __transaction_state partitions, in log order; then finish_load() once.
  void replay(std::span<const std::byte> key, std::optional<std::span<const std::byte>> value,
              int64_t offset);
  void finish_load();
  // On the shard, once every shard runs: tells partitions about the
  // ongoing transactions, completes the prepared ones (a crash between
  // PrepareCommit and CompleteCommit), and starts the timer that aborts
  // timed-out transactions and expires idle ids.
  boost::asio::awaitable<void> start();
  // Broker shutdown: stops the timer and refuses new work.
  void shutdown();

  boost::asio::awaitable<init_pid_outcome> init_producer_id(std::string id, int32_t timeout_ms,
                                                            int64_t expected_pid,
                                                            int16_t expected_epoch);
  // One error for all the partitions (the request's are known to exist).
  boost::asio::awaitable<kafka::error_code> add_partitions(std::string id, int64_t pid,
                                                           int16_t epoch,
                                                           std::vector<txn_partition> parts);
  boost::asio::awaitable<kafka::error_code> end_txn(std::string id, int64_t pid, int16_t epoch,
                                                    bool commit);
  boost::asio::awaitable<std::vector<described_txn>> describe(std::vector<std::string> ids);
  // Empty filters: everything.
  boost::asio::awaitable<std::vector<listed_txn>> list(std::vector<txn_format::txn_state> states,
                                                       std::vector<int64_t> producer_ids);

  size_t size() const { return txns_.size(); }

 private:
  struct txn {
    std::string id;
    txn_format::txn_value v;  // as last written (or being written, if pending)
    bool pending = false;     // a transition or its markers are in flight
    bool fencing = false;     // shown as PrepareEpochFence meanwhile
  };

  txn* find(const std::string& id);
  // Writes v (nullopt: a tombstone) to the id's partition; waits for the
  // fsync if `durable`.
  boost::asio::awaitable<kafka::error_code> write(std::string id,
                                                  std::optional<txn_format::txn_value> v,
                                                  bool durable);
  // A prepared transaction: markers, then the Complete record.
  boost::asio::awaitable<kafka::error_code> complete(std::string id);
  // Fences the current epoch and aborts the ongoing transaction with the
  // new one (a newer producer instance, or a timeout).
  boost::asio::awaitable<kafka::error_code> fence_and_abort(std::string id);
  // Tells each partition of `parts` that the producer's transaction includes it.
  boost::asio::awaitable<void> allow(int64_t pid, int16_t epoch, txn_format::partition_set parts);
  boost::asio::awaitable<void> timed_abort(std::string id);
  boost::asio::awaitable<void> retry_complete(std::string id);
  boost::asio::awaitable<void> expire(std::string id, int64_t last_update_ms);
  void arm_timer();
  void on_timer();

  server& srv_;
  shard& sh_;
  int32_t partitions_;
  std::unordered_map<std::string, std::unique_ptr<txn>> txns_;
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
};

}  // namespace runnel::broker
