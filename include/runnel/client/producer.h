// producer: sends records to any Kafka-protocol cluster through librdkafka.
//
// send() only enqueues; librdkafka batches, compresses, retries and sends in
// its own threads. The outcome of every message arrives as a delivery_report
// through producer_options::on_delivery, on the thread that calls poll() or
// flush() — so a caller that wants reports must call one of them.
//
// Thread-safety: send(), poll() and flush() may be called from any threads
// concurrently; on_delivery then runs on whichever thread is polling.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runnel/client/config.h"
#include "runnel/client/error.h"
#include "runnel/client/message.h"

namespace runnel::client {

struct delivery_report {
  uint64_t tag = 0;  // outgoing_message::tag, to match report and message
  std::string topic;
  model::partition_id partition{-1};
  model::offset offset{-1};  // -1 if unknown (acks=0, failure)
  model::timestamp timestamp = model::timestamp::missing();
  std::optional<client::error> error;  // set if the message was not delivered
};

struct producer_options {
  client_config client;
  std::string acks = "all";          // "all" (-1), "1" or "0", as Kafka's `acks`
  bool idempotent = false;           // enable.idempotence (needs acks=all)
  std::string compression = "none";  // none, gzip, snappy, lz4, zstd
  std::chrono::milliseconds linger{5};
  // How long a message may wait for delivery, retries included, before its
  // report says it failed (message.timeout.ms).
  std::chrono::milliseconds delivery_timeout{30000};
  std::function<void(const delivery_report&)> on_delivery;
};

struct outgoing_message {
  std::string topic;
  std::optional<model::partition_id>
      partition;  // unset: the key's murmur2 hash, or random if no key
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<header> headers;
  std::optional<model::timestamp> timestamp;  // unset: now
  uint64_t tag = 0;                           // echoed in the delivery report
};

// A record to send, borrowed rather than owned: the fast path for callers
// that already hold the bytes (a stream task's serialized key and value).
// librdkafka copies them during send(), so they need to live only until
// send returns.
struct message_ref {
  std::string_view topic;
  int32_t partition = -1;                 // -1: the configured partitioner (`partitioner`)
  std::optional<std::string_view> key;    // nullopt: a null key
  std::optional<std::string_view> value;  // nullopt: a null value (a tombstone)
  int64_t timestamp_ms = 0;               // 0: now
  uint64_t tag = 0;                       // echoed in the delivery report
};

class producer {
 public:
  static result<producer> create(const producer_options& options);

  producer(producer&&) noexcept;
  producer& operator=(producer&&) noexcept;
  // Messages not yet delivered are purged (reported as failed if a poll
  // follows — none does): call flush() first to keep them.
  ~producer();

  // Enqueues one message. Blocks (serving delivery reports) while
  // librdkafka's queue is full; errors only for messages that cannot be
  // queued at all (unknown partition, message too large, ...).
  result<void> send(const outgoing_message& m);
  // The same without copying into std::strings first, and with no headers.
  // Keyed records go where `partitioner` (a client_config property) puts
  // them: by default murmur2_random, the Java client's and Kafka Streams'
  // hash (librdkafka's own default, consistent_random, is CRC32).
  result<void> send(const message_ref& m);

  // Serves delivery reports for up to `timeout`; returns how many events ran.
  int poll(std::chrono::milliseconds timeout);

  // Waits until every queued message has its delivery report; an error if
  // some are still outstanding after `timeout`.
  result<void> flush(std::chrono::milliseconds timeout);

  // Messages queued or in flight, not yet reported.
  int outstanding() const;

 private:
  struct impl;
  explicit producer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::client
