#include "connect/runtime/status_store.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "connect/api/data.h"
#include "connect/runtime/kafka_log.h"

namespace runnel::connect {

namespace {

constexpr std::string_view connector_prefix = "status-connector-";
constexpr std::string_view task_prefix = "status-task-";

// "name-3" → (name, 3); a connector name may contain '-'.
std::optional<task_id> parse_task_key(std::string_view rest) {
  auto dash = rest.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  int32_t id = 0;
  auto num = rest.substr(dash + 1);
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), id);
  if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
  return task_id{std::string(rest.substr(0, dash)), id};
}

}  // namespace

std::string status_to_json(const status& s) {
  data j = data::object();
  j["state"] = std::string(run_state_name(s.state));
  j["trace"] = s.trace.empty() ? data(nullptr) : data(s.trace);
  j["worker_id"] = s.worker_id;
  j["generation"] = s.generation;
  return j.dump(-1, ' ', false, data::error_handler_t::replace);
}

std::optional<status> status_from_json(std::string_view bytes) {
  auto j = data::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string())
    return std::nullopt;
  auto st = parse_run_state(j["state"].get<std::string>());
  if (!st) return std::nullopt;
  status s;
  s.state = *st;
  if (j.contains("trace") && j["trace"].is_string()) s.trace = j["trace"].get<std::string>();
  if (j.contains("worker_id") && j["worker_id"].is_string())
    s.worker_id = j["worker_id"].get<std::string>();
  if (j.contains("generation") && j["generation"].is_number_integer())
    s.generation = j["generation"].get<int32_t>();
  return s;
}

status_store::status_store(std::string topic, int32_t partitions, int16_t rf,
                           client::client_config client)
    : topic_(std::move(topic)), partitions_(partitions), rf_(rf), client_(std::move(client)) {}

status_store::~status_store() = default;

result<void> status_store::start() {
  if (topic_.empty()) return ok();
  kafka_log::options o;
  o.topic = topic_;
  o.partitions = partitions_;
  o.replication_factor = rf_;
  o.client = client_;
  o.on_record = [this](std::string_view key, std::optional<std::string_view> value, int32_t,
                       int64_t) {
    std::optional<status> s;
    if (value) {
      s = status_from_json(*value);
      if (!s) return;
    }
    apply(std::string(key), std::move(s));
  };
  CONNECT_TRY(auto log, kafka_log::open(std::move(o)));
  log_ = std::move(log);
  return log_->read_to_end(std::chrono::seconds(60));
}

result<void> status_store::refresh(std::chrono::milliseconds timeout) {
  if (!log_) return ok();
  return log_->read_to_end(timeout);
}

void status_store::apply(const std::string& key, std::optional<status> s) {
  std::lock_guard lock(mu_);
  std::string_view k = key;
  if (k.starts_with(connector_prefix)) {
    std::string name(k.substr(connector_prefix.size()));
    auto it = connectors_.find(name);
    if (!s) {
      if (it != connectors_.end()) connectors_.erase(it);
    } else if (it == connectors_.end() || s->generation >= it->second.generation) {
      connectors_[name] = std::move(*s);
    }
  } else if (k.starts_with(task_prefix)) {
    auto id = parse_task_key(k.substr(task_prefix.size()));
    if (!id) return;
    auto it = tasks_.find(*id);
    if (!s) {
      if (it != tasks_.end()) tasks_.erase(it);
    } else if (it == tasks_.end() || s->generation >= it->second.generation) {
      tasks_[*id] = std::move(*s);
    }
  }
}

void status_store::write(const std::string& key, const std::optional<status>& s) {
  apply(key, s);
  if (!log_) return;
  auto r = log_->write({{key, s ? std::optional<std::string>(status_to_json(*s)) : std::nullopt}},
                       std::chrono::seconds(10));
  // Status is advisory: a failed write is logged, and the next change
  // writes again.
  if (!r) spdlog::warn("connect: cannot write status {}: {}", key, r.error().message);
}

void status_store::put_connector(const std::string& name, const status& s) {
  write(std::string(connector_prefix) + name, s);
}

void status_store::put_task(const task_id& id, const status& s) {
  write(std::string(task_prefix) + id.str(), s);
}

void status_store::remove_connector(const std::string& name, int32_t tasks) {
  write(std::string(connector_prefix) + name, std::nullopt);
  std::vector<int32_t> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, s] : tasks_)
      if (id.connector == name) ids.push_back(id.task);
  }
  for (int32_t i = 0; i < tasks; ++i)
    if (std::find(ids.begin(), ids.end(), i) == ids.end()) ids.push_back(i);
  for (int32_t id : ids) write(std::string(task_prefix) + task_id{name, id}.str(), std::nullopt);
}

std::optional<status> status_store::connector(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return std::nullopt;
  return it->second;
}

std::optional<status> status_store::task(const task_id& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<int32_t, status>> status_store::tasks(const std::string& connector) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<int32_t, status>> out;
  for (auto it = tasks_.lower_bound(task_id{connector, INT32_MIN});
       it != tasks_.end() && it->first.connector == connector; ++it)
    out.emplace_back(it->first.task, it->second);
  return out;
}

}  // namespace runnel::connect
