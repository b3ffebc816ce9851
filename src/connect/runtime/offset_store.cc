#include "connect/runtime/offset_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <fmt/format.h>

#include "connect/runtime/kafka_log.h"

namespace runnel::connect {

std::string offset_key(const std::string& connector, const data& partition) {
  data k = data::array();
  k.push_back(connector);
  k.push_back(partition);
  return k.dump(-1, ' ', false, data::error_handler_t::replace);
}

std::optional<std::string> offset_value(const std::optional<data>& offset) {
  if (!offset) return std::nullopt;
  return offset->dump(-1, ' ', false, data::error_handler_t::replace);
}

std::optional<std::pair<std::string, data>> parse_offset_key(std::string_view key) {
  auto j = data::parse(key.begin(), key.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.size() != 2 || !j[0].is_string()) return std::nullopt;
  return std::make_pair(j[0].get<std::string>(), std::move(j[1]));
}

namespace {

// The entries of every connector, by key bytes; shared by both stores.
class offset_map {
 public:
  std::optional<data> get(const std::string& connector, const data& partition) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(offset_key(connector, partition));
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<std::pair<data, data>> all(const std::string& connector) const {
    std::lock_guard lock(mu_);
    std::vector<std::pair<data, data>> out;
    const std::string prefix = "[" + data(connector).dump() + ",";
    for (auto it = entries_.lower_bound(prefix); it != entries_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (auto k = parse_offset_key(it->first)) out.emplace_back(std::move(k->second), it->second);
    }
    return out;
  }

  void apply(std::string key, std::optional<data> value) {
    std::lock_guard lock(mu_);
    if (value)
      entries_[std::move(key)] = std::move(*value);
    else
      entries_.erase(key);
  }

  std::map<std::string, data> snapshot() const {
    std::lock_guard lock(mu_);
    return entries_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, data> entries_;
};

constexpr std::string_view file_format = "runnel-connect-offsets";
constexpr int file_version = 1;

result<void> fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return make_error(errc::io, fmt::format("open {}: {}", path, std::strerror(errno)));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return make_error(errc::io, fmt::format("fsync {}: {}", path, std::strerror(e)));
  return ok();
}

class file_offset_store final : public offset_store {
 public:
  explicit file_offset_store(std::string path) : path_(std::move(path)) {}

  result<void> start() override {
    std::ifstream in(path_);
    if (!in) return ok();  // nothing stored yet
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = data::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != file_format)
      return make_error(errc::io, fmt::format("{} is not a runnel connect offsets file", path_));
    if (j.value("version", 0) != file_version)
      return make_error(errc::io, fmt::format("{}: unsupported offsets file version {}", path_,
                                              j.value("version", 0)));
    for (const auto& e : j["offsets"]) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_string())
        return make_error(errc::io, fmt::format("{}: malformed entry {}", path_, e.dump()));
      auto value = data::parse(e[1].get<std::string>(), nullptr, false);
      map_.apply(e[0].get<std::string>(), std::move(value));
    }
    return ok();
  }

  result<void> refresh(std::chrono::milliseconds) override { return ok(); }

  std::optional<data> get(const std::string& c, const data& p) override { return map_.get(c, p); }
  std::vector<std::pair<data, data>> all(const std::string& c) override { return map_.all(c); }

  result<void> put(const std::string& connector, const offset_entries& entries,
                   std::chrono::milliseconds) override {
    std::lock_guard lock(write_mu_);
    for (const auto& [p, v] : entries) map_.apply(offset_key(connector, p), v);
    return save();
  }

 private:
  // Write a temporary file, fsync it, rename it over the old one, fsync the
  // directory: a crash leaves either the old or the new offsets.
  result<void> save() {
    data out = data::object();
    out["format"] = file_format;
    out["version"] = file_version;
    data list = data::array();
    for (const auto& [k, v] : map_.snapshot())
      list.push_back(data::array({k, v.dump(-1, ' ', false, data::error_handler_t::replace)}));
    out["offsets"] = std::move(list);
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << out.dump() << "\n";
      if (!f.flush())
        return make_error(errc::io, fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    }
    CONNECT_TRY(fsync_path(tmp, O_RDONLY));
    if (std::rename(tmp.c_str(), path_.c_str()) != 0)
      return make_error(
          errc::io, fmt::format("cannot rename {} to {}: {}", tmp, path_, std::strerror(errno)));
    auto dir = std::filesystem::path(path_).parent_path();
    return fsync_path(dir.empty() ? "." : dir.string(), O_RDONLY | O_DIRECTORY);
  }

  std::string path_;
  offset_map map_;
  std::mutex write_mu_;
};

class topic_offset_store final : public offset_store {
 public:
  topic_offset_store(std::string topic, int32_t partitions, int16_t rf, client::client_config c)
      : topic_(std::move(topic)), partitions_(partitions), rf_(rf), client_(std::move(c)) {}

  result<void> start() override {
    kafka_log::options o;
    o.topic = topic_;
    o.partitions = partitions_;
    o.replication_factor = rf_;
    o.client = client_;
    o.on_record = [this](std::string_view key, std::optional<std::string_view> value, int32_t,
                         int64_t) {
      if (!parse_offset_key(key)) return;  // not Kafka Connect's shape: skip
      std::optional<data> v;
      if (value) {
        auto j = data::parse(value->begin(), value->end(), nullptr, false);
        if (j.is_discarded()) return;
        v = std::move(j);
      }
      map_.apply(std::string(key), std::move(v));
    };
    CONNECT_TRY(auto log, kafka_log::open(std::move(o)));
    log_ = std::move(log);
    return log_->read_to_end(std::chrono::seconds(60));
  }

  result<void> refresh(std::chrono::milliseconds timeout) override {
    return log_->read_to_end(timeout);
  }

  std::optional<data> get(const std::string& c, const data& p) override { return map_.get(c, p); }
  std::vector<std::pair<data, data>> all(const std::string& c) override { return map_.all(c); }

  result<void> put(const std::string& connector, const offset_entries& entries,
                   std::chrono::milliseconds timeout) override {
    std::vector<kafka_log::entry> records;
    records.reserve(entries.size());
    for (const auto& [p, v] : entries)
      records.push_back({offset_key(connector, p), offset_value(v)});
    CONNECT_TRY(log_->write(records, timeout));
    committed(connector, entries);
    return ok();
  }

  std::optional<std::string> topic() const override { return topic_; }

  void committed(const std::string& connector, const offset_entries& entries) override {
    for (const auto& [p, v] : entries) map_.apply(offset_key(connector, p), v);
  }

 private:
  std::string topic_;
  int32_t partitions_;
  int16_t rf_;
  client::client_config client_;
  std::unique_ptr<kafka_log> log_;
  offset_map map_;
};

}  // namespace

std::unique_ptr<offset_store> make_file_offset_store(std::string path) {
  return std::make_unique<file_offset_store>(std::move(path));
}

std::unique_ptr<offset_store> make_topic_offset_store(std::string topic, int32_t partitions,
                                                      int16_t rf, client::client_config client) {
  return std::make_unique<topic_offset_store>(std::move(topic), partitions, rf, std::move(client));
}

}  // namespace runnel::connect
