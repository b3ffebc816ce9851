// The HTTP sink connector, registered as runnel.connect.http.HttpSinkConnector
// and as Confluent's io.confluent.connect.http.HttpSinkConnector, so a
// Confluent config runs unchanged where runnel supports its keys. Its tasks
// share the topics' partitions through the consumer group; each calls the
// endpoint on its own (sink_task.h).
#include <algorithm>

#include "connect/api/plugins.h"
#include "connect/http/sink_config.h"
#include "connect/http/sink_task.h"
#include "connect/register.h"

namespace runnel::connect {

namespace {

class http_sink_connector final : public sink_connector {
 public:
  const config_def& config() const override { return http::sink_config_def(); }

  std::vector<config_value> validate(const config_map& props) const override {
    auto values = config().validate(props);
    for (const auto& [k, e] : http::cross_key_errors(props))
      for (auto& v : values)
        if (v.name == k) v.errors.push_back(e);
    return values;
  }

  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(http::sink_config::parse(props));
    props_ = props;
    return ok();
  }

  result<std::vector<config_map>> task_configs(int max_tasks) override {
    return std::vector<config_map>(static_cast<std::size_t>(std::max(max_tasks, 1)), props_);
  }

  void stop() override {}

  std::unique_ptr<sink_task> create_task() const override { return http::make_http_sink_task(); }

 private:
  config_map props_;
};

}  // namespace

void register_http(plugin_registry& r) {
  r.add({.class_name = "runnel.connect.http.HttpSinkConnector",
         .type = plugin_type::sink,
         .aliases = {"io.confluent.connect.http.HttpSinkConnector"},
         .make = [] { return std::make_unique<http_sink_connector>(); }});
}

}  // namespace runnel::connect
