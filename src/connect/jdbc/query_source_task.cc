#include "connect/jdbc/query_source_task.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "connect/jdbc/source_config.h"
#include "connect/jdbc/source_table.h"

namespace runnel::connect::jdbc {

namespace {

using steady = std::chrono::steady_clock;

// "schema.name" (the connector's task config entries) split once at the
// first dot: schema names with dots are not supported.
std::pair<std::string, std::string> split_table(const std::string& t,
                                                const std::string& default_schema) {
  auto dot = t.find('.');
  if (dot == std::string::npos) {
    return {default_schema, t};
  }
  return {t.substr(0, dot), t.substr(dot + 1)};
}

class query_source_task final : public source_task {
 public:
  result<void> start(const config_map& props, source_task_context& ctx) override {
    CONNECT_TRY(cfg_, source_config::parse(props));
    ctx_ = &ctx;
    dialect_ = &dialect_for(cfg_.connection.url.kind);
    CONNECT_TRY(connect());
    if (!cfg_.query.empty()) {
      CONNECT_TRY(add("", ""));
    } else {
      for (const auto& t : cfg_.task_tables) {
        auto [schema, name] = split_table(t, dialect_->default_schema(cfg_.connection));
        CONNECT_TRY(add(schema, name));
      }
    }
    spdlog::info("jdbc: source task reading {} table(s) in mode {}", tables_.size(),
                 props.count("mode") ? props.at("mode") : "");
    return ok();
  }

  result<std::vector<source_record>> poll(std::chrono::milliseconds timeout) override {
    woken_.store(false);
    if (tables_.empty()) {
      std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(100)));
      return std::vector<source_record>{};
    }
    auto deadline = steady::now() + timeout;
    auto next = std::min_element(tables_.begin(), tables_.end(),
                                 [](const auto& a, const auto& b) { return a.due < b.due; });
    // Wait for the next table that is due, in short steps so that wakeup()
    // and stop are prompt.
    while (steady::now() < next->due) {
      if (woken_.load() || steady::now() >= deadline) {
        return std::vector<source_record>{};
      }
      auto step = std::min({next->due, deadline, steady::now() + std::chrono::milliseconds(50)});
      std::this_thread::sleep_until(step);
    }
    if (!conn_) {
      if (auto r = connect(); !r) {
        next->due = steady::now() + cfg_.poll_interval;
        return r.error();
      }
    }
    auto b = next->table.read(*conn_, next->offset);
    if (!b) {
      if (b.error().kind == errc::retriable) {
        conn_.reset();  // the connection is gone: a new one at the next poll
      }
      next->due = steady::now() + cfg_.poll_interval;
      return b.error();
    }
    next->offset = b.value().last;
    next->due = b.value().full ? steady::now() : steady::now() + cfg_.poll_interval;
    return std::move(b.value().records);
  }

  void wakeup() override { woken_.store(true); }

  void stop() override { conn_.reset(); }

 private:
  struct table_state {
    source_table table;
    table_offset offset;
    steady::time_point due{};
  };

  result<void> connect() {
    CONNECT_TRY(conn_, dialect_->open(cfg_.connection));
    return ok();
  }

  result<void> add(const std::string& schema, const std::string& name) {
    CONNECT_TRY(auto t, source_table::describe(*dialect_, *conn_, cfg_, schema, name));
    table_offset o;
    if (auto stored = ctx_->offsets().offset(t.partition())) {
      o = table_offset::from_json(*stored);
      spdlog::info("jdbc: {} resumes after {}", t.display_name(), stored->dump());
    }
    tables_.push_back(table_state{std::move(t), o, steady::time_point{}});
    return ok();
  }

  source_config cfg_;
  source_task_context* ctx_ = nullptr;
  const dialect* dialect_ = nullptr;
  std::unique_ptr<db_session> conn_;
  std::vector<table_state> tables_;
  std::atomic<bool> woken_{false};
};

}  // namespace

std::unique_ptr<source_task> make_query_source_task() {
  return std::make_unique<query_source_task>();
}

}  // namespace runnel::connect::jdbc
