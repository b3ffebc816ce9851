// Azure Blob Storage behind blob_store: List Blobs, Get Blob Properties, Get
// Blob with x-ms-range, Put Blob (block blobs), Delete Blob, Copy Blob.
// Authorized with Shared Key or a SAS token (azure_auth.h).
//
// The endpoint is the account's blob service URL: by default
// https://<account>.blob.core.windows.net; an emulator such as Azurite
// serves accounts by path (http://127.0.0.1:10000/devstoreaccount1).
//
// Threading: one thread at a time (one libcurl handle).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "connect/objstore/azure_auth.h"
#include "connect/objstore/blob_store.h"
#include "connect/objstore/http.h"

namespace runnel::connect::objstore {

struct azure_blob_config {
  azure_credentials credentials;
  std::string container;
  std::string endpoint;  // empty: https://<account>.blob.core.windows.net
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // How long copy() waits for an asynchronous server-side copy to finish.
  std::chrono::milliseconds copy_timeout = std::chrono::seconds(120);
};

class azure_blob_store final : public blob_store {
 public:
  static result<std::unique_ptr<azure_blob_store>> open(azure_blob_config config);

  std::string_view kind() const override { return "azure"; }
  const std::string& container() const override { return config_.container; }

  result<list_page> list(const list_request& req) override;
  result<object_info> stat(std::string_view key) override;
  result<std::string> write(std::string_view key, std::string_view bytes) override;
  result<void> remove(std::string_view key) override;
  result<void> copy(std::string_view from, std::string_view to) override;

 protected:
  result<std::string> read_bytes(std::string_view key, int64_t offset,
                                 std::optional<int64_t> length, std::string_view if_etag) override;

 private:
  azure_blob_store(azure_blob_config config, azure_signer signer, std::string base);
  std::string blob_url(std::string_view key) const;
  result<http_response> perform(http_request r);
  std::string where(std::string_view key) const;

  azure_blob_config config_;
  azure_signer signer_;
  std::string base_;  // the endpoint without a trailing '/'
  http_session http_;
};

}  // namespace runnel::connect::objstore
