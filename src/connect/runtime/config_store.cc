#include "connect/runtime/config_store.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "connect/api/data.h"
#include "connect/runtime/kafka_log.h"

namespace runnel::connect {

namespace {

std::string dump(const data& j) {
  return j.dump(-1, ' ', false, data::error_handler_t::replace);
}

data properties_json(const config_map& c) {
  data props = data::object();
  for (const auto& [k, v] : c) props[k] = v;
  data j = data::object();
  j["properties"] = std::move(props);
  return j;
}

std::optional<config_map> parse_properties_json(std::string_view bytes) {
  auto j = data::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("properties") ||
      !j["properties"].is_object())
    return std::nullopt;
  config_map out;
  for (const auto& [k, v] : j["properties"].items())
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

// "name-3" → name, 3.
std::optional<std::pair<std::string, int32_t>> split_task(std::string_view rest) {
  auto dash = rest.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  int32_t id = 0;
  auto num = rest.substr(dash + 1);
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), id);
  if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
  return std::make_pair(std::string(rest.substr(0, dash)), id);
}

}  // namespace

config_store::config_store(std::string topic, int16_t rf, client::client_config client)
    : topic_(std::move(topic)), rf_(rf), client_(std::move(client)) {}

config_store::~config_store() = default;

void config_store::set_listener(std::function<void(const config_event&)> l) {
  std::lock_guard lock(mu_);
  listener_ = std::move(l);
}

result<void> config_store::start() {
  if (topic_.empty()) return ok();
  kafka_log::options o;
  o.topic = topic_;
  o.partitions = 1;
  o.replication_factor = rf_;
  o.client = client_;
  o.on_record = [this](std::string_view key, std::optional<std::string_view> value, int32_t,
                       int64_t offset) {
    apply(key, value);
    std::lock_guard lock(mu_);
    snap_.offset = offset + 1;
  };
  CONNECT_TRY(auto log, kafka_log::open(std::move(o)));
  log_ = std::move(log);
  if (log_->partitions() != 1)
    return make_error(errc::invalid_config,
                      "Topic '" + topic_ +
                          "' supplied via the 'config.storage.topic' property is required to "
                          "have a single partition in order to guarantee consistency of connector "
                          "configurations, but it has " +
                          std::to_string(log_->partitions()) + " partitions.");
  return log_->read_to_end(std::chrono::seconds(60));
}

result<void> config_store::refresh(std::chrono::milliseconds timeout) {
  if (!log_) return ok();
  return log_->read_to_end(timeout);
}

config_snapshot config_store::snapshot() const {
  std::lock_guard lock(mu_);
  return snap_;
}

result<void> config_store::write(std::vector<pending_write> records) {
  if (!log_) {
    for (auto& r : records) {
      apply(r.key, r.value ? std::optional<std::string_view>(*r.value) : std::nullopt);
      std::lock_guard lock(mu_);
      ++snap_.offset;
    }
    return ok();
  }
  std::vector<kafka_log::entry> entries;
  for (auto& r : records) entries.push_back({std::move(r.key), std::move(r.value)});
  CONNECT_TRY(log_->write(entries, std::chrono::seconds(30)));
  // Applied as read back, in the topic's order.
  return log_->read_to_end(std::chrono::seconds(30));
}

result<void> config_store::put_connector(const std::string& name, const config_map& c,
                                         std::optional<target_state> initial) {
  std::vector<pending_write> w;
  if (initial) {
    data t = data::object();
    t["state"] = std::string(
        target_state_name(*initial == target_state::stopped ? target_state::paused : *initial));
    t["state.v2"] = std::string(target_state_name(*initial));
    w.push_back({"target-state-" + name, dump(t)});
  }
  w.push_back({"connector-" + name, dump(properties_json(c))});
  return write(std::move(w));
}

result<void> config_store::remove_connector(const std::string& name) {
  return write({{"connector-" + name, std::nullopt}, {"target-state-" + name, std::nullopt}});
}

result<void> config_store::put_task_configs(const std::string& name,
                                            const std::vector<config_map>& tasks) {
  std::vector<pending_write> w;
  for (size_t i = 0; i < tasks.size(); ++i)
    w.push_back({"task-" + name + "-" + std::to_string(i), dump(properties_json(tasks[i]))});
  data commit = data::object();
  commit["tasks"] = tasks.size();
  w.push_back({"commit-" + name, dump(commit)});
  return write(std::move(w));
}

