// worker_task: one running task of a connector — its thread, its target
// state (started or paused), its stop request and what it reports (RUNNING,
// PAUSED, FAILED with the error). The source and sink runners
// (source_task_runner.h, sink_task_runner.h) are the two kinds.
//
// The owner (worker) calls start() once, then set_target() and
// request_stop() from any thread; join() waits for the thread to end. The
// thread holds a shared_ptr to its task, so a task that does not stop in
// time (a plugin stuck in a call) can be abandoned safely: it ends on its
// own, later.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "connect/api/config_def.h"
#include "connect/api/plugins.h"
#include "connect/runtime/connector_config.h"
#include "connect/runtime/state.h"
#include "connect/runtime/worker_config.h"

namespace runnel::connect {

class offset_store;

// What a task needs from the worker that runs it.
struct task_environment {
  const worker_config* worker = nullptr;
  const plugin_registry* plugins = nullptr;
  offset_store* offsets = nullptr;  // sources
  // Called on the task's thread when its state changes (trace: the error
  // of a failed task).
  std::function<void(run_state, const std::string& trace)> report;
};

// Counters a task keeps for status and metrics.
struct task_counters {
  std::atomic<int64_t> records{0};  // polled (sources) or put (sinks)
  std::atomic<int64_t> bytes{0};    // converted bytes sent or consumed
  std::atomic<int64_t> offset_commits{0};
  std::atomic<int64_t> offset_commit_failures{0};
};

class worker_task : public std::enable_shared_from_this<worker_task> {
 public:
  worker_task(task_id id, connector_config cc, config_map task_config, task_environment env);
  virtual ~worker_task();

  void start(target_state initial);
  void set_target(target_state t);
  // Asks the task to stop (and wakes a waiting poll); returns at once.
  void request_stop();
  // Waits for the thread; false if it is still running after `timeout`
  // (the task is then abandoned: it stops on its own later).
  bool join(std::chrono::milliseconds timeout);

  const task_id& id() const { return id_; }
  const config_map& task_config() const { return task_config_; }
  const connector_config& connector() const { return cc_; }
  const task_counters& counters() const { return counters_; }
  bool finished() const { return finished_.load(); }

 protected:
  // The task's thread: returns when stopping or failed.
  virtual void run() = 0;
  // From another thread, on request_stop and set_target: wake the thread.
  virtual void wake() {}

  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  // How long the worker still waits for this task to stop (its
  // task.shutdown.graceful.timeout.ms from request_stop()); `fallback` when
  // no stop was requested.
  std::chrono::milliseconds stop_time_left(std::chrono::milliseconds fallback) const;
  target_state target() const { return target_.load(std::memory_order_relaxed); }
  // Sleeps up to `d` unless stopped or the target changes.
  void wait_for(std::chrono::milliseconds d);
  void report(run_state s, const std::string& trace = {});
  void fail(const error& e);

  task_id id_;
  connector_config cc_;
  config_map task_config_;
  task_environment env_;
  task_counters counters_;
  std::atomic<bool> stopping_{false};

 private:
  std::atomic<target_state> target_{target_state::started};
  std::atomic<bool> finished_{false};
  // steady_clock ticks of request_stop(); 0: not requested.
  std::atomic<int64_t> stop_requested_at_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::promise<void> done_;
  std::shared_future<void> done_future_;
};

std::shared_ptr<worker_task> make_source_task_runner(task_id id, connector_config cc,
                                                     config_map task_config, task_environment env);
std::shared_ptr<worker_task> make_sink_task_runner(task_id id, connector_config cc,
                                                   config_map task_config, task_environment env);

}  // namespace runnel::connect
