#include "connect/runtime/herder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/runtime/connector_config.h"
#include "connect/runtime/error_handler.h"
#include "connect/runtime/kafka_topics.h"

namespace runnel::connect {

namespace {

using namespace std::chrono_literals;

// Connector name → task count: what an assignment depends on.
std::map<std::string, size_t> shape_of(const config_snapshot& snap) {
  std::map<std::string, size_t> out;
  for (const auto& [name, c] : snap.connectors)
    out[name] = c.target == target_state::stopped ? 0 : c.tasks.size();
  return out;
}

error not_found(const std::string& name) {
  return make_error(errc::not_found, fmt::format("Connector {} not found", name));
}

}  // namespace

herder::herder(worker_config cfg, const plugin_registry& plugins,
               std::unique_ptr<offset_store> offsets, std::unique_ptr<config_store> configs,
               std::unique_ptr<status_store> statuses, std::unique_ptr<membership> member)
    : cfg_(std::move(cfg)),
      plugins_(plugins),
      offsets_(std::move(offsets)),
      configs_(std::move(configs)),
      statuses_(std::move(statuses)),
      member_(std::move(member)) {
  worker_ = std::make_unique<worker>(cfg_, plugins_, offsets_.get(), *statuses_);
  worker_->set_wakeup([this] { wake(); });
  configs_->set_listener([this](const config_event& e) {
    if (e.what == config_event::kind::restart) {
      std::lock_guard lock(mu_);
      restarts_.push_back(e.restart);
    }
    wake();
  });
  if (member_) member_->set_wakeup([this] { wake(); });
}

herder::~herder() {
  stop();
}

result<void> herder::start() {
  CONNECT_TRY(statuses_->start());
  CONNECT_TRY(configs_->start());
  if (offsets_) {
    CONNECT_TRY(offsets_->start());
  }
  thread_ = std::thread([this] { run(); });
  return ok();
}

void herder::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void herder::wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

client::admin* herder::admin() {
  std::lock_guard lock(admin_mu_);
  if (!admin_) {
    auto a = client::admin::create({cfg_.client("admin"), std::chrono::seconds(30)});
    if (!a) return nullptr;
    admin_.emplace(std::move(a).value());
  }
  return &*admin_;
}

std::string herder::kafka_cluster_id() {
  auto* a = admin();
  if (!a) return {};
  auto md = a->metadata();
  return md ? md.value().cluster_id : std::string();
}

void herder::run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, 500ms, [&] { return wake_ || stop_; });
      wake_ = false;
      if (stop_) break;
    }
    tick();
  }
  worker_->stop_all();
  if (member_) member_->leave();
}

result<void> herder::refresh_configs() {
  if (!configs_->distributed()) return ok();
  return configs_->refresh(10s);
}

void herder::tick() {
  if (auto r = refresh_configs(); !r)
    spdlog::warn("connect: cannot read the config topic: {}", r.error().message);
  if (member_ && (!assignment_ || member_->needs_rejoin())) rebalance();
  if (member_ && !assignment_) return;
  auto snap = configs_->snapshot();
  if (member_ && shape_of(snap) != assigned_shape_) {
    // Connectors or task counts changed since the leader assigned: every
    // member sees it in the config log and asks for a new assignment.
    member_->request_rejoin();
    return;
  }
  std::vector<restart_request> restarts;
  {
    std::lock_guard lock(mu_);
    restarts.swap(restarts_);
  }
  reconcile(snap, std::move(restarts));
}

void herder::rebalance() {
  // Eager: stop everything first, so no task runs twice across members.
  if (assignment_) {
    spdlog::info("connect: rebalancing; stopping {} connectors and {} tasks",
                 worker_->connectors().size(), worker_->tasks().size());
    worker_->stop_all();
    assignment_.reset();
  }
  auto snap = configs_->snapshot();
  auto assign = [this](const std::vector<member_info>& members) {
    // The leader reads the whole config log before it assigns.
    if (auto r = refresh_configs(); !r)
      spdlog::warn("connect: leader cannot read the config topic: {}", r.error().message);
    auto s = configs_->snapshot();
    return round_robin_assignment(s, members, 0, "http://" + cfg_.worker_id() + "/");
  };
  auto a = member_->join(snap.offset, assign, std::chrono::milliseconds(cfg_.rebalance_timeout_ms));
  if (!a) {
    spdlog::warn("connect: joining the group failed: {}", a.error().message);
    std::this_thread::sleep_for(200ms);
    return;
  }
  worker_->set_generation(a.value().generation);
  // Read the config log as far as the leader had when it assigned.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (configs_->snapshot().offset < a.value().config_offset &&
         std::chrono::steady_clock::now() < deadline) {
    if (auto r = configs_->refresh(5s); !r) break;
  }
  if (configs_->snapshot().offset < a.value().config_offset) {
    spdlog::warn("connect: behind the leader's config offset {}; rejoining",
                 a.value().config_offset);
    member_->request_rejoin();
    return;
  }
  assigned_shape_ = shape_of(configs_->snapshot());
  assignment_ = std::move(a).value();
  spdlog::info("connect: generation {}: {} connectors and {} tasks assigned here",
               assignment_->generation, assignment_->connectors.size(), assignment_->tasks.size());
}

