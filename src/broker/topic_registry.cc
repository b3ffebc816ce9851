#include "broker/topic_registry.h"

#include <random>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "broker/config_catalog.h"
#include "broker/errc.h"

namespace runnel::broker {

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

std::string uuid_to_string(const kafka::uuid& u) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (uint8_t b : u) {
    s.push_back(hex[b >> 4]);
    s.push_back(hex[b & 15]);
  }
  return s;
}

namespace {

kafka::uuid uuid_from_string(const std::string& s) {
  kafka::uuid u{};
  for (size_t i = 0; i < 16 && 2 * i + 1 < s.size(); ++i)
    u[i] = uint8_t(std::stoi(s.substr(2 * i, 2), nullptr, 16));
  return u;
}

kafka::uuid new_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  kafka::uuid u;
  do {
    for (auto& b : u) b = uint8_t(rng());
  } while (u == kafka::uuid{});
  return u;
}

result<storage::log_config> effective(const storage::log_config& defaults,
                                      const std::map<std::string, std::string>& overrides) {
  storage::log_config c = defaults;
  for (const auto& [k, v] : overrides) {
    RUNNEL_TRY(c.set(k, v));
  }
  return c;
}

// Which override `effective` refused, as a sentence that names the config,
// the value and what is expected: "Invalid value in topic configs" alone
// leaves the user guessing.
std::string invalid_config_message(const storage::log_config& defaults,
                                   const std::map<std::string, std::string>& overrides) {
  for (const auto& [k, v] : overrides) {
    storage::log_config c = defaults;
    if (c.set(k, v)) continue;
    std::string m = "Invalid value '" + v + "' for topic config " + k;
    if (storage::log_config::fixed(k)) {
      m += ": runnel supports only " + c.describe().at(k);
    } else if (const auto* info = find_topic_setting(k)) {
      m += " (a " + std::string(config_type_name(info->type)) + "; " + std::string(info->doc) + ")";
    }
    return m;
  }
  return "Invalid value in topic configs";
}

}  // namespace

topic_registry::topic_registry(storage::file_system& fs, std::filesystem::path data_dir,
                               storage::log_config defaults)
    : fs_(fs),
      dir_(std::move(data_dir) / "meta"),
      defaults_(defaults),
      topics_(std::make_shared<const topic_map>()) {}

std::shared_ptr<const topic_info> topic_registry::find(std::string_view name) const {
  auto snap = snapshot();
  auto it = snap->find(name);
  return it == snap->end() ? nullptr : it->second;
}

result<void> topic_registry::load() {
  RUNNEL_TRY(storage::create_directories_durably(fs_, dir_));
  const auto path = dir_ / "topics.json";
  RUNNEL_TRY(bool present, fs_.exists(path));
  if (!present) return success();
  RUNNEL_TRY(auto f, fs_.open(path, storage::open_mode::read_only));
  RUNNEL_TRY(uint64_t size, f->size());
  std::vector<std::byte> bytes(size);
  RUNNEL_TRY(storage::read_exact(*f, 0, bytes));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  topic_map m;
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("version").get<int>() != 1) throw std::runtime_error("unknown version");
    for (const auto& t : j.at("topics")) {
      auto info = std::make_shared<topic_info>();
      info->name = t.at("name").get<std::string>();
      info->id = uuid_from_string(t.at("id").get<std::string>());
      info->partitions = t.at("partitions").get<int32_t>();
      info->overrides = t.value("configs", std::map<std::string, std::string>{});
      if (!valid_topic_name(info->name) || info->partitions < 1)
        throw std::runtime_error("bad topic entry " + t.dump());
      info->io = make_topic_io(info->name);
      auto c = effective(defaults_, info->overrides);
      if (!c) {
        spdlog::warn("broker: topic {} has an invalid config; using defaults", info->name);
        info->config = defaults_;
      } else {
        info->config = c.value();
      }
      m[info->name] = std::move(info);
    }
  } catch (const std::exception& e) {
    // Any parse or shape error: a torn or damaged file (docs/format/metadata.md).
    spdlog::error(
        "broker: {} is damaged ({}); refusing to start rather than lose its topics "
        "(docs/operations.md, \"Disk faults\")",
        path.string(), e.what());
    return broker_errc::damaged_metadata;
  }
  publish(std::move(m));
  return success();
}

result<void> topic_registry::persist(const topic_map& m) {
  nlohmann::json j;
  j["version"] = 1;
  j["topics"] = nlohmann::json::array();
  for (const auto& [name, t] : m)
    j["topics"].push_back({{"name", t->name},
                           {"id", uuid_to_string(t->id)},
                           {"partitions", t->partitions},
                           {"configs", t->overrides}});
  const std::string text = j.dump(2) + "\n";
  return storage::write_file_atomically(
      fs_, dir_ / "topics.json", dir_ / "topics.json.tmp",
      {reinterpret_cast<const std::byte*>(text.data()), text.size()});
}

