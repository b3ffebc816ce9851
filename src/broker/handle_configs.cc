// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs, for topics
// (resource type 2) and this broker (4).
//
// Topic configs are overrides kept by the topic registry; a change is
// persisted there and then handed to every partition's log on its owner
// (server::alter_topic_configs). Broker settings come from the config file
// and the command line and are read-only here: runnel has no store for
// dynamic broker configs, so a change would be silently lost at the next
// restart. Altering them is refused with INVALID_REQUEST, as Kafka refuses a
// change to a broker setting that is not dynamic.
#include <algorithm>
#include <map>
#include <set>

#include "broker/config_catalog.h"
#include "broker/handlers.h"
#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/messages/alter_configs.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/messages/incremental_alter_configs.h"

namespace runnel::broker {

namespace {

using kafka::error_code;

constexpr int8_t topic_resource = 2;
constexpr int8_t broker_resource = 4;

using described_config = kafka::describe_configs_response::config;
using describe_result = kafka::describe_configs_response::result;
using change_map = std::map<std::string, std::optional<std::string>>;

// Why a resource was refused; none if it may go ahead.
struct refusal {
  error_code error = error_code::none;
  std::string message;
  explicit operator bool() const { return error != error_code::none; }
};

int8_t source(config_source s) {
  return static_cast<int8_t>(s);
}

// Kafka treats a null or empty key list as "every config".
bool wanted(const std::optional<std::vector<std::string>>& keys, std::string_view name) {
  return !keys || keys->empty() || std::find(keys->begin(), keys->end(), name) != keys->end();
}

refusal check_broker_name(const server& srv, const std::string& name) {
  const std::string id = std::to_string(srv.config().node_id);
  if (name.empty() || name == id) return {};
  return {error_code::invalid_request,
          "Unexpected broker id, expected " + id + " or empty string, but received " + name};
}

refusal unsupported_type(int8_t type) {
  return {error_code::invalid_request, "Unsupported resource type: " + std::to_string(type)};
}

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    auto comma = v.find(',');
    auto item = v.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// ---- DescribeConfigs ----

void describe_topic(const topic_info& t, const storage::log_config& broker_defaults,
                    const kafka::describe_configs_request& req,
                    const kafka::describe_configs_request::resource& res, describe_result& out) {
  const auto builtin = storage::log_config{}.describe();
  const auto broker = broker_defaults.describe();
  for (const auto& [name, value] : t.config.describe()) {
    if (!wanted(res.configuration_keys, name)) continue;
    const auto* info = find_topic_setting(name);
    const std::string broker_name = info ? std::string(info->broker_name) : name;
    const bool overridden = t.overrides.contains(name);
    const bool broker_set = broker.at(name) != builtin.at(name);
    auto& c = out.configs.emplace_back();
    c.name = name;
    c.value = value;
    c.read_only = storage::log_config::fixed(name);
    c.config_source = source(overridden   ? config_source::dynamic_topic
                             : broker_set ? config_source::static_broker
                                          : config_source::default_config);
    c.is_default = c.config_source == source(config_source::default_config);
    c.is_sensitive = false;
    if (req.include_synonyms) {
      // Most specific first, as Kafka lists them.
      if (overridden) c.synonyms.push_back({name, value, source(config_source::dynamic_topic)});
      if (broker_set)
        c.synonyms.push_back({broker_name, broker.at(name), source(config_source::static_broker)});
      c.synonyms.push_back({broker_name, builtin.at(name), source(config_source::default_config)});
    }
    c.config_type = static_cast<int8_t>(info ? info->type : config_type::unknown);
    if (req.include_documentation && info) c.documentation = std::string(info->doc);
  }
}

void describe_this_broker(const server& srv, const kafka::describe_configs_request& req,
                          const kafka::describe_configs_request::resource& res,
                          describe_result& out) {
  for (auto& s : describe_broker(srv.config(), srv.port())) {
    if (!wanted(res.configuration_keys, s.name)) continue;
    auto& c = out.configs.emplace_back();
    c.name = s.name;
    c.value = s.value;
    c.read_only = true;  // see the top of this file
    c.config_source =
        source(s.is_default ? config_source::default_config : config_source::static_broker);
    c.is_default = s.is_default;
    c.is_sensitive = false;
    if (req.include_synonyms) c.synonyms.push_back({s.name, s.value, c.config_source});
    c.config_type = static_cast<int8_t>(s.type);
    if (req.include_documentation && !s.doc.empty()) c.documentation = std::string(s.doc);
  }
}

// ---- AlterConfigs / IncrementalAlterConfigs ----

// A change to this broker's settings: nothing to do if there is none.
refusal alter_broker(const server& srv, const std::string& name,
                     const std::vector<std::string>& keys) {
  if (auto r = check_broker_name(srv, name)) return r;
  if (keys.empty()) return {};
  std::string list;
  for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
  return {error_code::invalid_request,
          "Cannot update these configs dynamically: " + list +
              " (runnel's broker settings are static: set them in the config file or on the "
              "command line)"};
}

// Turns one IncrementalAlterConfigs entry into a change, resolving APPEND and
// SUBTRACT against the topic's current value.
refusal incremental_change(const topic_info& t,
                           const kafka::incremental_alter_configs_request::config& c,
                           change_map& changes) {
  enum : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };
  switch (c.config_operation) {
    case set:
      if (!c.value) return {error_code::invalid_request, "Null value not supported for: " + c.name};
      changes[c.name] = c.value;
      return {};
    case remove:
      changes[c.name] = std::nullopt;
      return {};
    case append:
    case subtract: {
      const char* verb = c.config_operation == append ? "append" : "subtract";
      const auto* info = find_topic_setting(c.name);
      if (!info || info->type != config_type::list)
        return {error_code::invalid_config,
                std::string("Config value ") + verb + " is not allowed for config key: " + c.name};
      if (!c.value) return {error_code::invalid_request, "Null value not supported for: " + c.name};
      const auto current = t.config.describe();
      auto items = split_list(current.at(c.name));
      for (const auto& v : split_list(*c.value)) {
        auto at = std::find(items.begin(), items.end(), v);
        if (c.config_operation == append && at == items.end()) items.push_back(v);
        if (c.config_operation == subtract && at != items.end()) items.erase(at);
      }
      changes[c.name] = join_list(items);
      return {};
    }
    default:
      return {error_code::invalid_request,
              "Unknown config operation " + std::to_string(c.config_operation) + " for " + c.name};
  }
}

template <class Config>
refusal duplicate_keys(const std::vector<Config>& configs) {
  std::set<std::string_view> seen;
  for (const auto& c : configs)
    if (!seen.insert(c.name).second)
      return {error_code::invalid_request, "Error due to duplicate config keys: " + c.name};
  return {};
}

template <class Result>
void fill(Result& out, const refusal& r) {
  out.error_code = kafka::code(r.error);
  if (!r.message.empty()) out.error_message = r.message;
}

}  // namespace

