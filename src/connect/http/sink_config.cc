#include "connect/http/sink_config.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace runnel::connect::http {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

config_validator http_url() {
  return {[](const data& v) -> std::optional<std::string> {
            if (!v.is_string()) return std::nullopt;
            const auto s = v.get<std::string>();
            if (s.starts_with("http://") || s.starts_with("https://")) return std::nullopt;
            return "The URL must start with http:// or https://";
          },
          "http:// or https:// URL"};
}

// "Name:Value|Name2:Value2" → {"Name: Value", …}; an entry without a ':' or
// with an empty name is an error.
result<std::vector<std::string>> parse_headers(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  if (trim(text).empty()) return out;
  std::size_t at = 0;
  for (;;) {
    auto end = sep.empty() ? std::string::npos : text.find(sep, at);
    std::string entry = trim(
        std::string_view(text).substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (!entry.empty()) {
      auto colon = entry.find(':');
      std::string name = colon == std::string::npos ? "" : trim(entry.substr(0, colon));
      if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos)
        return make_error(errc::invalid_config,
                          fmt::format("Invalid value for configuration headers: each header is "
                                      "Name:Value, separated by '{}' (header.separator)",
                                      sep));
      std::string value = trim(entry.substr(colon + 1));
      if (value.find_first_of("\r\n") != std::string::npos)
        return make_error(errc::invalid_config,
                          "Invalid value for configuration headers: a header value cannot hold "
                          "a line break");
      out.push_back(name + ": " + value);
    }
    if (end == std::string::npos) break;
    at = end + sep.size();
  }
  return out;
}

bool given(const config_map& props, const char* k) {
  return props.count(k) > 0;
}

}  // namespace

const config_def& sink_config_def() {
  static const config_def def = [] {
    using ct = config_type;
    using ci = config_importance;
    using cd = config_default;
    config_def d;
    const std::string conn = "Connection", auth = "Authentication", batch = "Batching",
                      retry = "Retries and errors";
    d.define(make_config_key(
        "http.api.url", ct::string, cd::required(), ci::high,
        "The endpoint every batch is sent to. ${topic} and ${key} are replaced by the "
        "record's topic and (percent-encoded) key; records with different URLs go in "
        "different batches.",
        conn, http_url()));
    d.define(make_config_key("request.method", ct::string, cd::of("POST"), ci::high,
                             "The HTTP method of every request.", conn,
                             validators::one_of({"POST", "PUT", "PATCH"}, true)));
    d.define(make_config_key(
        "headers", ct::string, cd::of(""), ci::medium,
        "Headers sent with every request, Name:Value separated by header.separator "
        "(a bearer token: Authorization:Bearer TOKEN). Without a Content-Type here, "
        "requests say application/json.",
        conn));
    d.define(make_config_key("header.separator", ct::string, cd::of("|"), ci::low,
                             "What separates the entries of headers.", conn));
    d.define(make_config_key("http.connect.timeout.ms", ct::int_, cd::of("30000"), ci::low,
                             "How long a connection (TCP and TLS) to the endpoint may take.", conn,
                             validators::at_least(1)));
    d.define(
        make_config_key("http.request.timeout.ms", ct::int_, cd::of("30000"), ci::low,
                        "How long one request may take, connection included; a timeout is retried.",
                        conn, validators::at_least(1)));
    d.define(
        make_config_key("auth.type", ct::string, cd::of("NONE"), ci::high,
                        "NONE, or BASIC: HTTP Basic with connection.user and connection.password. "
                        "(OAUTH2 is Confluent's and not supported here; a static token goes in "
                        "headers.)",
                        auth, validators::one_of({"NONE", "BASIC", "OAUTH2"}, true)));
    d.define(make_config_key("connection.user", ct::string, cd::null(), ci::high,
                             "The user name of auth.type=BASIC.", auth));
    d.define(make_config_key("connection.password", ct::password, cd::null(), ci::high,
                             "The password of auth.type=BASIC.", auth));
    d.define(make_config_key(
        "batch.max.size", ct::int_, cd::of("1"), ci::high,
        "At most this many records in one request. Records are sent as soon as put "
        "hands them over: a batch is also cut short by the end of what was consumed.",
        batch, validators::at_least(1)));
    d.define(make_config_key(
        "batch.json.as.array", ct::boolean, cd::null(), ci::medium,
        "The body of a batch is a JSON array of its records. Default: true when "
        "batch.max.size > 1 and none of batch.prefix, batch.suffix, batch.separator is "
        "set; otherwise the records joined by batch.separator (one record alone with "
        "batch.max.size 1).",
        batch));
    d.define(make_config_key("batch.prefix", ct::string, cd::of(""), ci::low,
                             "Text before the first record of a batch.", batch));
    d.define(make_config_key("batch.suffix", ct::string, cd::of(""), ci::low,
                             "Text after the last record of a batch.", batch));
    d.define(
        make_config_key("batch.separator", ct::string, cd::of(","), ci::low,
                        "Text between the records of a batch. These three are taken as written, "
                        "spaces and line breaks kept (\"\\n\" makes newline-delimited JSON).",
                        batch));
    d.define(make_config_key(
        "request.body.format", ct::string, cd::of("string"), ci::medium,
        "How a record becomes text: string (a string or bytes value as it is, anything "
        "else as JSON) or json (every value as JSON: strings quoted, bytes as base64).",
        batch, validators::one_of({"string", "json"}, true)));
    d.define(make_config_key(
        "max.retries", ct::int_, cd::of("10"), ci::medium,
        "How often a request that failed with a connection error, a timeout, 408, 429 "
        "or 5xx is tried again before the batch counts as failed (behavior.on.error); "
        "-1: forever.",
        retry, validators::at_least(-1)));
    d.define(
        make_config_key("retry.backoff.ms", ct::int_, cd::of("3000"), ci::medium,
                        "The wait before the first retry; the policy decides the later ones. A "
                        "Retry-After header of the answer wins.",
                        retry, validators::at_least(0)));
    d.define(make_config_key(
        "retry.backoff.policy", ct::string, cd::of("EXPONENTIAL_WITH_JITTER"), ci::low,
        "CONSTANT_VALUE: every wait is retry.backoff.ms; EXPONENTIAL_WITH_JITTER: it "
        "doubles on each retry (up to 60 s), each wait a random 50–100% of that.",
        retry, validators::one_of({"CONSTANT_VALUE", "EXPONENTIAL_WITH_JITTER"}, true)));
    d.define(make_config_key(
        "behavior.on.error", ct::string, cd::of("fail"), ci::medium,
        "A batch refused for good (a 4xx other than 408 and 429, or retries "
        "exhausted): fail reports its records to errors.* (errors.tolerance=none: the "
        "task fails; all: they are skipped and dead-lettered); log and ignore skip them "
        "and go on whatever errors.tolerance says (log with a warning).",
        retry, validators::one_of({"fail", "log", "ignore"}, true)));
    return d;
  }();
  return def;
}

