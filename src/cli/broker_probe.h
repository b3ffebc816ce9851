// A quick check, before a client command starts librdkafka, that at least
// one bootstrap broker accepts a TCP connection. librdkafka retries a
// refused or unresolvable address until the request times out (15-30 s) and
// then says only "timed out"; this fails in milliseconds and names the
// address and the reason. It proves nothing beyond the TCP handshake: a
// broker that accepts and then misbehaves is still librdkafka's to report.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::cli {

// nullopt if some broker of `brokers` ("host:port[,host:port...]", entries
// optionally "SCHEME://host:port", a bare host meaning port 9092, IPv6 in
// brackets) accepted a connection within `timeout`; otherwise one sentence
// naming each address and why it could not be reached.
std::optional<std::string> probe_brokers(std::string_view brokers,
                                         std::chrono::milliseconds timeout);

}  // namespace runnel::cli
