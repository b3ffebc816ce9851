// kafka_socket: one blocking Kafka-protocol connection, for the few group
// requests distributed mode sends itself (librdkafka has no way to join a
// group with a protocol type of the application's own; README.md
// "Distributed mode" says why this is not the consumer's group). Requests
// are encoded with the kafka module's codecs; only PLAINTEXT connections.
//
// One thread at a time per socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "connect/api/error.h"
#include "kafka/header.h"

namespace runnel::connect {

class kafka_socket {
 public:
  kafka_socket() = default;
  kafka_socket(kafka_socket&& o) noexcept;
  kafka_socket& operator=(kafka_socket&& o) noexcept;
  kafka_socket(const kafka_socket&) = delete;
  ~kafka_socket();

  static result<kafka_socket> connect(const std::string& host, uint16_t port,
                                      std::chrono::milliseconds timeout);
  bool connected() const { return fd_ >= 0; }
  void close();

  // One request, one response: the response body decoded as Resp. An I/O
  // error closes the socket (errc::retriable).
  template <class Req, class Resp>
  result<Resp> call(int16_t api_key, int16_t version, Req& req, std::chrono::milliseconds timeout) {
    kafka::writer w;
    const size_t size_at = w.reserve_i32();
    kafka::request_header h{api_key, version, ++correlation_, client_id};
    kafka::encode_request_header(w, h);
    const auto* api = kafka::find_api(api_key);
    const bool flexible = api && api->flexible(version);
    kafka::encode_body(w, req, version, flexible);
    w.patch_i32(size_at, int32_t(w.mem_size() - size_at - 4));
    CONNECT_TRY(auto frame, exchange(w.buffer(), timeout));
    kafka::reader r(frame);
    if (r.i32() != h.correlation_id) {
      close();
      return make_error(errc::retriable, "response out of order");
    }
    if (kafka::response_header_flexible(api_key, version)) r.skip_tags();
    Resp resp;
    if (!kafka::decode_body(r, resp, version, flexible)) {
      close();
      return make_error(errc::retriable, "malformed response");
    }
    return resp;
  }

  std::string client_id = "runnel-connect";

 private:
  result<std::vector<std::byte>> exchange(const std::vector<std::byte>& request,
                                          std::chrono::milliseconds timeout);
  int fd_ = -1;
  int32_t correlation_ = 0;
};

// "host:port[,host:port…]" as a list.
std::vector<std::pair<std::string, uint16_t>> parse_bootstrap(const std::string& servers);

}  // namespace runnel::connect
