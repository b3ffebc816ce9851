// An Azure Storage queue (the Queue service's REST API: Get Messages,
// Delete Message), where Event Grid delivers a storage account's
// BlobCreated events. Authorized like the blobs (azure_auth.h).
//
// Threading: one thread at a time (one libcurl handle).
#pragma once

#include <memory>
#include <string>

#include "connect/objstore/azure_auth.h"
#include "connect/objstore/event_queue.h"
#include "connect/objstore/http.h"

namespace runnel::connect::objstore {

struct azure_queue_config {
  azure_credentials credentials;
  std::string queue;
  std::string endpoint;  // empty: https://<account>.queue.core.windows.net
};

class azure_queue final : public event_queue {
 public:
  static result<std::unique_ptr<azure_queue>> open(azure_queue_config config);

  // Message texts are returned decoded when they are base64 (Event Grid
  // encodes them so), as they are otherwise.
  result<std::vector<queued_event>> receive(int max, std::chrono::seconds visibility) override;
  result<void> remove(const std::string& handle) override;

 private:
  azure_queue(azure_queue_config config, azure_signer signer, std::string base)
      : config_(std::move(config)), signer_(std::move(signer)), base_(std::move(base)) {}

  azure_queue_config config_;
  azure_signer signer_;
  std::string base_;
  http_session http_;
};

}  // namespace runnel::connect::objstore
