#include "connect/objstore/s3_store.h"

#include <openssl/evp.h>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "connect/objstore/time_format.h"

namespace runnel::connect::objstore {

namespace {

std::string strip_quotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// "Code: Message" of an S3 <Error> document, or "".
std::string error_detail(const std::string& body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return {};
  auto e = doc.child("Error");
  if (!e) return {};
  return fmt::format("{}: {}", e.child_value("Code"), e.child_value("Message"));
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string list_objects_v2_query(const list_request& req) {
  // In the order SigV4's canonical query string needs (sorted by name).
  std::string q;
  auto add = [&q](std::string_view name, std::string_view value) {
    if (!q.empty()) q += '&';
    q += name;
    q += '=';
    q += uri_encode(value);
  };
  if (!req.token.empty()) add("continuation-token", req.token);
  add("list-type", "2");
  add("max-keys", std::to_string(req.max_keys));
  add("prefix", req.prefix);
  if (req.token.empty() && !req.start_after.empty()) add("start-after", req.start_after);
  return q;
}

result<std::unique_ptr<s3_store>> s3_store::open(s3_config config) {
  if (config.bucket.empty()) return make_error(errc::invalid_config, "S3: no bucket given");
  if (config.access_key.empty() || config.secret_key.empty()) {
    return make_error(errc::invalid_config, "S3: no access key and secret key given");
  }
  if (config.region.empty()) return make_error(errc::invalid_config, "S3: no region given");
  std::string endpoint = config.endpoint.empty()
                             ? fmt::format("https://s3.{}.amazonaws.com", config.region)
                             : config.endpoint;
  auto sep = endpoint.find("://");
  if (sep == std::string::npos) {
    return make_error(errc::invalid_config,
                      fmt::format("S3: endpoint '{}' is not scheme://host[:port]", endpoint));
  }
  std::string scheme = endpoint.substr(0, sep);
  std::string host = endpoint.substr(sep + 3);
  while (!host.empty() && host.back() == '/') host.pop_back();
  if ((scheme != "http" && scheme != "https") || host.empty() ||
      host.find('/') != std::string::npos) {
    return make_error(errc::invalid_config,
                      fmt::format("S3: endpoint '{}' is not http(s)://host[:port]", endpoint));
  }
  return std::unique_ptr<s3_store>(new s3_store(std::move(config), scheme, host));
}

s3_store::s3_store(s3_config config, std::string scheme, std::string host)
    : config_(std::move(config)),
      scheme_(std::move(scheme)),
      host_(std::move(host)),
      http_(config_.timeout) {}

std::string s3_store::url(std::string_view key, std::string_view query) const {
  std::string u =
      config_.path_style
          ? fmt::format("{}://{}/{}/{}", scheme_, host_, config_.bucket, uri_encode(key, true))
          : fmt::format("{}://{}.{}/{}", scheme_, config_.bucket, host_, uri_encode(key, true));
  if (!query.empty()) {
    u += '?';
    u += query;
  }
  return u;
}

http_request s3_store::request(std::string method, std::string url, std::string_view body) const {
  http_request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = body;
  r.aws_sigv4 = fmt::format("aws:amz:{}:s3", config_.region);
  r.aws_credentials = config_.access_key + ":" + config_.secret_key;
  r.headers.push_back("x-amz-content-sha256: " + sha256_hex(body));
  if (!config_.session_token.empty()) {
    r.headers.push_back("x-amz-security-token: " + config_.session_token);
  }
  return r;
}

std::string s3_store::where(std::string_view key) const {
  return fmt::format("s3://{}/{}", config_.bucket, key);
}

result<list_page> s3_store::list(const list_request& req) {
  auto r = request("GET", url("", list_objects_v2_query(req)));
  CONNECT_TRY(auto resp, http_.perform(r));
  auto what = fmt::format("ListObjectsV2 s3://{}/{}", config_.bucket, req.prefix);
  if (resp.status != 200) return http_status_error(resp, what, error_detail(resp.body));
  pugi::xml_document doc;
  if (!doc.load_buffer(resp.body.data(), resp.body.size())) {
    return make_error(errc::retriable, what + ": the answer is not XML");
  }
  auto root = doc.child("ListBucketResult");
  if (!root) return make_error(errc::retriable, what + ": no ListBucketResult in the answer");
  list_page page;
  for (auto c : root.children("Contents")) {
    object_info o;
    o.key = c.child_value("Key");
    o.etag = strip_quotes(c.child_value("ETag"));
    o.size = c.child("Size").text().as_llong(-1);
    auto t = parse_iso8601(c.child_value("LastModified"));
    if (o.key.empty() || o.size < 0 || !t) {
      return make_error(errc::retriable, what + ": an entry without Key, Size or LastModified");
    }
    o.last_modified = *t;
    page.objects.push_back(std::move(o));
  }
  if (std::string_view(root.child_value("IsTruncated")) == "true") {
    page.next_token = root.child_value("NextContinuationToken");
    if (page.next_token.empty()) {
      return make_error(errc::retriable, what + ": truncated without NextContinuationToken");
    }
  }
  return page;
}

result<object_info> s3_store::stat(std::string_view key) {
  CONNECT_TRY(auto resp, http_.perform(request("HEAD", url(key))));
  if (resp.status != 200) return http_status_error(resp, "HeadObject " + where(key), {});
  object_info o;
  o.key = std::string(key);
  o.etag = strip_quotes(resp.header("etag"));
  o.size = std::stoll("0" + resp.header("content-length"));
  o.last_modified = parse_http_date(resp.header("last-modified")).value_or(time_point{});
  return o;
}

result<std::string> s3_store::read_bytes(std::string_view key, int64_t offset,
                                         std::optional<int64_t> length, std::string_view if_etag) {
  if (offset < 0 || (length && *length < 0)) {
    return make_error(errc::bad_request, "read " + where(key) + ": negative offset or length");
  }
  if (length && *length == 0) return std::string();
  auto r = request("GET", url(key));
  bool ranged = offset > 0 || length;
  if (ranged) {
    r.headers.push_back(length ? fmt::format("Range: bytes={}-{}", offset, offset + *length - 1)
                               : fmt::format("Range: bytes={}-", offset));
  }
  if (!if_etag.empty()) r.headers.push_back(fmt::format("If-Match: \"{}\"", if_etag));
  CONNECT_TRY(auto resp, http_.perform(r));
  if (resp.status == 416) return std::string();  // the range starts at or past the end
  // Not every store honours If-Match on reads (s3rver does not): the
  // answer's own ETag is checked too.
  if ((resp.status == 200 || resp.status == 206) && !if_etag.empty() &&
      strip_quotes(resp.header("etag")) != if_etag) {
    return make_error(errc::conflict,
                      fmt::format("{} {}: replaced since it was listed", "GetObject", where(key)));
  }
  if (resp.status == 200 && ranged) {
    // The store ignored the range: cut it out here.
    if (offset >= int64_t(resp.body.size())) return std::string();
    return resp.body.substr(size_t(offset), length ? size_t(*length) : std::string::npos);
  }
  if (resp.status != 200 && resp.status != 206) {
    return http_status_error(resp, "GetObject " + where(key), error_detail(resp.body));
  }
  return std::move(resp.body);
}

result<std::string> s3_store::write(std::string_view key, std::string_view bytes) {
  CONNECT_TRY(auto resp, http_.perform(request("PUT", url(key), bytes)));
  if (resp.status != 200) {
    return http_status_error(resp, "PutObject " + where(key), error_detail(resp.body));
  }
  return strip_quotes(resp.header("etag"));
}

result<void> s3_store::remove(std::string_view key) {
  CONNECT_TRY(auto resp, http_.perform(request("DELETE", url(key))));
  if (resp.status == 204 || resp.status == 200 || resp.status == 404) return ok();
  return http_status_error(resp, "DeleteObject " + where(key), error_detail(resp.body));
}

result<void> s3_store::copy(std::string_view from, std::string_view to) {
  auto r = request("PUT", url(to));
  r.headers.push_back(
      fmt::format("x-amz-copy-source: /{}/{}", config_.bucket, uri_encode(from, true)));
  CONNECT_TRY(auto resp, http_.perform(r));
  auto what = fmt::format("CopyObject {} to {}", where(from), where(to));
  if (resp.status != 200) return http_status_error(resp, what, error_detail(resp.body));
  // S3 may answer 200 and report a failure in the body.
  if (auto detail = error_detail(resp.body); !detail.empty()) {
    return make_error(errc::retriable, fmt::format("{}: {}", what, detail));
  }
  return ok();
}

}  // namespace runnel::connect::objstore