boost::asio::awaitable<response> handle_describe_configs(request_context& ctx) {
  kafka::describe_configs_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed DescribeConfigs request");
  server& srv = ctx.srv;
  kafka::describe_configs_response resp;
  for (const auto& res : req.resources) {
    auto& out = resp.results.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    refusal r;
    if (res.resource_type == topic_resource) {
      auto t = srv.registry().find(res.resource_name);
      if (!valid_topic_name(res.resource_name))
        r = {error_code::invalid_topic_exception, "Invalid topic name: " + res.resource_name};
      else if (!t)
        r = {error_code::unknown_topic_or_partition,
             "Topic '" + res.resource_name + "' does not exist."};
      else
        describe_topic(*t, srv.registry().defaults(), req, res, out);
    } else if (res.resource_type == broker_resource) {
      r = check_broker_name(srv, res.resource_name);
      if (!r) describe_this_broker(srv, req, res, out);
    } else {
      r = unsupported_type(res.resource_type);
    }
    fill(out, r);
  }
  co_return respond(ctx, resp);
}

boost::asio::awaitable<response> handle_alter_configs(request_context& ctx) {
  kafka::alter_configs_request req;
  if (!decode_request(ctx, req)) co_return response::malformed("malformed AlterConfigs request");
  server& srv = ctx.srv;
  kafka::alter_configs_response resp;
  for (const auto& res : req.resources) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    refusal r = duplicate_keys(res.configs);
    change_map changes;
    for (const auto& c : res.configs) {
      if (!c.value && !r)
        r = {error_code::invalid_request, "Null value not supported for: " + c.name};
      changes[c.name] = c.value;
    }
    if (r) {
      fill(out, r);
      continue;
    }
    if (res.resource_type == topic_resource) {
      auto done = co_await srv.alter_topic_configs(res.resource_name, std::move(changes),
                                                   /*incremental=*/false, req.validate_only);
      r = {done.error, done.message};
    } else if (res.resource_type == broker_resource) {
      std::vector<std::string> keys;
      for (const auto& c : res.configs) keys.push_back(c.name);
      r = alter_broker(srv, res.resource_name, keys);
    } else {
      r = unsupported_type(res.resource_type);
    }
    fill(out, r);
  }
  co_return respond(ctx, resp);
}

boost::asio::awaitable<response> handle_incremental_alter_configs(request_context& ctx) {
  kafka::incremental_alter_configs_request req;
  if (!decode_request(ctx, req))
    co_return response::malformed("malformed IncrementalAlterConfigs request");
  server& srv = ctx.srv;
  kafka::incremental_alter_configs_response resp;
  for (const auto& res : req.resources) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    refusal r = duplicate_keys(res.configs);
    if (!r && res.resource_type == topic_resource) {
      // APPEND and SUBTRACT read the current value here; a concurrent change
      // to the same list between this read and the write below may be lost.
      auto t = srv.registry().find(res.resource_name);
      if (!t)
        r = {error_code::unknown_topic_or_partition,
             "Topic '" + res.resource_name + "' does not exist."};
      change_map changes;
      for (const auto& c : res.configs) {
        if (r) break;
        r = incremental_change(*t, c, changes);
      }
      if (!r) {
        auto done = co_await srv.alter_topic_configs(res.resource_name, std::move(changes),
                                                     /*incremental=*/true, req.validate_only);
        r = {done.error, done.message};
      }
    } else if (!r && res.resource_type == broker_resource) {
      std::vector<std::string> keys;
      for (const auto& c : res.configs) keys.push_back(c.name);
      r = alter_broker(srv, res.resource_name, keys);
    } else if (!r) {
      r = unsupported_type(res.resource_type);
    }
    fill(out, r);
  }
  co_return respond(ctx, resp);
}

}  // namespace runnel::broker
