#include "connect/service.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/distributed/connect_member.h"

namespace runnel::connect {

namespace {

result<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::invalid_config, fmt::format("cannot read {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

result<config_map> load_properties_file(const std::string& path) {
  CONNECT_TRY(auto text, read_file(path));
  return parse_properties(text);
}

result<std::pair<std::string, config_map>> load_connector_file(const std::string& path) {
  CONNECT_TRY(auto text, read_file(path));
  config_map config;
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    auto j = data::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return make_error(errc::invalid_config, fmt::format("{} is not a JSON object", path));
    const data* c = &j;
    if (j.contains("config") && j["config"].is_object()) c = &j["config"];
    for (const auto& [k, v] : c->items())
      if (!v.is_null()) config[k] = v.is_string() ? v.get<std::string>() : v.dump();
    if (c != &j && j.contains("name") && j["name"].is_string() && !config.count("name"))
      config["name"] = j["name"].get<std::string>();
  } else {
    CONNECT_TRY(config, parse_properties(text));
  }
  auto name = config.find("name");
  if (name == config.end() || name->second.empty())
    return make_error(errc::invalid_config, fmt::format("{}: the connector has no name", path));
  return std::make_pair(name->second, std::move(config));
}

namespace {

// The admin server's own endpoints; every other path is Kafka Connect's.
bool admin_path(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  for (std::string_view p : {"/metrics", "/health", "/ready", "/v1/loglevel"})
    if (path == p) return true;
  return false;
}

}  // namespace

result<std::unique_ptr<service>> service::start(service_options o) {
  std::unique_ptr<service> s(new service());
  auto& w = o.worker;
  if (o.rest) {
    // Listen first: with port 0 the worker's id (its REST address, which
    // the status store records) is the port bound.
    auto* self = s.get();
    observe::admin_options ao;
    ao.host = w.rest_host;
    ao.port = w.rest_port;
    ao.max_body_bytes = 1024 * 1024;  // a transforms-heavy config is a few KiB
    ao.api = [self](const observe::http_call& c) -> std::optional<observe::http_reply> {
      if (admin_path(c.target)) return std::nullopt;
      auto* api = self->serving_.load();
      if (!api) return observe::http_reply{503, R"({"error_code":503,"message":"starting"})"};
      auto r = api->handle({c.method, c.target, c.body});
      return observe::http_reply{r.status, std::move(r.body)};
    };
    auto srv = observe::admin_server::start(std::move(ao));
    if (!srv)
      return make_error(errc::invalid_config,
                        fmt::format("cannot listen for the REST API on {}:{}: {}", w.rest_host,
                                    w.rest_port, srv.error().message()));
    s->server_ = std::move(srv).value();
    w.rest_port = s->server_->port();
  }
  std::unique_ptr<offset_store> offsets;
  std::unique_ptr<config_store> configs;
  std::unique_ptr<status_store> statuses;
  std::unique_ptr<membership> member;
  if (o.distributed) {
    // Kafka's own sentences for the keys connect-distributed requires.
    if (w.group_id.empty())
      return make_error(errc::invalid_config,
                        "Missing required configuration \"group.id\" which has no default value.");
    for (auto [key, topic] : {std::pair{"config.storage.topic", w.config_topic},
                              std::pair{"offset.storage.topic", w.offset_topic},
                              std::pair{"status.storage.topic", w.status_topic}})
      if (topic.empty())
        return make_error(errc::invalid_config,
                          fmt::format("Missing required configuration \"{}\" which has no "
                                      "default value.",
                                      key));
    offsets = make_topic_offset_store(w.offset_topic, w.offset_partitions, w.offset_rf,
                                      w.client("admin"));
    configs = std::make_unique<config_store>(w.config_topic, w.config_rf, w.client("admin"));
    statuses = std::make_unique<status_store>(w.status_topic, w.status_partitions, w.status_rf,
                                              w.client("admin"));
    CONNECT_TRY(member, make_connect_member(w));
  } else {
    if (!w.offset_topic.empty())
      offsets = make_topic_offset_store(w.offset_topic, w.offset_partitions, w.offset_rf,
                                        w.client("admin"));
    else if (!w.offset_file.empty())
      offsets = make_file_offset_store(w.offset_file);
    else
      return make_error(errc::invalid_config,
                        "standalone mode needs offset.storage.file.filename (or "
                        "offset.storage.topic)");
    configs = std::make_unique<config_store>();
    statuses = std::make_unique<status_store>();
  }
  s->herder_ = std::make_unique<herder>(w, plugin_registry::builtin(), std::move(offsets),
                                        std::move(configs), std::move(statuses), std::move(member));
  CONNECT_TRY(s->herder_->start());
  if (s->server_) {
    s->api_ = std::make_unique<rest_api>(*s->herder_);
    s->serving_.store(s->api_.get());
    spdlog::info("connect: REST API on http://{}:{}/", w.rest_host, s->server_->port());
  }
  return s;
}

service::~service() {
  stop();
}

uint16_t service::rest_port() const {
  return server_ ? server_->port() : 0;
}

void service::stop() {
  if (server_) server_->stop();
  serving_.store(nullptr);
  if (herder_) herder_->stop();
}

}  // namespace runnel::connect
