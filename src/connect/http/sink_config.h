// The configuration of the HTTP sink: Confluent's HttpSinkConnector keys
// where runnel does the same thing (docs/connect/http-sink.md lists them),
// parsed once into typed settings.
//
// Cross-key rules (auth.type=BASIC needs connection.user, the body shaped
// either as a JSON array or by batch.prefix/suffix/separator) are checked by
// parse() and reported per key by cross_key_errors() for REST validation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "connect/api/config_def.h"

namespace runnel::connect::http {

// What happens to a batch the endpoint refused for good (a 4xx other than
// 408/429, or retries exhausted): fail reports its records through errors.*
// (errors.tolerance=none: the task fails); log and ignore skip it whatever
// errors.tolerance says (log with a warning), still dead-lettering when
// errors.tolerance=all.
enum class on_error { fail, log, ignore };
enum class backoff_policy { constant, exponential_with_jitter };
// string: a string or bytes value is sent as its raw text; json: every value
// as JSON (a string quoted, bytes as base64).
enum class body_format { string, json };

struct sink_config {
  std::string url;                   // may hold ${topic} and ${key}
  std::string method;                // POST, PUT or PATCH
  std::vector<std::string> headers;  // "Name: value", as libcurl takes them
  bool has_content_type = false;     // headers set Content-Type themselves
  std::string user, password;        // auth.type=BASIC
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds request_timeout{30000};

  int32_t batch_max_size = 1;
  body_format format = body_format::string;
  std::string prefix, separator = ",", suffix;  // the batch body around its records

  int32_t max_retries = 10;  // -1: retry forever
  std::chrono::milliseconds retry_backoff{3000};
  backoff_policy backoff = backoff_policy::exponential_with_jitter;
  on_error behavior = on_error::fail;

  static result<sink_config> parse(const config_map& props);
};

const config_def& sink_config_def();

// The rules across keys a config breaks: (key, sentence) pairs, empty when
// none. The keys' own types and validators are config_def's.
std::vector<std::pair<std::string, std::string>> cross_key_errors(const config_map& props);

}  // namespace runnel::connect::http
