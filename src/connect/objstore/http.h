// HTTP requests over one libcurl easy handle per session (so connections
// are kept alive and reused), for the object-store backends and the HTTP
// sink (http/). S3 requests are signed by libcurl itself
// (CURLOPT_AWS_SIGV4); Azure's Shared Key signature is computed by
// azure_auth.h and passed as a header; HTTP Basic credentials are libcurl's
// too.
//
// Threading: a session is used by one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect::objstore {

struct http_request {
  std::string method = "GET";        // GET, HEAD, PUT, DELETE, POST, PATCH
  std::string url;                   // already percent-encoded
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // sent with PUT, POST and PATCH (also when empty)
  // libcurl's SigV4 provider string ("aws:amz:us-east-1:s3") and
  // "access_key:secret_key"; empty: no SigV4 signature.
  std::string aws_sigv4;
  std::string aws_credentials;
  // HTTP Basic authentication when `user` is not empty (libcurl encodes it;
  // separate fields, so a ':' in the user name is not ambiguous).
  std::string user;
  std::string password;
};

struct http_response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent. `name` in lower case.
  std::string header(std::string_view name) const;
};

class http_session {
 public:
  // `timeout` bounds a whole request, `connect_timeout` its TCP (and TLS)
  // connection.
  explicit http_session(std::chrono::milliseconds timeout = std::chrono::seconds(60),
                        std::chrono::milliseconds connect_timeout = std::chrono::seconds(10));
  ~http_session();
  http_session(const http_session&) = delete;
  http_session& operator=(const http_session&) = delete;

  // Any HTTP status is a response; a failed transfer (no connection, reset,
  // timeout) is errc::retriable.
  result<http_response> perform(const http_request& req);

 private:
  void* curl_;  // CURL*
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds connect_timeout_;
};

// How long a response's Retry-After header (RFC 9110 §10.2.3: seconds, or an
// HTTP-date) asks the client to wait, from `now`; nullopt when there is no
// usable header. A date in the past is zero.
std::optional<std::chrono::milliseconds> retry_after(
    const http_response& r,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Percent-encodes everything but RFC 3986's unreserved characters (AWS's
// UriEncode); '/' too unless `keep_slash`.
std::string uri_encode(std::string_view s, bool keep_slash = false);

// The error of an HTTP status that is not a success: 404 not_found, 412 and
// 409 conflict, 408/429/5xx retriable, 400 bad_request, other fatal (401,
// 403: credentials). `what` says which request ("GET s3://b/k").
error http_status_error(const http_response& r, std::string_view what, std::string_view detail);

}  // namespace runnel::connect::objstore
