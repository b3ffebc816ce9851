#include "connect/runtime/worker_task.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "connect/runtime/error_handler.h"

namespace runnel::connect {

worker_task::worker_task(task_id id, connector_config cc, config_map task_config,
                         task_environment env)
    : id_(std::move(id)),
      cc_(std::move(cc)),
      task_config_(std::move(task_config)),
      env_(std::move(env)) {}

worker_task::~worker_task() = default;

void worker_task::start(target_state initial) {
  target_.store(initial);
  done_future_ = done_.get_future().share();
  std::thread([self = shared_from_this()] {
    self->run();
    self->finished_.store(true);
    self->done_.set_value();
  }).detach();
}

void worker_task::set_target(target_state t) {
  {
    std::lock_guard lock(mu_);
    target_.store(t);
  }
  cv_.notify_all();
  wake();
}

void worker_task::request_stop() {
  int64_t expected = 0;
  stop_requested_at_.compare_exchange_strong(
      expected, std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::lock_guard lock(mu_);
    stopping_.store(true);
  }
  cv_.notify_all();
  wake();
}

bool worker_task::join(std::chrono::milliseconds timeout) {
  if (!done_future_.valid()) return true;
  if (done_future_.wait_for(timeout) != std::future_status::ready) {
    spdlog::warn("connect: task {} did not stop within {} ms; abandoning it", id_.str(),
                 timeout.count());
    return false;
  }
  return true;
}

std::chrono::milliseconds worker_task::stop_time_left(std::chrono::milliseconds fallback) const {
  const auto at = stop_requested_at_.load();
  if (at == 0 || !env_.worker) return fallback;
  const auto deadline =
      std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(at)) +
      std::chrono::milliseconds(env_.worker->task_shutdown_timeout_ms);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), fallback);
}

void worker_task::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  const auto t = target_.load();
  cv_.wait_for(lock, d, [&] { return stopping_.load() || target_.load() != t; });
}

void worker_task::report(run_state s, const std::string& trace) {
  if (env_.report) env_.report(s, trace);
}

void worker_task::fail(const error& e) {
  spdlog::error("connect: task {} failed: {}", id_.str(), e.message);
  report(run_state::failed, error_trace(e));
}

}  // namespace runnel::connect
