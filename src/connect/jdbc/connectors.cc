// The JDBC connectors, registered under runnel's names and as Confluent's
// io.confluent.connect.jdbc.JdbcSourceConnector / JdbcSinkConnector, so a
// Confluent config runs unchanged, against PostgreSQL or MariaDB/MySQL
// (dialect.h, chosen by the URL). The source finds its tables at start and
// splits them round-robin over tasks.max tasks (a query is one task); the
// sink's tasks share the topics' partitions through the consumer group.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "connect/api/plugins.h"
#include "connect/jdbc/dialect.h"
#include "connect/jdbc/query_source_task.h"
#include "connect/jdbc/sink_config.h"
#include "connect/jdbc/sink_task.h"
#include "connect/jdbc/source_config.h"
#include "connect/register.h"

namespace runnel::connect {

namespace {

// A table.whitelist / blacklist entry matches "name" or "schema.name".
bool listed(const std::vector<std::string>& list, const jdbc::table_id& t) {
  for (const auto& e : list) {
    if (e == t.name || e == t.schema + "." + t.name) {
      return true;
    }
  }
  return false;
}

class jdbc_source_connector final : public source_connector {
 public:
  const config_def& config() const override { return jdbc::source_config_def(); }

  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(auto cfg, jdbc::source_config::parse(props));
    props_ = props;
    tables_.clear();
    if (!cfg.query.empty()) {
      return ok();
    }
    const auto& d = jdbc::dialect_for(cfg.connection.url.kind);
    CONNECT_TRY(auto c, d.open(cfg.connection));
    CONNECT_TRY(auto all, d.list_tables(*c));
    for (const auto& t : all) {
      if (!cfg.schema_pattern.empty() && t.schema != cfg.schema_pattern) continue;
      if (!cfg.table_include.empty() && !listed(cfg.table_include, t)) continue;
      if (listed(cfg.table_exclude, t)) continue;
      tables_.push_back(t.schema + "." + t.name);
    }
    if (tables_.empty() && !cfg.table_include.empty()) {
      return make_error(
          errc::invalid_config,
          "jdbc: none of the tables of table.whitelist exists in " + cfg.connection.url.database);
    }
    spdlog::info("jdbc: source connector found {} table(s)", tables_.size());
    return ok();
  }

  result<std::vector<config_map>> task_configs(int max_tasks) override {
    if (props_.count("query") && !props_.at("query").empty()) {
      return std::vector<config_map>{props_};
    }
    std::size_t n = std::min<std::size_t>(std::max(max_tasks, 1), tables_.size());
    std::vector<std::string> groups(n);
    for (std::size_t i = 0; i < tables_.size(); ++i) {
      auto& g = groups[i % n];
      g += (g.empty() ? "" : ",") + tables_[i];
    }
    std::vector<config_map> out;
    for (auto& g : groups) {
      auto c = props_;
      c["tables"] = g;
      out.push_back(std::move(c));
    }
    return out;
  }

  void stop() override {}

  std::unique_ptr<source_task> create_task() const override {
    return jdbc::make_query_source_task();
  }

 private:
  config_map props_;
  std::vector<std::string> tables_;
};

class jdbc_sink_connector final : public sink_connector {
 public:
  const config_def& config() const override { return jdbc::sink_config_def(); }

  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(jdbc::sink_config::parse(props));
    props_ = props;
    return ok();
  }

  result<std::vector<config_map>> task_configs(int max_tasks) override {
    return std::vector<config_map>(static_cast<std::size_t>(std::max(max_tasks, 1)), props_);
  }

  void stop() override {}

  std::unique_ptr<sink_task> create_task() const override { return jdbc::make_jdbc_sink_task(); }

 private:
  config_map props_;
};

}  // namespace

void register_jdbc(plugin_registry& r) {
  r.add({.class_name = "runnel.connect.jdbc.JdbcSourceConnector",
         .type = plugin_type::source,
         .aliases = {"io.confluent.connect.jdbc.JdbcSourceConnector"},
         .make = [] { return std::make_unique<jdbc_source_connector>(); }});
  r.add({.class_name = "runnel.connect.jdbc.JdbcSinkConnector",
         .type = plugin_type::sink,
         .aliases = {"io.confluent.connect.jdbc.JdbcSinkConnector"},
         .make = [] { return std::make_unique<jdbc_sink_connector>(); }});
}

}  // namespace runnel::connect