bool herder::owns_connector(const std::string& name, const config_snapshot& snap) const {
  if (!snap.find(name)) return false;
  return !member_ || (assignment_ && assignment_->connectors.count(name));
}

std::set<task_id> herder::owned_tasks(const config_snapshot& snap) const {
  std::set<task_id> out;
  for (const auto& [name, c] : snap.connectors) {
    if (c.target == target_state::stopped) continue;
    for (int32_t i = 0; i < int32_t(c.tasks.size()); ++i) {
      task_id id{name, i};
      if (!member_ || (assignment_ && assignment_->tasks.count(id))) out.insert(id);
    }
  }
  return out;
}

void herder::reconcile(const config_snapshot& snap, std::vector<restart_request> restarts) {
  auto restart_of = [&](const std::string& name) -> const restart_request* {
    for (const auto& r : restarts)
      if (r.connector == name && !r.task) return &r;
    return nullptr;
  };

  // Connectors.
  for (const auto& name : worker_->connectors()) {
    if (!owns_connector(name, snap)) {
      worker_->stop_connector(name);
      generated_for_.erase(name);
      if (snap.find(name))
        statuses_->put_connector(
            name, {run_state::unassigned, {}, cfg_.worker_id(), worker_->generation()});
    }
  }
  for (const auto& [name, c] : snap.connectors) {
    if (!owns_connector(name, snap)) continue;
    const auto running = worker_->connector_config_of(name);
    const auto* rr = restart_of(name);
    const bool restart = rr && (!rr->only_failed || worker_->connector_failed(name) || !running);
    bool need_tasks = false;
    if (!running || *running != c.config || restart) {
      if (restart)
        statuses_->put_connector(
            name, {run_state::restarting, {}, cfg_.worker_id(), worker_->generation()});
      if (!worker_->start_connector(name, c.config, c.target)) continue;
      need_tasks = true;
    } else {
      worker_->set_connector_target(name, c.target);
    }
    if (c.target == target_state::stopped) {
      // KIP-875: a stopped connector has no tasks, so its offsets can change.
      if (!c.tasks.empty() && (!member_ || !member_->needs_rejoin()))
        if (auto r = configs_->put_task_configs(name, {}); !r)
          spdlog::warn("connect: cannot clear the task configs of {}: {}", name, r.error().message);
      generated_for_.erase(name);
      continue;
    }
    if (worker_->connector_failed(name)) continue;
    auto gen = generated_for_.find(name);
    if (worker_->take_reconfiguration_request(name) || need_tasks || gen == generated_for_.end() ||
        gen->second != c.config) {
      auto configs = worker_->task_configs(name);
      if (!configs) {
        spdlog::error("connect: connector {} cannot make task configs: {}", name,
                      configs.error().message);
        statuses_->put_connector(name, {run_state::failed, error_trace(configs.error()),
                                        cfg_.worker_id(), worker_->generation()});
        continue;
      }
      generated_for_[name] = c.config;
      if (configs.value() != c.tasks && (!member_ || !member_->needs_rejoin())) {
        if (auto r = configs_->put_task_configs(name, configs.value()); !r)
          spdlog::warn("connect: cannot store the task configs of {}: {}", name, r.error().message);
        // The tasks start on a later tick, from the stored configs.
        wake();
      }
    }
  }

  // Tasks.
  const auto owned = owned_tasks(snap);
  std::vector<task_id> stop;
  for (const auto& id : worker_->tasks()) {
    const auto* c = snap.find(id.connector);
    bool keep = owned.count(id) > 0;
    if (keep) {
      const auto& want = c->tasks[size_t(id.task)];
      if (worker_->task_config_of(id) != want || worker_->task_connector_config_of(id) != c->config)
        keep = false;
    }
    if (keep) {
      for (const auto& r : restarts) {
        if (r.connector != id.connector) continue;
        const bool named = r.task ? *r.task == id.task : r.include_tasks;
        if (named && (!r.only_failed || worker_->task_failed(id))) keep = false;
      }
    }
    if (!keep) stop.push_back(id);
  }
  if (!stop.empty()) worker_->stop_tasks(stop);
  const auto now_running = worker_->tasks();
  for (const auto& id : owned) {
    const auto& c = *snap.find(id.connector);
    if (std::find(now_running.begin(), now_running.end(), id) != now_running.end()) {
      worker_->set_task_target(id, c.target);
      continue;
    }
    if (auto r = worker_->start_task(id, c.config, c.tasks[size_t(id.task)], c.target); !r)
      spdlog::error("connect: task {} cannot start: {}", id.str(), r.error().message);
  }
}

