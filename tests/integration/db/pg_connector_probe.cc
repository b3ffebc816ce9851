// pg_connector_probe: the PostgreSQL CDC source connector
// (io.debezium.connector.postgresql.PostgresConnector) driven as the
// Connect runtime drives a source task, for test_postgres_connector.py,
// until `runnel connect run` can run it end to end.
//
//   pg_connector_probe OFFSETS_FILE OUT_FILE key=value...
//
// Each poll's records are appended to OUT_FILE as JSON lines ({"topic",
// "key", "value", "headers"}, values as JsonConverter writes them with
// decimals numeric) and fsynced — the stand-in for the broker's
// acknowledgement — then acknowledged to the task (commit_record), then
// the last offset is written to OFFSETS_FILE (written whole and renamed,
// as the runtime's file offset store does), then commit(). A kill -9
// anywhere thus loses no acknowledged change and repeats at most what was
// written but not yet stored. SIGTERM stops the task and exits 0.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "connect/api/plugins.h"
#include "connect/api/source_task.h"
#include "connect/convert/json_data.h"

namespace rc = runnel::connect;

namespace {

volatile std::sig_atomic_t stopping = 0;

class file_offsets final : public rc::offset_reader {
 public:
  explicit file_offsets(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      if (!ss.str().empty()) {
        stored_ = rc::data::parse(ss.str());
      }
    }
  }
  std::optional<rc::data> offset(const rc::data& partition) override {
    auto k = partition.dump();
    if (stored_.contains(k)) {
      return stored_[k];
    }
    return std::nullopt;
  }
  void put(const rc::data& partition, const rc::data& offset) {
    stored_[partition.dump()] = offset;
    auto tmp = path_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    auto text = stored_.dump();
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd) != 0) {
      std::perror("offsets");
      std::exit(3);
    }
    ::close(fd);
    std::rename(tmp.c_str(), path_.c_str());
  }

 private:
  std::string path_;
  rc::data stored_ = rc::data::object();
};

class context final : public rc::source_task_context {
 public:
  context(rc::config_map c, file_offsets& o) : configs_(std::move(c)), offsets_(o) {}
  const rc::config_map& configs() const override { return configs_; }
  rc::offset_reader& offsets() override { return offsets_; }
  rc::transaction_context* transactions() override { return nullptr; }

 private:
  rc::config_map configs_;
  file_offsets& offsets_;
};

rc::data json_of(const rc::schema_ptr& s, const rc::data& v) {
  if (!s) {
    return v;
  }
  auto j = rc::to_json(s, v, {.decimals = rc::decimal_format::numeric});
  if (!j) {
    std::cerr << "to_json: " << j.error().message << "\n";
    std::exit(4);
  }
  return j.value();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: pg_connector_probe OFFSETS_FILE OUT_FILE key=value...\n";
    return 2;
  }
  std::signal(SIGTERM, [](int) { stopping = 1; });
  rc::config_map props;
  for (int i = 3; i < argc; ++i) {
    std::string kv = argv[i];
    auto eq = kv.find('=');
    props[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  const auto& reg = rc::plugin_registry::builtin();
  auto conn = reg.new_connector(props.at("connector.class"));
  if (!conn) {
    std::cerr << conn.error().message << "\n";
    return 1;
  }
  auto* source = dynamic_cast<rc::source_connector*>(conn.value().get());
  struct null_ctx final : rc::connector_context {
    void request_task_reconfiguration() override {}
    void raise_error(const rc::error& e) override { std::cerr << e.message << "\n"; }
    rc::offset_reader* offsets() override { return nullptr; }
  } cctx;
  if (auto r = source->start(props, cctx); !r) {
    std::cerr << "connector start: " << r.error().message << "\n";
    return 1;
  }
  auto tasks = source->task_configs(1);
  file_offsets offsets(argv[1]);
  context ctx(tasks.value()[0], offsets);
  auto task = source->create_task();
  if (auto r = task->start(tasks.value()[0], ctx); !r) {
    std::cerr << "task start: " << r.error().message << "\n";
    task->stop();
    return 1;
  }
  std::cout << "started" << std::endl;
  int out = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0) {
    std::perror("out");
    return 3;
  }
  while (stopping == 0) {
    auto recs = task->poll(std::chrono::milliseconds(200));
    if (!recs) {
      std::cerr << "poll: " << recs.error().message << "\n";
      task->stop();
      return 1;
    }
    if (recs.value().empty()) {
      continue;
    }
    std::string lines;
    for (const auto& r : recs.value()) {
      if (r.offset_only()) {
        continue;
      }
      rc::data line = rc::data::object();
      line["topic"] = r.topic;
      line["key"] = json_of(r.key_schema, r.key);
      line["value"] = r.value.is_null() ? rc::data() : json_of(r.value_schema, r.value);
      line["headers"] = rc::data::object();
      for (const auto& h : r.headers) {
        line["headers"][h.key] = json_of(h.schema, h.value);
      }
      lines += line.dump() + "\n";
    }
    if (::write(out, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size()) ||
        ::fsync(out) != 0) {
      std::perror("write");
      return 3;
    }
    rc::record_metadata md{"", 0, 0, 0};
    for (const auto& r : recs.value()) {
      task->commit_record(r, r.offset_only() ? nullptr : &md);
    }
    const auto& last = recs.value().back();
    offsets.put(last.source_partition, last.source_offset);
    task->commit();
  }
  task->stop();
  source->stop();
  std::cout << "stopped" << std::endl;
  return 0;
}
