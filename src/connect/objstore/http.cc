#include "connect/objstore/http.h"

#include <curl/curl.h>

#include <strings.h>
#include <algorithm>

#include <cctype>
#include <ctime>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace runnel::connect::objstore {

namespace {

// curl_global_init is not thread-safe before libcurl 7.84: do it once.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    // A status line starts a new response (after a redirect or 100-continue).
    if (line.starts_with("HTTP/")) headers->clear();
    return size * n;
  }
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  (*headers)[name] = std::string(value);
  return size * n;
}

}  // namespace

std::string http_response::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

http_session::http_session(std::chrono::milliseconds timeout,
                           std::chrono::milliseconds connect_timeout)
    : timeout_(timeout), connect_timeout_(connect_timeout) {
  global_init();
  curl_ = curl_easy_init();
  if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

http_session::~http_session() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

result<http_response> http_session::perform(const http_request& req) {
  auto* c = static_cast<CURL*>(curl_);
  // Options do not carry over between requests; the connection cache does.
  curl_easy_reset(c);
  http_response resp;
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(connect_timeout_.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);

  curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  // No "Expect: 100-continue" round trip before a body: the stores answer
  // errors after the body just as well, and small files dominate. Not with
  // SigV4: libcurl 7.88 would sign the empty header it does not send.
  if (req.aws_sigv4.empty()) headers = curl_slist_append(headers, "Expect:");

  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT" || req.method == "POST" || req.method == "PATCH") {
    // POSTFIELDS (not an upload callback) so that libcurl's SigV4 hashes the
    // payload it signs; the method name is then replaced.
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    if (req.method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    bool has_type = std::any_of(req.headers.begin(), req.headers.end(), [](const std::string& h) {
      return h.size() > 13 && strncasecmp(h.c_str(), "content-type:", 13) == 0;
    });
    if (!has_type) headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (!req.aws_sigv4.empty()) {
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req.aws_sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, req.aws_credentials.c_str());
  } else if (!req.user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, req.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, req.password.c_str());
  }

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return make_error(errc::retriable,
                      fmt::format("{} {}: {}", req.method, req.url, curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

std::optional<std::chrono::milliseconds> retry_after(const http_response& r,
                                                     std::chrono::system_clock::time_point now) {
  std::string v = r.header("retry-after");
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::nullopt;  // past 30 years: not a real request
    return std::chrono::seconds(std::stol(v));
  }
  time_t at = curl_getdate(v.c_str(), nullptr);  // IMF-fixdate and the obsolete forms
  if (at < 0) return std::nullopt;
  auto wait = std::chrono::system_clock::from_time_t(at) - now;
  if (wait < std::chrono::milliseconds(0)) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(wait);
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

error http_status_error(const http_response& r, std::string_view what, std::string_view detail) {
  std::string msg = fmt::format("{}: HTTP {}", what, r.status);
  if (!detail.empty()) msg += fmt::format(" ({})", detail);
  errc kind = errc::fatal;
  if (r.status == 404) {
    kind = errc::not_found;
  } else if (r.status == 409 || r.status == 412) {
    kind = errc::conflict;
  } else if (r.status == 408 || r.status == 429 || r.status >= 500) {
    kind = errc::retriable;
  } else if (r.status == 400) {
    kind = errc::bad_request;
  }
  return make_error(kind, std::move(msg));
}

}  // namespace runnel::connect::objstore
