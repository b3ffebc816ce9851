// rest_api: Kafka Connect's REST API over a herder — same paths, same JSON
// (docs/connect/rest.md lists every endpoint). Transport-free: a request in,
// a response out, so that any HTTP server can carry it (observe's admin
// server, started by service.h) and tests can call it directly.
//
// Thread-safety: handle() may run on several threads at once; it blocks
// while the herder writes to the config topic.
#pragma once

#include <string>

#include "connect/runtime/herder.h"

namespace runnel::connect {

struct http_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query: "/connectors?expand=status"
  std::string body;
};

struct http_response {
  int status = 200;
  std::string body;  // JSON (empty for 204)
};

class rest_api {
 public:
  explicit rest_api(herder& h) : h_(h) {}
  http_response handle(const http_request& req);

 private:
  herder& h_;
};

// The one place where connect errors become HTTP statuses.
int http_status(errc e);

}  // namespace runnel::connect