// ---- the REST API's operations ----

std::vector<std::string> herder::connectors() {
  (void)refresh_configs();
  std::vector<std::string> out;
  for (const auto& [name, c] : configs_->snapshot().connectors) out.push_back(name);
  return out;
}

connector_type herder::type_of(const config_map& config) const {
  auto it = config.find("connector.class");
  if (it == config.end()) return connector_type::unknown;
  if (plugins_.find(it->second, plugin_type::source)) return connector_type::source;
  if (plugins_.find(it->second, plugin_type::sink)) return connector_type::sink;
  return connector_type::unknown;
}

result<connector_info> herder::info(const std::string& name) {
  (void)refresh_configs();
  auto snap = configs_->snapshot();
  const auto* c = snap.find(name);
  if (!c) return not_found(name);
  connector_info out{name, c->config, {}, type_of(c->config)};
  for (int32_t i = 0; i < int32_t(c->tasks.size()); ++i) out.tasks.push_back({name, i});
  return out;
}

result<config_map> herder::connector_config(const std::string& name) {
  CONNECT_TRY(auto i, info(name));
  return i.config;
}

data herder::validate(const config_map& config) {
  return validate_connector_config(config, plugins_, cfg_.exactly_once_source());
}

result<herder::put_result> herder::put_connector(const std::string& name, config_map config,
                                                 bool allow_replace,
                                                 std::optional<target_state> initial) {
  if (name.empty() || name.find_first_of("\n\r") != std::string::npos)
    return make_error(errc::bad_request,
                      "Connector name may not be empty or contain control "
                      "characters");
  if (auto it = config.find("name"); it != config.end() && it->second != name)
    return make_error(errc::bad_request, "Connector name configuration (" + it->second +
                                             ") doesn't match connector name in the URL (" + name +
                                             ")");
  config["name"] = name;
  CONNECT_TRY(check_connector_config(config, plugins_, cfg_.exactly_once_source()));
  (void)refresh_configs();
  const bool exists = configs_->snapshot().find(name) != nullptr;
  if (exists && !allow_replace)
    return make_error(errc::conflict, fmt::format("Connector {} already exists", name));
  CONNECT_TRY(configs_->put_connector(name, config, exists ? std::nullopt : initial));
  wake();
  CONNECT_TRY(auto i, info(name));
  return put_result{std::move(i), !exists};
}

result<void> herder::delete_connector(const std::string& name) {
  CONNECT_TRY(auto i, info(name));
  CONNECT_TRY(configs_->remove_connector(name));
  statuses_->remove_connector(name, int32_t(i.tasks.size()));
  wake();
  return ok();
}

result<std::vector<task_info>> herder::task_configs(const std::string& name) {
  (void)refresh_configs();
  auto snap = configs_->snapshot();
  const auto* c = snap.find(name);
  if (!c) return not_found(name);
  std::vector<task_info> out;
  for (int32_t i = 0; i < int32_t(c->tasks.size()); ++i)
    out.push_back({{name, i}, c->tasks[size_t(i)]});
  return out;
}

result<connector_state_info> herder::connector_status(const std::string& name) {
  CONNECT_TRY(auto i, info(name));
  (void)statuses_->refresh(5s);
  connector_state_info out;
  out.name = name;
  out.type = i.type;
  out.connector = statuses_->connector(name).value_or(status{run_state::unassigned});
  for (const auto& t : i.tasks)
    out.tasks.emplace_back(t.task, statuses_->task(t).value_or(status{run_state::unassigned}));
  return out;
}

result<status> herder::task_status(const task_id& id) {
  CONNECT_TRY(auto i, info(id.connector));
  if (id.task < 0 || id.task >= int32_t(i.tasks.size()))
    return make_error(errc::not_found, fmt::format("Unknown task: {}", id.str()));
  (void)statuses_->refresh(5s);
  return statuses_->task(id).value_or(status{run_state::unassigned});
}

