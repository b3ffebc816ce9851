// Kafka's FileStreamSourceConnector and FileStreamSinkConnector (README.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/api/plugins.h"
#include "connect/api/sink_task.h"
#include "connect/api/source_task.h"
#include "connect/file_stream/java_string.h"
#include "connect/register.h"

namespace runnel::connect {

namespace {

const config_def& source_def() {
  static const config_def d = [] {
    config_def d;
    d.define({.name = "file",
              .type = config_type::string,
              .default_value = config_default::null(),
              .importance = config_importance::high,
              .documentation = "Source filename. If not specified, the standard input will be "
                               "used"});
    d.define({.name = "topic",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "The topic to publish data to",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              if (v.is_array() && v.size() != 1)
                                return "'topic' in FileStreamSourceConnector configuration "
                                       "requires definition of a single topic.";
                              if (v.is_array() && v[0].get<std::string>().empty())
                                return "String must be non-empty";
                              return std::nullopt;
                            },
                            "a single topic"}});
    d.define({.name = "batch.size",
              .type = config_type::int_,
              .default_value = config_default::of("2000"),
              .importance = config_importance::low,
              .documentation = "The maximum number of records the source task can read from the "
                               "file each time it is polled",
              .validator = validators::at_least(1)});
    return d;
  }();
  return d;
}

const config_def& sink_def() {
  static const config_def d = [] {
    config_def d;
    d.define({.name = "file",
              .type = config_type::string,
              .default_value = config_default::null(),
              .importance = config_importance::high,
              .documentation = "Destination filename. If not specified, the standard output will "
                               "be used"});
    return d;
  }();
  return d;
}

class file_stream_source_task final : public source_task {
 public:
  result<void> start(const config_map& props, source_task_context& ctx) override {
    CONNECT_TRY(auto c, source_def().parse(props));
    file_ = c.get_optional_string("file").value_or("");
    topic_ = c.get_list("topic").front();
    batch_size_ = size_t(c.get_int("batch.size"));
    if (!file_.empty()) {
      partition_ = data{{"filename", file_}};
      if (auto o = ctx.offsets().offset(partition_)) {
        auto it = o->find("position");
        if (it == o->end() || !it->is_number_integer())
          return make_error(errc::fatal, "Offset position is the incorrect type");
        position_ = it->get<int64_t>();
        spdlog::debug("FileStreamSource: {} continues at byte {}", file_, position_);
      }
    } else {
      fd_ = STDIN_FILENO;
    }
    return ok();
  }

  result<std::vector<source_record>> poll(std::chrono::milliseconds timeout) override {
    std::vector<source_record> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (fd_ < 0 && !open_file()) {
        if (!wait_until(deadline)) return out;
        continue;
      }
      extract_lines(out);
      if (!out.empty()) return out;
      char chunk[64 * 1024];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(errc::retriable, fmt::format("Error while reading from file {}: {}",
                                                       file_, std::strerror(errno)));
      }
      if (n > 0) {
        buffer_.append(chunk, size_t(n));
        continue;
      }
      if (!wait_until(deadline)) return out;
    }
  }

  void wakeup() override { woken_.store(true); }

  void stop() override {
    if (fd_ >= 0 && fd_ != STDIN_FILENO) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool open_file() {
    fd_ = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (!warned_) {
        spdlog::warn(
            "FileStreamSource: couldn't find file {} for FileStreamSourceTask, sleeping "
            "to wait for it to be created",
            file_);
        warned_ = true;
      }
      return false;
    }
    warned_ = false;
    if (position_ > 0 && ::lseek(fd_, position_, SEEK_SET) < 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }

  // Complete lines out of the buffer, at most batch.size per poll.
  void extract_lines(std::vector<source_record>& out) {
    size_t start = 0;
    while (out.size() < batch_size_) {
      auto end = buffer_.find_first_of("\r\n", start);
      if (end == std::string::npos) break;
      size_t next = end + 1;
      if (buffer_[end] == '\r') {
        // "\r\n" is one end of line; a lone '\r' at the buffer's end waits
        // to see whether '\n' follows.
        if (next == buffer_.size()) break;
        if (buffer_[next] == '\n') ++next;
      }
      position_ += int64_t(next - start);
      source_record r;
      r.topic = topic_;
      r.value_schema = schemas::string();
      r.value = buffer_.substr(start, end - start);
      r.timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      if (!file_.empty()) {
        r.source_partition = partition_;
        r.source_offset = data{{"position", position_}};
      }
      out.push_back(std::move(r));
      start = next;
    }
    buffer_.erase(0, start);
  }

  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    if (woken_.exchange(false)) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min(std::chrono::milliseconds(50),
                 std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
    return true;
  }

  std::string file_, topic_;
  size_t batch_size_ = 2000;
  data partition_;
  int64_t position_ = 0;
  int fd_ = -1;
  std::string buffer_;
  bool warned_ = false;
  std::atomic<bool> woken_{false};
};