topic_registry::create_result topic_registry::commit(const topic_map& current,
                                                     std::shared_ptr<const topic_info> info,
                                                     create_result r) {
  topic_map m = current;
  m[info->name] = std::move(info);
  if (auto p = persist(m); !p) {
    r.error = kafka::error_code::kafka_storage_error;
    r.message = "Could not persist topic metadata: " + p.error().message();
    r.topic = nullptr;
    return r;
  }
  publish(std::move(m));
  return r;
}

void topic_registry::publish(topic_map m) {
  std::atomic_store(
      &topics_, std::shared_ptr<const topic_map>(std::make_shared<const topic_map>(std::move(m))));
}

topic_registry::create_result topic_registry::create(
    const std::string& name, int32_t partitions,
    const std::map<std::string, std::string>& overrides, bool validate_only) {
  create_result r;
  if (!valid_topic_name(name)) {
    r.error = kafka::error_code::invalid_topic_exception;
    r.message = "Topic name \"" + name + "\" is illegal: use 1-249 of [a-zA-Z0-9._-]";
    return r;
  }
  if (partitions == -1) partitions = 1;
  if (partitions < 1 || partitions > 100000) {
    r.error = kafka::error_code::invalid_partitions;
    r.message =
        "Number of partitions must be between 1 and 100000, not " + std::to_string(partitions);
    return r;
  }
  for (const auto& [k, v] : overrides) {
    if (!storage::log_config::known(k)) {
      r.error = kafka::error_code::invalid_config;
      r.message = "Unknown topic config name: " + k;
      return r;
    }
  }
  auto cfg = effective(defaults_, overrides);
  if (!cfg) {
    r.error = kafka::error_code::invalid_config;
    r.message = invalid_config_message(defaults_, overrides);
    return r;
  }
  std::lock_guard lock(write_mu_);
  auto snap = snapshot();
  if (snap->contains(name)) {
    r.error = kafka::error_code::topic_already_exists;
    r.message = "Topic '" + name + "' already exists.";
    r.topic = snap->find(name)->second;
    return r;
  }
  auto info = std::make_shared<topic_info>();
  info->name = name;
  info->id = new_uuid();
  info->partitions = partitions;
  info->overrides = overrides;
  info->config = cfg.value();
  r.topic = info;
  if (validate_only) return r;
  info->io = make_topic_io(name);
  return commit(*snap, info, std::move(r));
}

std::shared_ptr<const topic_info> topic_registry::remove(const std::string& name) {
  std::lock_guard lock(write_mu_);
  auto snap = snapshot();
  auto it = snap->find(name);
  if (it == snap->end()) return nullptr;
  auto removed = it->second;
  topic_map m = *snap;
  m.erase(name);
  if (auto p = persist(m); !p) {
    spdlog::error("broker: could not persist topic metadata: {}", p.error().message());
    return nullptr;
  }
  publish(std::move(m));
  return removed;
}

topic_registry::create_result topic_registry::add_partitions(const std::string& name, int32_t count,
                                                             bool validate_only) {
  create_result r;
  std::lock_guard lock(write_mu_);
  auto snap = snapshot();
  auto it = snap->find(name);
  if (it == snap->end()) {
    r.error = kafka::error_code::unknown_topic_or_partition;
    r.message = "Topic '" + name + "' does not exist.";
    return r;
  }
  if (count <= it->second->partitions) {
    r.error = kafka::error_code::invalid_partitions;
    r.message = "Topic currently has " + std::to_string(it->second->partitions) +
                " partitions, which is higher than the requested " + std::to_string(count) + ".";
    return r;
  }
  auto info = std::make_shared<topic_info>(*it->second);
  r.previous_partitions = info->partitions;
  info->partitions = count;
  r.topic = info;
  if (validate_only) return r;
  return commit(*snap, info, std::move(r));
}

topic_registry::create_result topic_registry::alter_configs(
    const std::string& name, const std::map<std::string, std::optional<std::string>>& changes,
    bool incremental, bool validate_only) {
  create_result r;
  std::lock_guard lock(write_mu_);
  auto snap = snapshot();
  auto it = snap->find(name);
  if (it == snap->end()) {
    r.error = kafka::error_code::unknown_topic_or_partition;
    r.message = "Topic '" + name + "' does not exist.";
    return r;
  }
  auto info = std::make_shared<topic_info>(*it->second);
  if (!incremental) info->overrides.clear();
  for (const auto& [k, v] : changes) {
    if (!storage::log_config::known(k)) {
      r.error = kafka::error_code::invalid_config;
      r.message = "Unknown topic config name: " + k;
      return r;
    }
    if (v)
      info->overrides[k] = *v;
    else
      info->overrides.erase(k);
  }
  auto cfg = effective(defaults_, info->overrides);
  if (!cfg) {
    r.error = kafka::error_code::invalid_config;
    r.message = invalid_config_message(defaults_, info->overrides);
    return r;
  }
  info->config = cfg.value();
  r.topic = info;
  if (validate_only) return r;
  return commit(*snap, info, std::move(r));
}

}  // namespace runnel::broker
