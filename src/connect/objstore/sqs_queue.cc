#include "connect/objstore/sqs_queue.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "connect/objstore/s3_store.h"

namespace runnel::connect::objstore {

result<std::unique_ptr<sqs_queue>> sqs_queue::open(sqs_config config) {
  if (config.queue_url.empty()) return make_error(errc::invalid_config, "SQS: no queue URL given");
  if (config.access_key.empty() || config.secret_key.empty()) {
    return make_error(errc::invalid_config, "SQS: no access key and secret key given");
  }
  std::string endpoint = config.endpoint;
  if (endpoint.empty()) {
    auto scheme = config.queue_url.find("://");
    auto path =
        scheme == std::string::npos ? std::string::npos : config.queue_url.find('/', scheme + 3);
    if (path == std::string::npos) {
      return make_error(errc::invalid_config,
                        fmt::format("SQS: '{}' is not a queue URL", config.queue_url));
    }
    endpoint = config.queue_url.substr(0, path);
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return std::unique_ptr<sqs_queue>(new sqs_queue(std::move(config), std::move(endpoint)));
}

result<http_response> sqs_queue::call(std::string_view action, const std::string& body) {
  http_request r;
  r.method = "POST";
  r.url = endpoint_ + "/";
  r.body = body;
  r.headers = {"Content-Type: application/x-amz-json-1.0",
               fmt::format("X-Amz-Target: AmazonSQS.{}", action)};
  if (!config_.session_token.empty()) {
    r.headers.push_back("x-amz-security-token: " + config_.session_token);
  }
  r.aws_sigv4 = fmt::format("aws:amz:{}:sqs", config_.region);
  r.aws_credentials = config_.access_key + ":" + config_.secret_key;
  CONNECT_TRY(auto resp, http_.perform(r));
  if (resp.status != 200) {
    std::string detail;
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_object()) detail = j.value("message", j.value("Message", std::string()));
    return http_status_error(resp, fmt::format("SQS {} {}", action, config_.queue_url), detail);
  }
  return resp;
}

result<std::vector<sqs_message>> sqs_queue::receive(int max, std::chrono::seconds wait,
                                                    std::chrono::seconds visibility) {
  nlohmann::json req = {{"QueueUrl", config_.queue_url},
                        {"MaxNumberOfMessages", std::clamp(max, 1, 10)},
                        {"WaitTimeSeconds", std::clamp<int64_t>(wait.count(), 0, 20)},
                        {"VisibilityTimeout", visibility.count()}};
  CONNECT_TRY(auto resp, call("ReceiveMessage", req.dump()));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (!j.is_object()) {
    return make_error(errc::retriable, "SQS ReceiveMessage: the answer is not JSON");
  }
  std::vector<sqs_message> out;
  if (auto m = j.find("Messages"); m != j.end() && m->is_array()) {
    for (auto& msg : *m) {
      out.push_back({msg.value("MessageId", std::string()),
                     msg.value("ReceiptHandle", std::string()), msg.value("Body", std::string())});
    }
  }
  return out;
}

result<std::vector<queued_event>> sqs_queue::receive(int max, std::chrono::seconds visibility) {
  CONNECT_TRY(auto messages, receive(max, std::chrono::seconds(0), visibility));
  std::vector<queued_event> out;
  for (auto& m : messages) out.push_back({m.id, m.receipt_handle, m.body});
  return out;
}

result<void> sqs_queue::remove(const std::string& receipt_handle) {
  nlohmann::json req = {{"QueueUrl", config_.queue_url}, {"ReceiptHandle", receipt_handle}};
  CONNECT_TRY(call("DeleteMessage", req.dump()));
  return ok();
}

result<void> sqs_queue::remove_batch(const std::vector<std::string>& receipt_handles) {
  size_t failed = 0;
  std::string first;
  for (size_t start = 0; start < receipt_handles.size(); start += 10) {
    nlohmann::json entries = nlohmann::json::array();
    for (size_t i = start; i < std::min(receipt_handles.size(), start + 10); ++i) {
      entries.push_back({{"Id", std::to_string(i - start)}, {"ReceiptHandle", receipt_handles[i]}});
    }
    nlohmann::json req = {{"QueueUrl", config_.queue_url}, {"Entries", entries}};
    auto resp = call("DeleteMessageBatch", req.dump());
    if (!resp) {
      failed += entries.size();
      if (first.empty()) first = resp.error().message;
      continue;
    }
    // A 200 answer lists the entries that failed one by one.
    auto j = nlohmann::json::parse(resp.value().body, nullptr, false);
    if (auto f = j.is_object() ? j.find("Failed") : j.end(); f != j.end() && f->is_array()) {
      for (auto& e : *f) {
        ++failed;
        if (first.empty() && e.is_object()) {
          first = fmt::format("{}: {}", e.value("Code", std::string()),
                              e.value("Message", std::string()));
        }
      }
    }
  }
  if (failed == 0) return ok();
  return make_error(errc::retriable,
                    fmt::format("SQS DeleteMessageBatch {}: {} of {} messages not deleted: {}",
                                config_.queue_url, failed, receipt_handles.size(), first));
}

}  // namespace runnel::connect::objstore
