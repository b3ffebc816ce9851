// admin_server: the small HTTP server every runnel process embeds for
// operators and Prometheus (Boost.Beast, HTTP/1.1, keep-alive):
//
//   GET /metrics        the registry in Prometheus' text format
//   GET /health         200 while the process is alive (503 if `alive` says not)
//   GET /ready          200 when it serves (the broker: logs recovered and the
//                       Kafka listener bound; a stream app: running), else 503
//   GET /v1/loglevel    {"level":"info"}
//   PUT /v1/loglevel?level=debug[&expires=SECONDS]
//                       sets the level of every logger; with expires, the
//                       previous level comes back after that many seconds
//                       (also a JSON body {"level":"debug","expires":60})
//   GET /               this list
//   anything else       options.api, when set (a component's own API)
//
// Threads: one thread runs the listener and the requests; scrapes run on a
// second one, so /health and /ready answer while a collector waits on the
// broker's shards. The `alive` and `ready` callbacks run on the first: they
// must be quick and thread-safe (read atomics).
//
// Requests are small: a body over max_body_bytes (64 KiB), or a connection
// idle for 30 s, closes the connection; at most 64 connections at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/result.h"
#include "observe/registry.h"

namespace runnel::observe {

struct status {
  bool ok = true;
  std::string detail;  // why not, shown in the 503 body
};

// A request handed to a component's own API (api_handler below).
struct http_call {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query: "/connectors?expand=status"
  std::string body;
};

struct http_reply {
  int status = 200;
  std::string body;  // empty: no body (204)
  std::string content_type = "application/json";
};

// A component's API served on the same listener (connect's REST API on its
// own port): asked first, nullopt leaves the request to the endpoints
// above. It runs on a pool of api_threads threads, never on the I/O
// thread, so it may block (connect waits for its config topic).
using api_handler = std::function<std::optional<http_reply>(const http_call&)>;

struct admin_options {
  std::string host = "127.0.0.1";
  uint16_t port = 9644;           // 0: any free port (see admin_server::port())
  registry* metrics = nullptr;    // nullptr: registry::global()
  std::function<status()> alive;  // unset: alive
  std::function<status()> ready;  // unset: ready
  api_handler api;                // unset: only the endpoints above
  int api_threads = 4;
  size_t max_body_bytes = 64 * 1024;  // a larger body closes the connection
};

class admin_server {
 public:
  // Resolves and binds host:port, then serves on its own threads.
  static result<std::unique_ptr<admin_server>> start(admin_options o);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  uint16_t port() const;
  // Stops listening and serving; returns once the threads are joined.
  void stop();

  struct impl;  // admin_server.cc

 private:
  explicit admin_server(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// "HOST:PORT" ("127.0.0.1:9644", "localhost:0", "[::1]:9644"); nullopt if malformed.
std::optional<std::pair<std::string, uint16_t>> parse_host_port(std::string_view s);

}  // namespace runnel::observe