result<void> config_store::put_target_state(const std::string& name, target_state t) {
  data j = data::object();
  j["state"] =
      std::string(target_state_name(t == target_state::stopped ? target_state::paused : t));
  j["state.v2"] = std::string(target_state_name(t));
  return write({{"target-state-" + name, dump(j)}});
}

result<void> config_store::put_restart(const restart_request& r) {
  if (r.task) return write({{"restart-task-" + r.connector + "-" + std::to_string(*r.task), "{}"}});
  data j = data::object();
  j["include-tasks"] = r.include_tasks;
  j["only-failed"] = r.only_failed;
  return write({{"restart-connector-" + r.connector, dump(j)}});
}

void config_store::apply(std::string_view key, std::optional<std::string_view> value) {
  std::optional<config_event> ev;
  std::function<void(const config_event&)> listener;
  {
    std::lock_guard lock(mu_);
    listener = listener_;
    if (key.starts_with("connector-")) {
      std::string name(key.substr(10));
      if (!value) {
        if (snap_.connectors.erase(name)) ev = config_event{config_event::kind::removed, name, {}};
        pending_tasks_.erase(name);
        early_targets_.erase(name);
      } else if (auto props = parse_properties_json(*value)) {
        auto [it, added] = snap_.connectors.try_emplace(name);
        if (added) {
          if (auto t = early_targets_.find(name); t != early_targets_.end()) {
            it->second.target = t->second;
            early_targets_.erase(t);
          }
        }
        it->second.config = std::move(*props);
        ev = config_event{config_event::kind::connector, name, {}};
      } else {
        spdlog::warn("connect: ignoring malformed config record {}", key);
      }
    } else if (key.starts_with("task-")) {
      auto t = split_task(key.substr(5));
      if (t && value) {
        if (auto props = parse_properties_json(*value))
          pending_tasks_[t->first][t->second] = std::move(*props);
      }
    } else if (key.starts_with("commit-")) {
      std::string name(key.substr(7));
      if (value) {
        auto j = data::parse(value->begin(), value->end(), nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("tasks") &&
            j["tasks"].is_number_integer()) {
          const auto n = j["tasks"].get<int32_t>();
          auto& pending = pending_tasks_[name];
          std::vector<config_map> tasks;
          bool complete = true;
          for (int32_t i = 0; i < n; ++i) {
            auto it = pending.find(i);
            if (it == pending.end()) {
              complete = false;
              break;
            }
            tasks.push_back(it->second);
          }
          auto c = snap_.connectors.find(name);
          if (!complete) {
            spdlog::warn("connect: commit of {} tasks of {} without every task config; ignored", n,
                         name);
          } else if (c != snap_.connectors.end()) {
            c->second.tasks = std::move(tasks);
            ev = config_event{config_event::kind::tasks, name, {}};
          }
          pending_tasks_.erase(name);
        }
      }
    } else if (key.starts_with("target-state-")) {
      std::string name(key.substr(13));
      target_state t = target_state::started;
      if (!value) {
        early_targets_.erase(name);
        return;
      }
      {
        auto j = data::parse(value->begin(), value->end(), nullptr, false);
        if (!j.is_discarded() && j.is_object()) {
          auto s = j.contains("state.v2") ? j["state.v2"] : j.value("state", data("STARTED"));
          if (s.is_string())
            t = parse_target_state(s.get<std::string>()).value_or(target_state::started);
        }
      }
      // A target state may come before the connector's config (KIP-980's
      // initial state): kept for when the config arrives.
      if (auto c = snap_.connectors.find(name); c != snap_.connectors.end()) {
        c->second.target = t;
        ev = config_event{config_event::kind::target, name, {}};
      } else {
        early_targets_[name] = t;
      }
    } else if (key.starts_with("restart-connector-") && value) {
      std::string name(key.substr(18));
      auto j = data::parse(value->begin(), value->end(), nullptr, false);
      restart_request r{name};
      if (!j.is_discarded() && j.is_object()) {
        r.include_tasks = j.value("include-tasks", false);
        r.only_failed = j.value("only-failed", false);
      }
      ev = config_event{config_event::kind::restart, name, r};
    } else if (key.starts_with("restart-task-") && value) {
      if (auto t = split_task(key.substr(13)))
        ev = config_event{config_event::kind::restart, t->first,
                          restart_request{t->first, false, false, t->second}};
    }
  }
  if (ev && listener) listener(*ev);
}

}  // namespace runnel::connect
