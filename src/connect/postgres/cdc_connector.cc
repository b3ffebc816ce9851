// The PostgreSQL CDC source connector, registered as
// runnel.connect.postgres.PostgresConnector and as Debezium's
// io.debezium.connector.postgresql.PostgresConnector, so a Debezium config
// runs unchanged. One task: a replication slot is one ordered stream.
#include "connect/api/plugins.h"
#include "connect/postgres/cdc_source_task.h"
#include "connect/postgres/connector_config.h"
#include "connect/register.h"

namespace runnel::connect {

namespace {

class postgres_cdc_connector final : public source_connector {
 public:
  const config_def& config() const override { return postgres::connector_config_def(); }

  std::vector<config_value> validate(const config_map& props) const override {
    auto values = config().validate(props);
    if (auto c = postgres::connector_config::parse(props); !c) {
      // Rules beyond one key's type (skipped.operations letters).
      for (auto& v : values) {
        if (v.name == "skipped.operations" && v.errors.empty() &&
            c.error().message.find("skipped.operations") != std::string::npos) {
          v.errors.push_back(c.error().message);
        }
      }
    }
    return values;
  }

  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(postgres::connector_config::parse(props));
    props_ = props;
    return ok();
  }

  result<std::vector<config_map>> task_configs(int) override {
    return std::vector<config_map>{props_};
  }

  void stop() override {}

  std::unique_ptr<source_task> create_task() const override {
    return postgres::make_cdc_source_task();
  }

 private:
  config_map props_;
};

}  // namespace

void register_extract_new_record_state(plugin_registry& r);  // extract_new_record_state.cc

void register_postgres(plugin_registry& r) {
  register_extract_new_record_state(r);
  r.add({.class_name = "runnel.connect.postgres.PostgresConnector",
         .type = plugin_type::source,
         .aliases = {"io.debezium.connector.postgresql.PostgresConnector"},
         .make = [] { return std::make_unique<postgres_cdc_connector>(); }});
}

}  // namespace runnel::connect
