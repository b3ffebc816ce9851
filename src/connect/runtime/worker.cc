#include "connect/runtime/worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/runtime/connector_config.h"
#include "connect/runtime/error_handler.h"

namespace runnel::connect {

class worker::connector_context_impl final : public connector_context {
 public:
  connector_context_impl(worker& w, std::string name, bool source)
      : w_(w), name_(std::move(name)), reader_(w.offsets_, name_, source) {}

  void request_task_reconfiguration() override {
    reconfigure.store(true);
    if (w_.wakeup_) w_.wakeup_();
  }
  void raise_error(const error& e) override {
    failed.store(true);
    spdlog::error("connect: connector {} failed: {}", name_, e.message);
    w_.put_connector_status(name_, run_state::failed, error_trace(e));
    if (w_.wakeup_) w_.wakeup_();
  }
  offset_reader* offsets() override { return reader_.source ? &reader_ : nullptr; }

  std::atomic<bool> reconfigure{false};
  std::atomic<bool> failed{false};

 private:
  struct reader final : offset_reader {
    reader(offset_store* s, std::string c, bool src) : s(s), connector(std::move(c)), source(src) {}
    std::optional<data> offset(const data& p) override {
      return s ? s->get(connector, p) : std::nullopt;
    }
    offset_store* s;
    std::string connector;
    bool source;
  };
  worker& w_;
  std::string name_;
  reader reader_;
};

struct worker::connector_slot {
  config_map config;
  std::unique_ptr<connector> instance;
  std::unique_ptr<connector_context_impl> ctx;
  target_state target = target_state::started;
  int32_t tasks_max = 1;
  bool enforce = true;
};

worker::worker(worker_config cfg, const plugin_registry& plugins, offset_store* offsets,
               status_store& status)
    : cfg_(std::move(cfg)), plugins_(plugins), offsets_(offsets), status_(status) {}

worker::~worker() {
  stop_all();
}

void worker::put_connector_status(const std::string& name, run_state s, const std::string& trace) {
  status_.put_connector(name, {s, trace, worker_id(), generation()});
}

result<void> worker::start_connector(const std::string& name, const config_map& config,
                                     target_state t) {
  stop_connector(name);
  auto fail = [&](const error& e) -> result<void> {
    spdlog::error("connect: connector {} failed to start: {}", name, e.message);
    put_connector_status(name, run_state::failed, error_trace(e));
    return e;
  };
  auto cc = connector_config::parse(config, plugins_);
  if (!cc) return fail(cc.error());
  auto inst = plugins_.new_connector(cc.value().connector_class);
  if (!inst) return fail(inst.error());
  auto rc = std::make_unique<connector_slot>();
  rc->config = config;
  rc->instance = std::move(inst).value();
  rc->ctx = std::make_unique<connector_context_impl>(*this, name,
                                                     cc.value().type == connector_type::source);
  rc->target = t;
  rc->tasks_max = cc.value().tasks_max;
  rc->enforce = cc.value().tasks_max_enforce;
  if (t != target_state::stopped) {
    if (auto r = rc->instance->start(config, *rc->ctx); !r) {
      rc->instance->stop();
      return fail(r.error());
    }
  }
  put_connector_status(name, t == target_state::started  ? run_state::running
                             : t == target_state::paused ? run_state::paused
                                                         : run_state::stopped);
  std::lock_guard lock(mu_);
  connectors_[name] = std::move(rc);
  return ok();
}

void worker::stop_connector(const std::string& name) {
  std::unique_ptr<connector_slot> rc;
  {
    std::lock_guard lock(mu_);
    auto it = connectors_.find(name);
    if (it == connectors_.end()) return;
    rc = std::move(it->second);
    connectors_.erase(it);
  }
  if (rc->target != target_state::stopped) rc->instance->stop();
}

void worker::set_connector_target(const std::string& name, target_state t) {
  std::unique_lock lock(mu_);
  auto it = connectors_.find(name);
  if (it == connectors_.end() || it->second->target == t) return;
  auto& rc = *it->second;
  const bool was_stopped = rc.target == target_state::stopped;
  rc.target = t;
  const bool failed = rc.ctx->failed.load();
  lock.unlock();
  if (t == target_state::stopped && !was_stopped) {
    rc.instance->stop();
  } else if (was_stopped && t != target_state::stopped) {
    if (auto r = rc.instance->start(rc.config, *rc.ctx); !r) {
      put_connector_status(name, run_state::failed, error_trace(r.error()));
      return;
    }
  }
  if (!failed)
    put_connector_status(name, t == target_state::started  ? run_state::running
                               : t == target_state::paused ? run_state::paused
                                                           : run_state::stopped);
}

bool worker::running_connector(const std::string& name) const {
  std::lock_guard lock(mu_);
  return connectors_.count(name) > 0;
}

std::optional<config_map> worker::connector_config_of(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return std::nullopt;
  return it->second->config;
}

result<std::vector<config_map>> worker::task_configs(const std::string& name) {
  connector* c = nullptr;
  int32_t max = 1;
  bool enforce = true;
  {
    std::lock_guard lock(mu_);
    auto it = connectors_.find(name);
    if (it == connectors_.end())
      return make_error(errc::not_found, "connector " + name + " is not running here");
    if (it->second->target == target_state::stopped) return std::vector<config_map>{};
    c = it->second->instance.get();
    max = it->second->tasks_max;
    enforce = it->second->enforce;
  }
  CONNECT_TRY(auto configs, c->task_configs(max));
  if (int32_t(configs.size()) > max) {
    if (enforce)
      return make_error(errc::fatal,
                        fmt::format("The connector {} has generated {} tasks, which is greater "
                                    "than {}, the maximum number of tasks it is configured to "
                                    "create.",
                                    name, configs.size(), max));
    configs.resize(size_t(max));
  }
  return configs;
}

bool worker::take_reconfiguration_request(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(name);
  return it != connectors_.end() && it->second->ctx->reconfigure.exchange(false);
}

bool worker::connector_failed(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(name);
  return it != connectors_.end() && it->second->ctx->failed.load();
}

std::vector<std::string> worker::connectors() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [n, c] : connectors_) out.push_back(n);
  return out;
}

