// task_manager: the tasks of this member of the app's group, from the
// partitions a rebalance assigns to the offsets a commit writes.
//
//   assigned  -> a task per (sub-topology, partition) is created, its input
//                partitions paused;
//   open      -> after the poll, its stores are opened and the changelog
//                replays they need handed to the restorer;
//   restored  -> the restorer finished its last store (or it had none): the
//                operators are built, held records replayed, its partitions
//                resumed — it runs;
//   revoked   -> commit, then every task is closed; lost: closed only.
//
// commit() is the one commit path (src/stream/README.md). At-least-once:
// store caches out, the producer flushed, stores and checkpoints durable,
// then the input offsets. Exactly-once (exactly_once_v2): store caches out,
// the input offsets sent to the open transaction, the transaction
// committed and the next one begun; checkpoints only when closing.
//
// Owned by app::impl; stream thread only. on_assigned/on_revoked run inside
// the consumer's poll (its rebalance hook).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plan.h"
#include "restorer.h"
#include "runnel/client/consumer.h"
#include "runnel/stream/app.h"
#include "shared.h"
#include "task.h"

namespace runnel::stream::runtime {

class task_manager {
 public:
  task_manager(shared& s, client::consumer& consumer, client::consumer restore_consumer);

  // ---- rebalances (inside the consumer's poll) ----
  void on_assigned(const std::vector<client::topic_partition>& partitions);
  // Revoked in an orderly rebalance: commits first. Lost: another member
  // may own the partitions already, so nothing is committed.
  void on_revoked(bool lost);

  // ---- the poll loop ----
  // Opens the tasks assigned since the last call and takes one restore
  // step (waiting up to `restore_wait` for changelog records); tasks whose
  // stores are whole start. Errors are recorded in shared::fatal.
  void restore_step(std::chrono::milliseconds restore_wait);
  // A polled record: to its task, or held while the task is not running.
  void dispatch(const client::message_view& m);
  // Buffered records of multi-input tasks, then wall-clock punctuations.
  // Throws fatal_error.
  void process(std::chrono::steady_clock::time_point now, int64_t wall_ms);
  // The commit path; at-least-once, nothing to do without running tasks.
  // `closing`: the tasks are closed right after (shutdown, revoke), so
  // under exactly-once they write their checkpoints too.
  client::result<void> commit(bool closing);
  // Something to commit: processed since the last commit or, under
  // exactly-once, records sent (a wall-clock punctuation alone may send
  // some) that an open transaction must not hold past its timeout.
  bool commit_due() const { return dirty_ || (sh_.produced && exactly_once()); }
  // A commit the group refused because it has moved on without this member
  // (its session timed out while the coordinator was unreachable, say): the
  // partitions may be another member's now, so the offsets are not ours to
  // commit. It is not the app's failure: librdkafka rejoins and reports the
  // partitions lost, which closes the tasks; whoever gets them next
  // restores their state and reads from the last commit (at-least-once, as
  // Kafka Streams does after a TaskMigratedException). Logs a warning and
  // returns whether `e` was such a refusal.
  //
  // Under exactly-once such a refusal leaves the transaction to be aborted
  // and the stores holding its uncommitted writes; the app stops instead
  // (a restart wipes the stores and restores them, read_committed), so no
  // record counts twice. Kafka Streams aborts and rejoins in place: not yet.
  bool fenced(const client::error& e, std::string_view when) const;
  // A commit that failed on its way to the group coordinator (NOT_COORDINATOR
  // after the coordinator's broker died, a timeout) loses nothing under
  // at-least-once: the stores are flushed, the inputs' offsets stay
  // uncommitted, and the next commit interval tries again once librdkafka
  // has found the coordinator. As Kafka Streams' task.timeout.ms, it gives
  // up when commits have failed for 5 minutes in a row (a commit that
  // succeeds ends the row). Logs a warning and returns whether `e` is to be
  // retried; never under exactly-once.
  bool retry_later(const client::error& e, std::chrono::steady_clock::time_point now);

  // Closes every task (no commit) and the restorer.
  void close();

  bool has_partitions() const { return !tasks_.empty(); }
  // Some task is not running yet (opening or restoring).
  bool restoring() const;
  uint64_t commits() const { return commits_; }
  std::vector<task_metrics> task_metrics_now(bool with_lag);
  std::vector<runnel::stream::restore_progress> restore_progress_now() const {
    return restorer_.progress();
  }
  // Size and entries of the running tasks' stores.
  std::vector<store_stat> store_stats_now() const;

 private:
  enum class phase { assigned, restoring, running };
  struct entry {
    std::unique_ptr<task> t;
    phase at = phase::assigned;
    std::vector<client::topic_partition> partitions;  // its inputs, paused until it runs
  };
  // A record that arrived for a task not running yet: kept until it runs.
  struct held_message {
    std::string topic;
    int32_t partition;
    int64_t offset, timestamp;
    std::optional<std::string> key, value;
  };
  using task_key = std::pair<int, int32_t>;  // (sub-topology, partition)

  bool exactly_once() const {
    return sh_.config.guarantee == processing_guarantee::exactly_once_v2;
  }
  client::result<void> commit_transaction(bool closing);
  void open_assigned();
  void start(task_key key, entry& e);
  void purge_repartition_topics(const std::vector<client::topic_partition_offset>& committed);

  shared& sh_;
  client::consumer& consumer_;
  restorer restorer_;
  std::map<task_key, entry> tasks_;
  std::map<std::string, task_key> by_id_;
  std::map<std::pair<std::string, int32_t>, task_key> by_partition_;
  // The last by_partition_ hit: a poll's records come in runs of one
  // partition, and the lookup would build a std::string per record.
  std::string last_topic_;
  int32_t last_partition_ = -1;
  entry* last_ = nullptr;
  std::vector<held_message> held_;
  std::set<std::string> internal_inputs_;  // repartition topics, full names
  std::chrono::steady_clock::time_point last_purge_ = std::chrono::steady_clock::now();
  bool dirty_ = false;  // processed something since the last commit
  // Since when commits have failed with a transient error, in a row.
  std::optional<std::chrono::steady_clock::time_point> commit_failing_since_;
  uint64_t commits_ = 0;
};

}  // namespace runnel::stream::runtime
