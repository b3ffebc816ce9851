// An Amazon SQS queue, as far as S3 event notifications need it:
// ReceiveMessage (long polling) and DeleteMessage, in SQS's JSON protocol,
// signed with SigV4 by libcurl like the S3 requests.
//
// Threading: one thread at a time (one libcurl handle).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "connect/objstore/event_queue.h"
#include "connect/objstore/http.h"

namespace runnel::connect::objstore {

struct sqs_config {
  std::string queue_url;  // https://sqs.<region>.amazonaws.com/<account>/<name>
  std::string region = "us-east-1";
  // scheme://host[:port] requests go to; empty: the queue URL's.
  std::string endpoint;
  std::string access_key;
  std::string secret_key;
  std::string session_token;
};

struct sqs_message {
  std::string id;
  std::string receipt_handle;
  std::string body;
};

class sqs_queue final : public event_queue {
 public:
  static result<std::unique_ptr<sqs_queue>> open(sqs_config config);

  // Up to `max` (1..10) messages, waiting up to `wait` (0..20 s) for the
  // first; they stay invisible for `visibility` and come back unless
  // removed.
  result<std::vector<sqs_message>> receive(int max, std::chrono::seconds wait,
                                           std::chrono::seconds visibility);
  result<void> remove(const std::string& receipt_handle) override;
  // DeleteMessageBatch, ten entries a request.
  result<void> remove_batch(const std::vector<std::string>& receipt_handles) override;
  result<std::vector<queued_event>> receive(int max, std::chrono::seconds visibility) override;

 private:
  sqs_queue(sqs_config config, std::string endpoint)
      : config_(std::move(config)),
        endpoint_(std::move(endpoint)),
        http_(std::chrono::seconds(40)) {}
  result<http_response> call(std::string_view action, const std::string& body);

  sqs_config config_;
  std::string endpoint_;
  http_session http_;
};

}  // namespace runnel::connect::objstore
