// S3 (and S3-compatible stores) behind blob_store: ListObjectsV2, HeadObject,
// GetObject with Range, PutObject, DeleteObject, CopyObject. Requests are
// signed with AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4); the
// payload hash is sent as x-amz-content-sha256, as S3 requires.
//
// Addressing: virtual-host style (https://bucket.host/key, AWS's default)
// or path style (https://host/bucket/key, what most S3-compatible stores and
// emulators expect).
//
// Threading: one thread at a time (one libcurl handle).
#pragma once

#include <chrono>
#include <string>

#include "connect/objstore/blob_store.h"
#include "connect/objstore/http.h"

namespace runnel::connect::objstore {

struct s3_config {
  std::string bucket;
  std::string region = "us-east-1";
  // scheme://host[:port]; empty: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  bool path_style = false;
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials; empty: none
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

class s3_store final : public blob_store {
 public:
  // errc::invalid_config for a missing bucket, credentials or a bad endpoint.
  static result<std::unique_ptr<s3_store>> open(s3_config config);

  std::string_view kind() const override { return "s3"; }
  const std::string& container() const override { return config_.bucket; }

  result<list_page> list(const list_request& req) override;
  result<object_info> stat(std::string_view key) override;
  result<std::string> write(std::string_view key, std::string_view bytes) override;
  result<void> remove(std::string_view key) override;
  result<void> copy(std::string_view from, std::string_view to) override;

 protected:
  result<std::string> read_bytes(std::string_view key, int64_t offset,
                                 std::optional<int64_t> length, std::string_view if_etag) override;

 private:
  s3_store(s3_config config, std::string scheme, std::string host);
  // The URL of the bucket ("" key) or of one object, plus `query`.
  std::string url(std::string_view key, std::string_view query = {}) const;
  http_request request(std::string method, std::string url, std::string_view body = {}) const;
  std::string where(std::string_view key) const;  // "s3://bucket/key" for messages

  s3_config config_;
  std::string scheme_;  // "https"
  std::string host_;    // "s3.us-east-1.amazonaws.com" or "127.0.0.1:9000"
  http_session http_;
};

// The sorted, AWS-encoded query string of a ListObjectsV2 request (exposed
// for the unit test: SigV4 signs the canonical form, which this already is).
std::string list_objects_v2_query(const list_request& req);

// SHA-256 of `bytes`, lower-case hex (the x-amz-content-sha256 value).
std::string sha256_hex(std::string_view bytes);

}  // namespace runnel::connect::objstore
