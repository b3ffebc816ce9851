#include "connect/objstore/azure_blob_store.h"

#include <thread>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "connect/objstore/time_format.h"

namespace runnel::connect::objstore {

namespace {

std::string strip_quotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// "Code: Message" of an Azure <Error> document, or the x-ms-error-code.
std::string error_detail(const http_response& r) {
  pugi::xml_document doc;
  if (!r.body.empty() && doc.load_buffer(r.body.data(), r.body.size())) {
    if (auto e = doc.child("Error")) {
      return fmt::format("{}: {}", e.child_value("Code"), e.child_value("Message"));
    }
  }
  return r.header("x-ms-error-code");
}

}  // namespace

result<std::unique_ptr<azure_blob_store>> azure_blob_store::open(azure_blob_config config) {
  if (config.container.empty()) {
    return make_error(errc::invalid_config, "Azure Blob: no container given");
  }
  CONNECT_TRY(auto signer, azure_signer::make(config.credentials));
  std::string base = config.endpoint.empty() ? fmt::format("https://{}.blob.core.windows.net",
                                                           config.credentials.account)
                                             : config.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!base.starts_with("http://") && !base.starts_with("https://")) {
    return make_error(errc::invalid_config,
                      fmt::format("Azure Blob: endpoint '{}' is not an http(s) URL", base));
  }
  return std::unique_ptr<azure_blob_store>(
      new azure_blob_store(std::move(config), std::move(signer), std::move(base)));
}

azure_blob_store::azure_blob_store(azure_blob_config config, azure_signer signer, std::string base)
    : config_(std::move(config)),
      signer_(std::move(signer)),
      base_(std::move(base)),
      http_(config_.timeout) {}

std::string azure_blob_store::blob_url(std::string_view key) const {
  return fmt::format("{}/{}/{}", base_, config_.container, uri_encode(key, true));
}

std::string azure_blob_store::where(std::string_view key) const {
  return fmt::format("azure://{}/{}/{}", signer_.account(), config_.container, key);
}

result<http_response> azure_blob_store::perform(http_request r) {
  signer_.sign(r);
  return http_.perform(r);
}

result<list_page> azure_blob_store::list(const list_request& req) {
  // Query parameters in sorted order; List Blobs has no "start after", so
  // it is applied to the answer.
  std::string url = fmt::format("{}/{}?comp=list", base_, config_.container);
  if (!req.token.empty()) url += "&marker=" + uri_encode(req.token);
  url += fmt::format("&maxresults={}", req.max_keys);
  if (!req.prefix.empty()) url += "&prefix=" + uri_encode(req.prefix);
  url += "&restype=container";
  http_request r;
  r.url = std::move(url);
  CONNECT_TRY(auto resp, perform(std::move(r)));
  auto what = fmt::format("List Blobs {}", where(req.prefix));
  if (resp.status != 200) return http_status_error(resp, what, error_detail(resp));
  pugi::xml_document doc;
  if (!doc.load_buffer(resp.body.data(), resp.body.size())) {
    return make_error(errc::retriable, what + ": the answer is not XML");
  }
  auto root = doc.child("EnumerationResults");
  if (!root) return make_error(errc::retriable, what + ": no EnumerationResults in the answer");
  list_page page;
  for (auto b : root.child("Blobs").children("Blob")) {
    object_info o;
    o.key = b.child_value("Name");
    auto props = b.child("Properties");
    o.etag = strip_quotes(props.child_value("Etag"));
    o.size = props.child("Content-Length").text().as_llong(-1);
    auto t = parse_http_date(props.child_value("Last-Modified"));
    if (o.key.empty() || o.size < 0 || !t) {
      return make_error(errc::retriable,
                        what + ": an entry without Name, Content-Length or Last-Modified");
    }
    o.last_modified = *t;
    if (req.token.empty() && !req.start_after.empty() && o.key <= req.start_after) continue;
    page.objects.push_back(std::move(o));
  }
  page.next_token = root.child_value("NextMarker");
  return page;
}

result<object_info> azure_blob_store::stat(std::string_view key) {
  http_request r;
  r.method = "HEAD";
  r.url = blob_url(key);
  CONNECT_TRY(auto resp, perform(std::move(r)));
  if (resp.status != 200) {
    return http_status_error(resp, "Get Blob Properties " + where(key), error_detail(resp));
  }
  object_info o;
  o.key = std::string(key);
  o.etag = strip_quotes(resp.header("etag"));
  o.size = std::stoll("0" + resp.header("content-length"));
  o.last_modified = parse_http_date(resp.header("last-modified")).value_or(time_point{});
  return o;
}

