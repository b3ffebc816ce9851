#include "connect/objstore/azure_queue.h"

#include <algorithm>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace runnel::connect::objstore {

result<std::unique_ptr<azure_queue>> azure_queue::open(azure_queue_config config) {
  if (config.queue.empty()) return make_error(errc::invalid_config, "Azure queue: no queue given");
  CONNECT_TRY(auto signer, azure_signer::make(config.credentials));
  std::string base = config.endpoint.empty() ? fmt::format("https://{}.queue.core.windows.net",
                                                           config.credentials.account)
                                             : config.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return std::unique_ptr<azure_queue>(
      new azure_queue(std::move(config), std::move(signer), std::move(base)));
}

result<std::vector<queued_event>> azure_queue::receive(int max, std::chrono::seconds visibility) {
  http_request r;
  r.url = fmt::format("{}/{}/messages?numofmessages={}&visibilitytimeout={}", base_, config_.queue,
                      std::clamp(max, 1, 32), visibility.count());
  signer_.sign(r);
  CONNECT_TRY(auto resp, http_.perform(r));
  auto what = fmt::format("Get Messages {}/{}", base_, config_.queue);
  if (resp.status != 200) return http_status_error(resp, what, resp.header("x-ms-error-code"));
  pugi::xml_document doc;
  if (!doc.load_buffer(resp.body.data(), resp.body.size())) {
    return make_error(errc::retriable, what + ": the answer is not XML");
  }
  std::vector<queued_event> out;
  for (auto m : doc.child("QueueMessagesList").children("QueueMessage")) {
    queued_event e;
    e.id = m.child_value("MessageId");
    // The handle carries both halves Delete Message needs.
    e.handle = e.id + "\n" + m.child_value("PopReceipt");
    std::string text = m.child_value("MessageText");
    auto decoded = base64_decode(text);
    e.body = decoded && !decoded.value().empty() &&
                     (decoded.value().front() == '{' || decoded.value().front() == '[')
                 ? std::move(decoded).value()
                 : text;
    out.push_back(std::move(e));
  }
  return out;
}

result<void> azure_queue::remove(const std::string& handle) {
  auto nl = handle.find('\n');
  if (nl == std::string::npos) return make_error(errc::bad_request, "not a queue message handle");
  http_request r;
  r.method = "DELETE";
  r.url = fmt::format("{}/{}/messages/{}?popreceipt={}", base_, config_.queue,
                      uri_encode(handle.substr(0, nl)), uri_encode(handle.substr(nl + 1)));
  signer_.sign(r);
  CONNECT_TRY(auto resp, http_.perform(r));
  if (resp.status == 204 || resp.status == 200 || resp.status == 404) return ok();
  return http_status_error(resp, "Delete Message", resp.header("x-ms-error-code"));
}

}  // namespace runnel::connect::objstore