result<void> herder::set_target(const std::string& name, target_state t) {
  CONNECT_TRY(info(name));
  CONNECT_TRY(configs_->put_target_state(name, t));
  wake();
  return ok();
}

result<connector_state_info> herder::restart(const std::string& name, bool include_tasks,
                                             bool only_failed) {
  CONNECT_TRY(auto st, connector_status(name));
  CONNECT_TRY(configs_->put_restart({name, include_tasks, only_failed, std::nullopt}));
  wake();
  if (!only_failed || st.connector.state == run_state::failed)
    st.connector.state = run_state::restarting;
  if (include_tasks)
    for (auto& [id, s] : st.tasks)
      if (!only_failed || s.state == run_state::failed) s.state = run_state::restarting;
  return st;
}

result<void> herder::restart_task(const task_id& id) {
  CONNECT_TRY(task_status(id));
  CONNECT_TRY(configs_->put_restart({id.connector, false, false, id.task}));
  wake();
  return ok();
}

std::string herder::sink_group(const std::string& name, const config_map& config) const {
  auto it = config.find("consumer.override.group.id");
  return it != config.end() ? it->second : "connect-" + name;
}

result<data> herder::offsets(const std::string& name) {
  CONNECT_TRY(auto i, info(name));
  data list = data::array();
  if (i.type == connector_type::source) {
    if (offsets_) {
      (void)offsets_->refresh(10s);
      for (auto& [p, o] : offsets_->all(name)) {
        data e = data::object();
        e["partition"] = std::move(p);
        e["offset"] = std::move(o);
        list.push_back(std::move(e));
      }
    }
  } else {
    auto* a = admin();
    if (!a) return make_error(errc::retriable, "cannot reach the Kafka cluster");
    auto committed = a->committed_offsets(sink_group(name, i.config));
    if (!committed) return from_client(committed.error(), "reading the consumer group offsets");
    for (const auto& o : committed.value()) {
      if (int64_t(o.offset()) < 0) continue;
      data e = data::object();
      e["partition"] = {{"kafka_topic", o.topic}, {"kafka_partition", int32_t(o.partition())}};
      e["offset"] = {{"kafka_offset", int64_t(o.offset())}};
      list.push_back(std::move(e));
    }
  }
  data out = data::object();
  out["offsets"] = std::move(list);
  return out;
}

namespace {

std::string stopped_first() {
  return "Connectors must be in the STOPPED state before their offsets can be modified. This can "
         "be done for the specified connector by issuing a 'PUT' request to the "
         "'/connectors/{connector}/stop' endpoint";
}

}  // namespace

