#include "cli/sql_connectors.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/service.h"

namespace runnel::cli {

namespace {

sql::sql_error refused(const connect::error& e) {
  return sql::make_error(sql::errc::invalid_parameter, -1, "{}", e.message);
}

}  // namespace

sql_connectors::sql_connectors(connect::herder* hosted, std::string brokers)
    : hosted_(hosted), brokers_(std::move(brokers)) {}

sql_connectors::~sql_connectors() {
  if (own_) own_->stop();
  own_.reset();
  if (!offsets_file_.empty()) {
    std::error_code ec;
    std::filesystem::remove(offsets_file_, ec);
  }
}

sql::result<connect::herder*> sql_connectors::worker() {
  if (hosted_) return hosted_;
  if (own_) return &own_->connect_herder();
  // Sink tasks keep their offsets in their consumer group (or, exactly
  // once, in their target), never in the source offsets file; standalone
  // mode wants one all the same.
  offsets_file_ = (std::filesystem::temp_directory_path() /
                   fmt::format("runnel-sql-connect-{}.offsets", ::getpid()))
                      .string();
  connect::config_map props{
      {"bootstrap.servers", brokers_},
      {"offset.storage.file.filename", offsets_file_},
      // How often sink tasks commit (pre_commit): the file sinks' scheduled
      // rotation is checked then, so a second, not Kafka's minute.
      {"offset.flush.interval.ms", "1000"},
      // After a kill -9 the restarted process's sink tasks join their
      // groups while the dead members still hold the partitions, until
      // their sessions expire: 10 s rather than librdkafka's 45 s. One
      // worker, so no rebalance storm to fear from a shorter session.
      {"consumer.session.timeout.ms", "10000"},
      {"consumer.heartbeat.interval.ms", "3000"},
  };
  auto cfg = connect::worker_config::parse(props);
  if (!cfg) return refused(cfg.error());
  auto svc = connect::service::start({std::move(cfg).value(), false, false});
  if (!svc)
    return sql::make_error(sql::errc::connection_failure, -1,
                           "cannot start the Kafka Connect worker for sinks: {}",
                           svc.error().message);
  own_ = std::move(svc).value();
  spdlog::info("sql: a standalone Kafka Connect worker runs the sinks' connectors");
  return &own_->connect_herder();
}

sql::result<void> sql_connectors::put(const std::string& name,
                                      const std::map<std::string, std::string>& config) {
  std::lock_guard lock(mu_);
  BOOST_OUTCOME_TRY(connect::herder * h, worker());
  if (auto r = h->put_connector(name, config, true); !r) return refused(r.error());
  return outcome::success();
}

sql::result<void> sql_connectors::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!hosted_ && !own_) return outcome::success();  // nothing was ever put
  BOOST_OUTCOME_TRY(connect::herder * h, worker());
  if (auto r = h->delete_connector(name); !r && r.error().kind != connect::errc::not_found)
    return refused(r.error());
  return outcome::success();
}

sql_connectors::status sql_connectors::connector_status(const std::string& name) {
  std::lock_guard lock(mu_);
  status out{"UNKNOWN", ""};
  if (!hosted_ && !own_) return out;
  auto h = worker();
  if (!h) return out;
  auto st = h.value()->connector_status(name);
  if (!st) return out;
  // The connector's own state, unless a task is worse: a FAILED one first,
  // then any that does not run.
  const connect::status* worst = &st.value().connector;
  auto rank = [](connect::run_state s) {
    return s == connect::run_state::failed ? 2 : s == connect::run_state::running ? 0 : 1;
  };
  for (const auto& [id, t] : st.value().tasks)
    if (rank(t.state) > rank(worst->state)) worst = &t;
  out.state = std::string(connect::run_state_name(worst->state));
  out.error = worst->trace.substr(0, worst->trace.find('\n'));
  return out;
}

}  // namespace runnel::cli