result<void> worker::start_task(const task_id& id, const config_map& connector_config,
                                const config_map& task_config, target_state t) {
  stop_tasks({id});
  auto failed = std::make_shared<std::atomic<bool>>(false);
  task_environment env;
  env.worker = &cfg_;
  env.plugins = &plugins_;
  env.offsets = offsets_;
  env.report = [this, id, failed](run_state s, const std::string& trace) {
    if (s == run_state::failed) failed->store(true);
    status_.put_task(id, {s, trace, worker_id(), generation()});
  };
  auto cc = connector_config::parse(connector_config, plugins_);
  if (!cc) {
    status_.put_task(id, {run_state::failed, error_trace(cc.error()), worker_id(), generation()});
    std::lock_guard lock(mu_);
    failed->store(true);
    tasks_[id] = {nullptr, connector_config, failed};
    return cc.error();
  }
  std::shared_ptr<worker_task> task =
      cc.value().type == connector_type::source
          ? make_source_task_runner(id, std::move(cc).value(), task_config, std::move(env))
          : make_sink_task_runner(id, std::move(cc).value(), task_config, std::move(env));
  {
    std::lock_guard lock(mu_);
    tasks_[id] = {task, connector_config, failed};
  }
  task->start(t);
  return ok();
}

void worker::stop_tasks(const std::vector<task_id>& ids) {
  std::vector<std::shared_ptr<worker_task>> stopping;
  {
    std::lock_guard lock(mu_);
    for (const auto& id : ids) {
      auto it = tasks_.find(id);
      if (it == tasks_.end()) continue;
      if (it->second.task) stopping.push_back(it->second.task);
      tasks_.erase(it);
    }
  }
  for (auto& t : stopping) t->request_stop();
  const auto timeout = std::chrono::milliseconds(cfg_.task_shutdown_timeout_ms);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& t : stopping) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    t->join(std::max(left, std::chrono::milliseconds(0)));
  }
}

void worker::set_task_target(const task_id& id, target_state t) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it != tasks_.end() && it->second.task) it->second.task->set_target(t);
}

std::vector<task_id> worker::tasks() const {
  std::lock_guard lock(mu_);
  std::vector<task_id> out;
  for (const auto& [id, t] : tasks_) out.push_back(id);
  return out;
}

std::optional<config_map> worker::task_config_of(const task_id& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end() || !it->second.task) return std::nullopt;
  return it->second.task->task_config();
}

std::optional<config_map> worker::task_connector_config_of(const task_id& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second.connector_config;
}

bool worker::task_failed(const task_id& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  return it != tasks_.end() && it->second.failed->load();
}

std::vector<std::shared_ptr<worker_task>> worker::task_objects() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<worker_task>> out;
  for (const auto& [id, t] : tasks_)
    if (t.task) out.push_back(t.task);
  return out;
}

void worker::stop_all() {
  stop_tasks(tasks());
  for (const auto& name : connectors()) stop_connector(name);
}

}  // namespace runnel::connect