result<std::string> herder::alter_offsets(const std::string& name, const data& body) {
  (void)refresh_configs();
  auto snap = configs_->snapshot();
  const auto* c = snap.find(name);
  if (!c) return not_found(name);
  if (c->target != target_state::stopped || !c->tasks.empty())
    return make_error(errc::bad_request, stopped_first());
  if (!body.is_object() || !body.contains("offsets") || !body["offsets"].is_array() ||
      body["offsets"].empty())
    return make_error(errc::bad_request,
                      "The offsets to be altered must be provided in the "
                      "request body as {\"offsets\": [...]}");
  const auto type = type_of(c->config);
  auto inst = plugins_.new_connector(c->config.at("connector.class"));
  if (!inst) return inst.error();
  if (type == connector_type::source) {
    offset_entries entries;
    for (const auto& e : body["offsets"]) {
      if (!e.is_object() || !e.contains("partition") || !e["partition"].is_object())
        return make_error(errc::bad_request, "Source partitions must be JSON objects");
      const auto& o = e.contains("offset") ? e["offset"] : data(nullptr);
      if (!o.is_null() && !o.is_object())
        return make_error(errc::bad_request, "Source offsets must be JSON objects or null");
      entries.emplace_back(e["partition"], o.is_null() ? std::nullopt : std::optional<data>(o));
    }
    auto* sc = dynamic_cast<source_connector*>(inst.value().get());
    CONNECT_TRY(auto handled, sc->alter_offsets(c->config, entries));
    if (!offsets_) return make_error(errc::unsupported, "no offset store");
    CONNECT_TRY(offsets_->put(name, entries, 30s));
    return handled ? std::string("The offsets for this connector have been altered successfully")
                   : std::string(
                         "The Connect framework-managed offsets for this connector have "
                         "been altered successfully. However, if this connector manages "
                         "offsets externally, they will need to be manually altered in "
                         "the system that the connector uses.");
  }
  std::map<client::topic_partition, std::optional<int64_t>> sink;
  for (const auto& e : body["offsets"]) {
    const auto& p = e.contains("partition") ? e["partition"] : data(nullptr);
    if (!p.is_object() || !p.contains("kafka_topic") || !p["kafka_topic"].is_string() ||
        !p.contains("kafka_partition") || !p["kafka_partition"].is_number_integer())
      return make_error(errc::bad_request,
                        "Partitions must be {\"kafka_topic\": string, \"kafka_partition\": int}");
    const auto& o = e.contains("offset") ? e["offset"] : data(nullptr);
    std::optional<int64_t> off;
    if (!o.is_null()) {
      if (!o.is_object() || !o.contains("kafka_offset") || !o["kafka_offset"].is_number_integer() ||
          o["kafka_offset"].get<int64_t>() < 0)
        return make_error(errc::bad_request,
                          "Offsets must be {\"kafka_offset\": int >= 0} or null");
      off = o["kafka_offset"].get<int64_t>();
    }
    sink[{p["kafka_topic"].get<std::string>(),
          partition_id_t{p["kafka_partition"].get<int32_t>()}}] = off;
  }
  auto* sc = dynamic_cast<sink_connector*>(inst.value().get());
  CONNECT_TRY(auto handled, sc->alter_offsets(c->config, sink));
  auto* a = admin();
  if (!a) return make_error(errc::retriable, "cannot reach the Kafka cluster");
  const auto group = sink_group(name, c->config);
  std::vector<client::topic_partition_offset> set;
  std::vector<client::topic_partition> remove;
  for (const auto& [tp, o] : sink) {
    if (o)
      set.push_back({tp.topic, tp.partition, offset_t{*o}});
    else
      remove.push_back(tp);
  }
  if (!set.empty()) {
    if (auto r = a->alter_committed_offsets(group, set); !r)
      return from_client(r.error(), "altering the consumer group's offsets");
  }
  if (!remove.empty()) {
    if (auto r = a->delete_committed_offsets(group, remove); !r)
      return from_client(r.error(), "deleting the consumer group's offsets");
  }
  return handled ? std::string("The offsets for this connector have been altered successfully")
                 : std::string(
                       "The Connect framework-managed offsets for this connector have "
                       "been altered successfully. However, if this connector manages "
                       "offsets externally, they will need to be manually altered in the "
                       "system that the connector uses.");
}

result<std::string> herder::reset_offsets(const std::string& name) {
  (void)refresh_configs();
  auto snap = configs_->snapshot();
  const auto* c = snap.find(name);
  if (!c) return not_found(name);
  if (c->target != target_state::stopped || !c->tasks.empty())
    return make_error(errc::bad_request, stopped_first());
  auto inst = plugins_.new_connector(c->config.at("connector.class"));
  if (!inst) return inst.error();
  bool handled = false;
  if (type_of(c->config) == connector_type::source) {
    if (!offsets_) return make_error(errc::unsupported, "no offset store");
    (void)offsets_->refresh(10s);
    offset_entries entries;
    for (auto& [p, o] : offsets_->all(name)) entries.emplace_back(std::move(p), std::nullopt);
    auto* sc = dynamic_cast<source_connector*>(inst.value().get());
    CONNECT_TRY(handled, sc->alter_offsets(c->config, entries));
    if (!entries.empty()) {
      CONNECT_TRY(offsets_->put(name, entries, 30s));
    }
  } else {
    auto* a = admin();
    if (!a) return make_error(errc::retriable, "cannot reach the Kafka cluster");
    const auto group = sink_group(name, c->config);
    auto committed = a->committed_offsets(group);
    std::map<client::topic_partition, std::optional<int64_t>> all;
    if (committed)
      for (const auto& o : committed.value()) all[{o.topic, o.partition}] = std::nullopt;
    auto* sc = dynamic_cast<sink_connector*>(inst.value().get());
    CONNECT_TRY(handled, sc->alter_offsets(c->config, all));
    if (auto r = a->delete_group(group); !r && committed && !committed.value().empty())
      return from_client(r.error(), "deleting the consumer group " + group);
  }
  return handled ? std::string("The offsets for this connector have been reset successfully")
                 : std::string(
                       "The Connect framework-managed offsets for this connector have "
                       "been reset successfully. However, if this connector manages "
                       "offsets externally, they will need to be manually reset in the "
                       "system that the connector uses.");
}

}  // namespace runnel::connect
