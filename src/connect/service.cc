#include "connect/service.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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

result<std::unique_ptr<service>> service::start(service_options o) {
  std::unique_ptr<service> s(new service());
  auto& w = o.worker;
  std::unique_ptr<offset_store> offsets;
  if (!w.offset_topic.empty())
    offsets = make_topic_offset_store(w.offset_topic, w.offset_partitions, w.offset_rf,
                                      w.client("admin"));
  else if (!w.offset_file.empty())
    offsets = make_file_offset_store(w.offset_file);
  else
    return make_error(errc::invalid_config,
                      "standalone mode needs offset.storage.file.filename (or "
                      "offset.storage.topic)");
  s->herder_ = std::make_unique<herder>(w, plugin_registry::builtin(), std::move(offsets),
                                        std::make_unique<config_store>(),
                                        std::make_unique<status_store>(), nullptr);
  CONNECT_TRY(s->herder_->start());
  return s;
}

service::~service() {
  stop();
}

void service::stop() {
  if (herder_) herder_->stop();
}

}  // namespace runnel::connect
