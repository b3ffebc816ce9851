// app: runs a topology as a member of a Kafka consumer group named by the
// application id. Every process started with the same application id and
// topology shares the input partitions; a process that stops or dies has
// its tasks (and, restored from changelog topics, their state) taken over
// by the others.
//
//   runnel::stream::app_config c;
//   c.application_id = "page-visits";
//   c.brokers = "127.0.0.1:9092";
//   runnel::stream::app app(b.build(), c);
//   if (auto r = app.run(); !r) { fmt::print(stderr, "{}\n", r.error().message); return 1; }
//
// Processing is at-least-once by default: every commit interval (and on
// shutdown and before giving partitions away) the app flushes its state
// stores, waits until every produced record — results and changelogs — is
// acknowledged, and only then commits the input offsets. After a crash,
// records since the last commit are processed again; nothing is lost.
//
// With processing_guarantee::exactly_once_v2 (Kafka Streams' KIP-447 model)
// the app's one producer is transactional: the results, the changelog
// records and the input offsets of a commit interval are one transaction,
// so read_committed readers see each input record's effects exactly once,
// even across kill -9. The cost is a transaction per commit interval and,
// after an unclean stop, local state rebuilt from the changelogs (see
// docs/stream/README.md, "Exactly-once").
//
// Thread-safety: run() on one thread; stop(), metrics(), state() and
// admin_port() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/client/error.h"
#include "runnel/stream/builder.h"

namespace runnel::stream {

enum class error_policy {
  fail,          // stop the app (uncommitted: the record is read again on restart)
  log_and_skip,  // log, count, send to the dead-letter topic if set, go on
};

enum class processing_guarantee {
  at_least_once,    // commit = flush, then commit offsets; a crash repeats work
  exactly_once_v2,  // commit = one transaction of outputs, changelogs and offsets
};

struct app_config {
  // The consumer group, the prefix of internal topics, and the state
  // directory's name. Required.
  std::string application_id;
  std::string brokers = "127.0.0.1:9092";
  // Where tasks keep their RocksDB stores: <state_dir>/<application_id>/<task>/<store>.
  std::filesystem::path state_dir = std::filesystem::temp_directory_path() / "runnel-streams";
  // Kafka Streams' processing.guarantee. exactly_once_v2 needs a broker
  // with transactions (runnel, Kafka 2.5+, Redpanda) and makes every commit
  // a transaction; read the outputs with isolation.level=read_committed.
  processing_guarantee guarantee = processing_guarantee::at_least_once;
  // How often progress is committed (Kafka Streams' commit.interval.ms).
  // Unset: 1000 ms at-least-once; 100 ms exactly-once, as Kafka Streams,
  // because read_committed readers see results only when their transaction
  // commits, so the interval is the output's added latency (a shorter one
  // costs more transactions: docs/benchmarks.md).
  std::optional<std::chrono::milliseconds> commit_interval;
  // A task with several input partitions processes the buffered record with
  // the smallest timestamp first. With 0 it never waits for an empty
  // partition; with N > 0 it waits up to N ms for an input partition that has
  // no buffered record before going on without it (max.task.idle.ms).
  std::chrono::milliseconds max_task_idle{0};
  // Static group membership (Kafka's group.instance.id): a process that
  // restarts with the same id within the session timeout gets its tasks
  // back without a rebalance, and a crash does not move its tasks until the
  // session times out. Give each process of the app its own id; empty: off.
  std::string group_instance_id;
  // Where sources start when the group has no committed offset.
  std::string auto_offset_reset = "earliest";
  // Records that cannot be deserialised, or that user code throws on.
  error_policy on_error = error_policy::fail;
  // Receives skipped and late records (with headers saying why), if set.
  std::string dead_letter_topic;
  // Partitions of internal topics are derived from the inputs; replication
  // is the broker's default unless set.
  int16_t replication_factor = -1;
  // Bytes each cached state store (tumbling and hopping window aggregates)
  // may hold in its write cache: updates of the same entry between commits
  // reach RocksDB and the changelog once (Kafka Streams'
  // statestore.cache.max.bytes, here per store). 0 turns the caches off.
  size_t cache_max_bytes = size_t{8} << 20;
  // Records taken per poll.
  size_t max_poll_records = 10000;
  // Logs each task's metrics at this interval (0: never).
  std::chrono::milliseconds metrics_log_interval{0};
  // "HOST:PORT" of an admin HTTP server to start with run(): Prometheus
  // metrics of the app and the process at /metrics, /health (200 unless the
  // app failed), /ready (200 while running: not starting, restoring or
  // rebalancing) and the log level at /v1/loglevel (docs/monitoring.md).
  // Port 0 takes any free port (admin_port() tells which). Empty: none.
  std::string admin_listen;
  // SIGTERM and SIGINT stop run() cleanly (commit, leave the group).
  bool handle_signals = true;
  // Extra librdkafka properties for the app's consumer, producer and admin
  // client (security.protocol, session.timeout.ms, ...).
  std::vector<std::pair<std::string, std::string>> client_properties;
};

struct task_metrics {
  std::string task;  // "<sub-topology>_<partition>", as Kafka Streams names tasks
  uint64_t records_in = 0;
  uint64_t records_out = 0;  // produced to sink and repartition topics
  uint64_t late_records = 0;
  uint64_t skipped_records = 0;
  int64_t lag = -1;  // records behind the inputs' ends at the last check; -1 unknown
  // Time from a record's arrival at the task to the end of its processing,
  // measured on one record in 16.
  double process_latency_avg_us = 0;
  double process_latency_max_us = 0;
  int64_t stream_time = INT64_MIN;
};

// One state store of a task being rebuilt from its changelog partition
// before the task processes records (Kafka Streams' restoration). The app
// restores step by step between polls of its consumer, so a long restore
// never makes it miss max.poll.interval.ms and fall out of the group.
struct restore_progress {
  std::string task;       // "<sub-topology>_<partition>"
  std::string store;      // the store's name
  std::string changelog;  // its changelog topic; the partition is the task's
  int32_t partition = 0;
  int64_t start_offset = 0;  // where the restore began (the checkpoint, or the start)
  int64_t end_offset = 0;    // the changelog's end when the task opened: done there
  int64_t position = 0;      // the next changelog offset to apply
  uint64_t records_restored = 0;
  int64_t duration_ms = 0;  // so far, or in all once done
  bool done = false;
};

struct app_metrics {
  std::vector<task_metrics> tasks;
  uint64_t commits = 0;
  uint64_t rebalances = 0;
  // The restores since the last rebalance: those in progress and those
  // done (the tasks of this member that had anything to restore).
  std::vector<restore_progress> restores;
};

// restoring: partitions are assigned and some task is still restoring its
// stores (metrics().restores says how far); running: every task processes.
enum class app_state { created, starting, restoring, running, stopping, stopped, failed };

class app {
 public:
  app(topology t, app_config c);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  // Creates the internal topics, joins the group and processes until stop()
  // or a signal (then commits and leaves cleanly), or a fatal error, which
  // it returns.
  client::result<void> run();
  // Asks run() to finish; returns at once.
  void stop();

  // A snapshot taken by the stream thread about once a second, and when a
  // restore starts or ends.
  app_metrics metrics() const;
  app_state state() const;
  // The admin server's port once run() started it (app_config::admin_listen), else 0.
  uint16_t admin_port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::stream