class file_stream_source final : public source_connector {
 public:
  const config_def& config() const override { return source_def(); }
  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(source_def().parse(props));
    props_ = props;
    return ok();
  }
  result<std::vector<config_map>> task_configs(int) override {
    config_map t;
    for (const char* k : {"file", "topic", "batch.size"})
      if (auto it = props_.find(k); it != props_.end()) t[k] = it->second;
    return std::vector<config_map>{t};
  }
  void stop() override {}
  std::unique_ptr<source_task> create_task() const override {
    return std::make_unique<file_stream_source_task>();
  }
  exactly_once_support exactly_once(const config_map& props) const override {
    auto it = props.find("file");
    return it == props.end() || it->second.empty() ? exactly_once_support::unsupported
                                                   : exactly_once_support::supported;
  }
  result<bool> alter_offsets(
      const config_map&,
      const std::vector<std::pair<data, std::optional<data>>>& offsets) override {
    for (const auto& [p, o] : offsets) {
      if (!p.contains("filename"))
        return make_error(errc::bad_request,
                          "Partition objects should contain the key "
                          "'filename'");
      if (o && (!o->contains("position") || !(*o)["position"].is_number_integer() ||
                (*o)["position"].get<int64_t>() < 0))
        return make_error(errc::bad_request,
                          "The value for the 'position' key in the offset is "
                          "expected to be a non-negative Long value");
    }
    return true;
  }

 private:
  config_map props_;
};

class file_stream_sink_task final : public sink_task {
 public:
  result<void> start(const config_map& props, sink_task_context&) override {
    CONNECT_TRY(auto c, sink_def().parse(props));
    file_ = c.get_optional_string("file").value_or("");
    if (file_.empty()) {
      out_ = stdout;
    } else {
      out_ = std::fopen(file_.c_str(), "a");
      if (!out_)
        return make_error(errc::fatal, fmt::format("Couldn't find or create file '{}' for "
                                                   "FileStreamSinkTask: {}",
                                                   file_, std::strerror(errno)));
    }
    return ok();
  }
  result<void> put(std::vector<sink_record>& records) override {
    for (const auto& r : records) {
      std::string line = java_string(r.value_schema, r.value);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), out_) != line.size())
        return make_error(errc::fatal, fmt::format("writing {}: {}", file_, std::strerror(errno)));
    }
    return ok();
  }
  result<void> flush(const offset_map&) override {
    if (std::fflush(out_) != 0)
      return make_error(errc::retriable,
                        fmt::format("flushing {}: {}", file_, std::strerror(errno)));
    return ok();
  }
  void stop() override {
    if (out_ && out_ != stdout)
      std::fclose(out_);
    else if (out_)
      std::fflush(out_);
    out_ = nullptr;
  }

 private:
  std::string file_;
  FILE* out_ = nullptr;
};

class file_stream_sink final : public sink_connector {
 public:
  const config_def& config() const override { return sink_def(); }
  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(sink_def().parse(props));
    props_ = props;
    return ok();
  }
  result<std::vector<config_map>> task_configs(int max_tasks) override {
    config_map t;
    if (auto it = props_.find("file"); it != props_.end()) t["file"] = it->second;
    return std::vector<config_map>(size_t(std::max(1, max_tasks)), t);
  }
  void stop() override {}
  std::unique_ptr<sink_task> create_task() const override {
    return std::make_unique<file_stream_sink_task>();
  }
  result<bool> alter_offsets(
      const config_map&,
      const std::map<client::topic_partition, std::optional<int64_t>>&) override {
    return true;  // the framework's consumer offsets are all there is
  }

 private:
  config_map props_;
};

}  // namespace

void register_file_stream(plugin_registry& r) {
  r.add({.class_name = "org.apache.kafka.connect.file.FileStreamSourceConnector",
         .type = plugin_type::source,
         .make = [] { return std::make_unique<file_stream_source>(); }});
  r.add({.class_name = "org.apache.kafka.connect.file.FileStreamSinkConnector",
         .type = plugin_type::sink,
         .make = [] { return std::make_unique<file_stream_sink>(); }});
}

}  // namespace runnel::connect