std::vector<std::pair<std::string, std::string>> cross_key_errors(const config_map& props) {
  std::vector<std::pair<std::string, std::string>> out;
  auto p = sink_config_def().parse(props);
  if (!p) return out;  // the keys' own errors come first
  const auto& c = p.value();
  auto auth = upper(c.get_string("auth.type"));
  if (auth == "OAUTH2")
    out.emplace_back("auth.type",
                     "auth.type OAUTH2 is not supported by runnel's HTTP sink: use BASIC, or put "
                     "a token in headers (Authorization:Bearer TOKEN)");
  if (auth == "BASIC" && c.get_string("connection.user").empty())
    out.emplace_back("connection.user", "auth.type BASIC needs connection.user");
  if (c.has("batch.json.as.array") && c.get_bool("batch.json.as.array") &&
      (given(props, "batch.prefix") || given(props, "batch.suffix") ||
       given(props, "batch.separator")))
    out.emplace_back("batch.json.as.array",
                     "batch.json.as.array=true and batch.prefix/batch.suffix/batch.separator are "
                     "two ways to shape a batch body: set one of them");
  if (c.get_string("header.separator").empty())
    out.emplace_back("header.separator", "header.separator must not be empty");
  if (auto h = parse_headers(c.get_string("headers"), c.get_string("header.separator")); !h)
    out.emplace_back("headers", h.error().message);
  return out;
}

result<sink_config> sink_config::parse(const config_map& props) {
  CONNECT_TRY(auto p, sink_config_def().parse(props));
  if (auto errs = cross_key_errors(props); !errs.empty()) {
    std::string msg;
    for (const auto& [k, e] : errs) msg += (msg.empty() ? "" : "; ") + e;
    return make_error(errc::invalid_config, std::move(msg));
  }
  sink_config c;
  c.url = p.get_string("http.api.url");
  c.method = upper(p.get_string("request.method"));
  CONNECT_TRY(c.headers, parse_headers(p.get_string("headers"), p.get_string("header.separator")));
  c.has_content_type = std::any_of(c.headers.begin(), c.headers.end(), [](const std::string& h) {
    return upper(h.substr(0, 13)) == "CONTENT-TYPE:";
  });
  if (upper(p.get_string("auth.type")) == "BASIC") {
    c.user = p.get_string("connection.user");
    c.password = p.get_string("connection.password");
  }
  c.connect_timeout = std::chrono::milliseconds(p.get_long("http.connect.timeout.ms"));
  c.request_timeout = std::chrono::milliseconds(p.get_long("http.request.timeout.ms"));
  c.batch_max_size = p.get_int("batch.max.size");
  c.format = upper(p.get_string("request.body.format")) == "JSON" ? body_format::json
                                                                  : body_format::string;
  bool shaped = given(props, "batch.prefix") || given(props, "batch.suffix") ||
                given(props, "batch.separator");
  bool as_array = p.has("batch.json.as.array") ? p.get_bool("batch.json.as.array")
                                               : c.batch_max_size > 1 && !shaped;
  if (as_array) {
    c.prefix = "[";
    c.separator = ",";
    c.suffix = "]";
  } else {
    // As written, not trimmed as other strings are: "\n" makes NDJSON.
    auto raw = [&](const char* k, const char* def) {
      return given(props, k) ? props.at(k) : std::string(def);
    };
    c.prefix = raw("batch.prefix", "");
    c.separator = raw("batch.separator", ",");
    c.suffix = raw("batch.suffix", "");
  }
  c.max_retries = p.get_int("max.retries");
  c.retry_backoff = std::chrono::milliseconds(p.get_long("retry.backoff.ms"));
  c.backoff = upper(p.get_string("retry.backoff.policy")) == "CONSTANT_VALUE"
                  ? backoff_policy::constant
                  : backoff_policy::exponential_with_jitter;
  auto b = upper(p.get_string("behavior.on.error"));
  c.behavior = b == "LOG" ? on_error::log : b == "IGNORE" ? on_error::ignore : on_error::fail;
  return c;
}

}  // namespace runnel::connect::http