result<std::string> azure_blob_store::read_bytes(std::string_view key, int64_t offset,
                                                 std::optional<int64_t> length,
                                                 std::string_view if_etag) {
  if (offset < 0 || (length && *length < 0)) {
    return make_error(errc::bad_request, "read " + where(key) + ": negative offset or length");
  }
  if (length && *length == 0) return std::string();
  http_request r;
  r.url = blob_url(key);
  bool ranged = offset > 0 || length;
  if (ranged) {
    r.headers.push_back(length
                            ? fmt::format("x-ms-range: bytes={}-{}", offset, offset + *length - 1)
                            : fmt::format("x-ms-range: bytes={}-", offset));
  }
  if (!if_etag.empty()) r.headers.push_back(fmt::format("If-Match: \"{}\"", if_etag));
  CONNECT_TRY(auto resp, perform(std::move(r)));
  if (resp.status == 416) return std::string();
  // Not every store honours If-Match on reads (s3rver does not): the
  // answer's own ETag is checked too.
  if ((resp.status == 200 || resp.status == 206) && !if_etag.empty() &&
      strip_quotes(resp.header("etag")) != if_etag) {
    return make_error(errc::conflict,
                      fmt::format("{} {}: replaced since it was listed", "Get Blob", where(key)));
  }
  if (resp.status == 200 && ranged) {
    if (offset >= int64_t(resp.body.size())) return std::string();
    return resp.body.substr(size_t(offset), length ? size_t(*length) : std::string::npos);
  }
  if (resp.status != 200 && resp.status != 206) {
    return http_status_error(resp, "Get Blob " + where(key), error_detail(resp));
  }
  return std::move(resp.body);
}

result<std::string> azure_blob_store::write(std::string_view key, std::string_view bytes) {
  http_request r;
  r.method = "PUT";
  r.url = blob_url(key);
  r.body = bytes;
  r.headers = {"Content-Type: application/octet-stream", "x-ms-blob-type: BlockBlob"};
  CONNECT_TRY(auto resp, perform(std::move(r)));
  if (resp.status != 201)
    return http_status_error(resp, "Put Blob " + where(key), error_detail(resp));
  return strip_quotes(resp.header("etag"));
}

result<void> azure_blob_store::remove(std::string_view key) {
  http_request r;
  r.method = "DELETE";
  r.url = blob_url(key);
  CONNECT_TRY(auto resp, perform(std::move(r)));
  if (resp.status == 202 || resp.status == 200 || resp.status == 404) return ok();
  return http_status_error(resp, "Delete Blob " + where(key), error_detail(resp));
}

result<void> azure_blob_store::copy(std::string_view from, std::string_view to) {
  http_request r;
  r.method = "PUT";
  r.url = blob_url(to);
  r.headers = {"Content-Type: application/octet-stream",
               "x-ms-copy-source: " + signer_.with_sas(blob_url(from))};
  CONNECT_TRY(auto resp, perform(std::move(r)));
  auto what = fmt::format("Copy Blob {} to {}", where(from), where(to));
  if (resp.status != 202 && resp.status != 201) {
    return http_status_error(resp, what, error_detail(resp));
  }
  // A copy inside one account is usually done at once; otherwise it runs
  // on the server and the destination's properties tell when it ends.
  auto status = resp.header("x-ms-copy-status");
  auto deadline = std::chrono::steady_clock::now() + config_.copy_timeout;
  auto pause = std::chrono::milliseconds(50);
  while (status == "pending") {
    if (std::chrono::steady_clock::now() > deadline) {
      return make_error(errc::retriable, what + ": still pending after the copy timeout");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    http_request h;
    h.method = "HEAD";
    h.url = blob_url(to);
    CONNECT_TRY(auto props, perform(std::move(h)));
    if (props.status != 200) return http_status_error(props, what, error_detail(props));
    status = props.header("x-ms-copy-status");
  }
  if (!status.empty() && status != "success") {
    return make_error(errc::retriable, fmt::format("{}: copy status {}", what, status));
  }
  return ok();
}

}  // namespace runnel::connect::objstore
