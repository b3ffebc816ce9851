// restorer: rebuilds state stores from their changelog partitions step by
// step, from the stream thread's poll loop (as Kafka Streams' changelog
// reader does), so that the app's group consumer keeps being polled however
// long a restore takes: a restore longer than max.poll.interval.ms no
// longer gets the member expelled from its group (which caused another
// rebalance and another restore).
//
// Each job replays one changelog partition into one store of one task, from
// a start offset (the task's checkpoint, or the beginning) to the end offset
// the partition had when the task opened. The restore consumer (assign-only,
// no group) reads all running jobs' partitions at once; a step applies what
// it has fetched, a bounded number of records. A task runs once all its jobs
// are done. Progress is logged when a job starts, every 10 s and when it
// ends, and kept for app::metrics().
//
// Owned by the task manager; stream thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app_observer.h"
#include "model/result.h"
#include "runnel/client/consumer.h"
#include "runnel/stream/app.h"

namespace runnel::stream::runtime {

// One changelog partition to replay into one store of one task.
struct restore_job {
  std::string task;  // the task's id
  std::string store;
  std::string topic;
  int32_t partition = 0;
  int64_t from = 0;  // replay [from, end)
  int64_t end = 0;
  // Applies one changelog record (value nullopt: a tombstone).
  std::function<result<void>(std::string_view key, std::optional<std::string_view> value)> apply;
};

class restorer {
 public:
  restorer(client::consumer consumer, std::string application_id);

  // Starts restoring `job` (its from < end).
  void add(restore_job job);
  // Forgets the jobs of `task` (its partitions were revoked or lost).
  void remove_task(const std::string& task);
  // True while some job of `task` is not done.
  bool restoring(const std::string& task) const;
  // True while some job is not done.
  bool active() const;

  // One step: waits up to `timeout` for fetched changelog records, applies
  // up to `max_records` of them, and returns the tasks whose last job
  // finished in this step. An error (a store write failed, a changelog
  // record cannot be applied, a partition made no progress for two
  // minutes, the consumer failed) stops the app.
  client::result<std::vector<std::string>> step(std::chrono::milliseconds timeout,
                                                size_t max_records);

  // Every job since its task was added: done or in progress.
  std::vector<runnel::stream::restore_progress> progress() const;

  client::result<void> close();

 private:
  struct job_state {
    restore_job job;
    int64_t position = 0;
    int64_t checked_position = 0;  // the position when progress was last seen
    uint64_t applied = 0;
    uint64_t applied_counted = 0;  // of `applied`, what meters.restored has
    bool done = false;
    restore_meters meters;  // the app's /metrics
    std::chrono::steady_clock::time_point started, last_progress, finished;
  };

  job_state* find(std::string_view topic, int32_t partition);
  client::result<void> reassign();
  void finish(job_state& j, std::vector<std::string>& finished_tasks);
  void log_progress();
  static void update_meters(job_state& j);

  client::consumer consumer_;
  std::string application_id_;
  std::vector<job_state> jobs_;
  bool assignment_stale_ = false;  // the set of running jobs changed since the last assign
  std::chrono::steady_clock::time_point last_log_;
};

}  // namespace runnel::stream::runtime
