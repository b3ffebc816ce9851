#include "connect/rest/rest_api.h"

#include <charconv>
#include <map>

#include <fmt/format.h>

#include "connect/runtime/connector_config.h"

namespace runnel::connect {

int http_status(errc e) {
  switch (e) {
    case errc::not_found:
      return 404;
    case errc::conflict:
      return 409;
    case errc::bad_request:
    case errc::invalid_config:
    case errc::data:
      return 400;
    case errc::rebalancing:
      return 409;
    case errc::unsupported:
      return 501;
    case errc::timeout:
    case errc::retriable:
      return 503;
    default:
      return 500;
  }
}

namespace {

std::string dump(const data& j) {
  return j.dump(-1, ' ', false, data::error_handler_t::replace);
}

http_response json(int status, const data& j) {
  return {status, dump(j)};
}

http_response fail(int status, const std::string& message) {
  return json(status, data{{"error_code", status}, {"message", message}});
}

http_response fail(const error& e) {
  return fail(http_status(e.kind), e.message);
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += char(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::vector<std::string>> parse_query(std::string_view q) {
  std::map<std::string, std::vector<std::string>> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    out[decode(part.substr(0, eq))].push_back(
        eq == std::string_view::npos ? std::string() : decode(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

bool query_bool(const std::map<std::string, std::vector<std::string>>& q, const std::string& k) {
  auto it = q.find(k);
  if (it == q.end() || it->second.empty()) return false;
  auto v = it->second.back();
  for (auto& c : v) c = char(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

data info_json(const connector_info& i) {
  data config = data::object();
  for (const auto& [k, v] : i.config) config[k] = v;
  data tasks = data::array();
  for (const auto& t : i.tasks) tasks.push_back({{"connector", t.connector}, {"task", t.task}});
  return data{{"name", i.name},
              {"config", std::move(config)},
              {"tasks", std::move(tasks)},
              {"type", std::string(connector_type_name(i.type))}};
}

data state_json(const status& s) {
  data j = data::object();
  j["state"] = std::string(run_state_name(s.state));
  if (!s.trace.empty()) j["trace"] = s.trace;
  j["worker_id"] = s.worker_id;
  return j;
}

data status_json(const connector_state_info& s) {
  data tasks = data::array();
  for (const auto& [id, st] : s.tasks) {
    data t = data::object();
    t["id"] = id;
    data state = state_json(st);
    for (auto& [k, v] : state.items()) t[k] = v;
    tasks.push_back(std::move(t));
  }
  return data{{"name", s.name},
              {"connector", state_json(s.connector)},
              {"tasks", std::move(tasks)},
              {"type", std::string(connector_type_name(s.type))}};
}

result<config_map> config_of(const data& j) {
  if (!j.is_object())
    return make_error(errc::bad_request, "The connector config must be a JSON object");
  config_map out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_null()) continue;
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

result<data> parse_body(const std::string& body) {
  if (body.empty()) return make_error(errc::bad_request, "Request body is missing");
  auto j = data::parse(body, nullptr, false);
  if (j.is_discarded()) return make_error(errc::bad_request, "Request body is not valid JSON");
  return j;
}

std::optional<int32_t> parse_int(const std::string& s) {
  int32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

http_response rest_api::handle(const http_request& req) {
  std::string_view target = req.target;
  auto qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  auto query = parse_query(qpos == std::string_view::npos ? "" : target.substr(qpos + 1));
  std::vector<std::string> seg;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    seg.push_back(decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  const std::string& m = req.method;
  auto not_allowed = [] { return fail(405, "HTTP 405 Method Not Allowed"); };

  if (seg.empty()) {
    if (m != "GET") return not_allowed();
    return json(200, data{{"version", std::string(runnel_version())},
                          {"commit", "runnel"},
                          {"kafka_cluster_id", h_.kafka_cluster_id()}});
  }

  if (seg[0] == "connector-plugins") {
    const auto& plugins = h_.plugins();
    if (seg.size() == 1) {
      if (m != "GET") return not_allowed();
      bool only = true;
      if (auto it = query.find("connectorsOnly"); it != query.end() && !it->second.empty())
        only = query_bool(query, "connectorsOnly");
      data out = data::array();
      std::vector<const plugin*> list = plugins.list();
      std::sort(list.begin(), list.end(),
                [](const plugin* a, const plugin* b) { return a->class_name < b->class_name; });
      for (const auto* p : list) {
        if (only && p->type != plugin_type::source && p->type != plugin_type::sink) continue;
        out.push_back({{"class", p->class_name},
                       {"type", std::string(plugin_type_name(p->type))},
                       {"version", p->version}});
      }
      return json(200, out);
    }
    const plugin* p = plugins.find(seg[1]);
    if (!p) return fail(404, fmt::format("Unknown plugin {}.", seg[1]));
    if (seg.size() == 3 && seg[2] == "config") {
      if (m != "GET") return not_allowed();
      data out = data::array();
      for (const auto& k : p->config().keys()) out.push_back(config_key_json(k));
      return json(200, out);
    }
    if (seg.size() == 4 && seg[2] == "config" && seg[3] == "validate") {
      if (m != "PUT") return not_allowed();
      auto body = parse_body(req.body);
      if (!body) return fail(body.error());
      auto config = config_of(body.value());
      if (!config) return fail(config.error());
      auto cls = config.value().find("connector.class");
      if (cls == config.value().end())
        return fail(400, "Connector config {} contains no connector type");
      const plugin* named = plugins.find(cls->second);
      if (named != p)
        return fail(400, fmt::format("Included connector type {} does not match request type {}",
                                     cls->second, seg[1]));
      return json(200, h_.validate(config.value()));
    }
    return fail(404, "HTTP 404 Not Found");
  }

  if (seg[0] != "connectors") return fail(404, "HTTP 404 Not Found");

  if (seg.size() == 1) {
    if (m == "GET") {
      auto names = h_.connectors();
      auto expand = query.find("expand");
      if (expand == query.end()) return json(200, names);
      data out = data::object();
      for (const auto& n : names) {
        data e = data::object();
        for (const auto& what : expand->second) {
          if (what == "info") {
            if (auto i = h_.info(n)) e["info"] = info_json(i.value());
          } else if (what == "status") {
            if (auto s = h_.connector_status(n)) e["status"] = status_json(s.value());
          }
        }
        out[n] = std::move(e);
      }
      return json(200, out);
    }
    if (m == "POST") {
      auto body = parse_body(req.body);
      if (!body) return fail(body.error());
      const auto& b = body.value();
      if (!b.is_object() || !b.contains("name") || !b["name"].is_string())
        return fail(400, "Connector name must be a string");
      if (!b.contains("config")) return fail(400, "Connector config must be a JSON object");
      auto config = config_of(b["config"]);
      if (!config) return fail(config.error());
      std::optional<target_state> initial;
      if (b.contains("initial_state") && !b["initial_state"].is_null()) {
        auto s = b["initial_state"].is_string() ? b["initial_state"].get<std::string>() : "";
        if (s == "RUNNING")
          initial = target_state::started;
        else if (s == "PAUSED")
          initial = target_state::paused;
        else if (s == "STOPPED")
          initial = target_state::stopped;
        else
          return fail(400, "Invalid initial state: " + s);
      }
      auto r =
          h_.put_connector(b["name"].get<std::string>(), std::move(config).value(), false, initial);
      if (!r) return fail(r.error());
      return json(201, info_json(r.value().info));
    }
    return not_allowed();
  }

  const std::string& name = seg[1];
  if (seg.size() == 2) {
    if (m == "GET") {
      auto i = h_.info(name);
      if (!i) return fail(i.error());
      return json(200, info_json(i.value()));
    }
    if (m == "DELETE") {
      auto r = h_.delete_connector(name);
      if (!r) return fail(r.error());
      return {204, ""};
    }
    return not_allowed();
  }

  const std::string& what = seg[2];
  if (what == "config" && seg.size() == 3) {
    if (m == "GET") {
      auto c = h_.connector_config(name);
      if (!c) return fail(c.error());
      data out = data::object();
      for (const auto& [k, v] : c.value()) out[k] = v;
      return json(200, out);
    }
    if (m == "PUT" || m == "PATCH") {
      auto body = parse_body(req.body);
      if (!body) return fail(body.error());
      config_map config;
      if (m == "PATCH") {
        // KIP-477: merge, a null value removes the key.
        auto current = h_.connector_config(name);
        if (!current) return fail(current.error());
        if (!body.value().is_object()) return fail(400, "The patch must be a JSON object");
        config = std::move(current).value();
        for (const auto& [k, v] : body.value().items()) {
          if (v.is_null())
            config.erase(k);
          else
            config[k] = v.is_string() ? v.get<std::string>() : v.dump();
        }
      } else {
        auto c = config_of(body.value());
        if (!c) return fail(c.error());
        config = std::move(c).value();
      }
      auto r = h_.put_connector(name, std::move(config), true);
      if (!r) return fail(r.error());
      return json(r.value().created ? 201 : 200, info_json(r.value().info));
    }
    return not_allowed();
  }
  if (what == "status" && seg.size() == 3) {
    if (m != "GET") return not_allowed();
    auto s = h_.connector_status(name);
    if (!s) return fail(s.error());
    return json(200, status_json(s.value()));
  }
  if (what == "restart" && seg.size() == 3) {
    if (m != "POST") return not_allowed();
    const bool include_tasks = query_bool(query, "includeTasks");
    const bool only_failed = query_bool(query, "onlyFailed");
    auto s = h_.restart(name, include_tasks, only_failed);
    if (!s) return fail(s.error());
    if (!include_tasks && !only_failed) return {204, ""};
    return json(202, status_json(s.value()));
  }
  if ((what == "pause" || what == "resume" || what == "stop") && seg.size() == 3) {
    if (m != "PUT") return not_allowed();
    auto t = what == "pause"  ? target_state::paused
             : what == "stop" ? target_state::stopped
                              : target_state::started;
    auto r = h_.set_target(name, t);
    if (!r) return fail(r.error());
    // Kafka's answers: pause and resume are accepted (202), stop is done (204).
    return {what == "stop" ? 204 : 202, ""};
  }
  if (what == "offsets" && seg.size() == 3) {
    if (m == "GET") {
      auto o = h_.offsets(name);
      if (!o) return fail(o.error());
      return json(200, o.value());
    }
    if (m == "PATCH") {
      auto body = parse_body(req.body);
      if (!body) return fail(body.error());
      const auto& b = body.value();
      if (!b.is_object() || !b.contains("offsets") || !b["offsets"].is_array() ||
          b["offsets"].empty())
        return fail(400, "Partitions / offsets need to be provided for an alter offsets request");
      auto r = h_.alter_offsets(name, b);
      if (!r) return fail(r.error());
      return json(200, data{{"message", r.value()}});
    }
    if (m == "DELETE") {
      auto r = h_.reset_offsets(name);
      if (!r) return fail(r.error());
      return json(200, data{{"message", r.value()}});
    }
    return not_allowed();
  }
  if (what == "tasks") {
    if (seg.size() == 3) {
      if (m != "GET") return not_allowed();
      auto t = h_.task_configs(name);
      if (!t) return fail(t.error());
      data out = data::array();
      for (const auto& ti : t.value()) {
        data config = data::object();
        for (const auto& [k, v] : ti.config) config[k] = v;
        out.push_back({{"id", {{"connector", ti.id.connector}, {"task", ti.id.task}}},
                       {"config", std::move(config)}});
      }
      return json(200, out);
    }
    auto id = parse_int(seg[3]);
    if (!id) return fail(404, "HTTP 404 Not Found");
    if (seg.size() == 5 && seg[4] == "status") {
      if (m != "GET") return not_allowed();
      auto s = h_.task_status({name, *id});
      if (!s) return fail(s.error());
      data out = data{{"id", *id}};
      data state = state_json(s.value());
      for (auto& [k, v] : state.items()) out[k] = v;
      return json(200, out);
    }
    if (seg.size() == 5 && seg[4] == "restart") {
      if (m != "POST") return not_allowed();
      auto r = h_.restart_task({name, *id});
      if (!r) return fail(r.error());
      return {204, ""};
    }
  }
  return fail(404, "HTTP 404 Not Found");
}

}  // namespace runnel::connect
