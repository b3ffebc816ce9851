// producer: sends records to any Kafka-protocol cluster through librdkafka.
//
// send() only enqueues; librdkafka batches, compresses, retries and sends in
// its own threads. The outcome of every message arrives as a delivery_report
// through producer_options::on_delivery, on the thread that calls poll() or
// flush() — so a caller that wants reports must call one of them.
//
// Thread-safety: send(), poll() and flush() may be called from any threads
// concurrently; on_delivery then runs on whichever thread is polling.
//
// Transactions (producer_options::transactional_id): init_transactions()
// once, then begin_transaction(), sends, optionally
// send_offsets_to_transaction() (a consume-transform-produce loop's input
// offsets), and commit_transaction() or abort_transaction() — Kafka's
// transactional producer, with its semantics: read_committed consumers see
// all of a transaction's records or none. The transaction calls are made
// from one thread at a time.
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

// consumer.h; taken by reference only, so a producer's users need not
// include the consumer.
class consumer_group_metadata;

struct delivery_report {
  uint64_t tag = 0;  // outgoing_message::tag, to match report and message
  std::string topic;
  runnel::partition_id partition{-1};
  runnel::offset offset{-1};  // -1 if unknown (acks=0, failure)
  runnel::timestamp timestamp = runnel::timestamp::missing();
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
  // Non-empty: a transactional producer (transactional.id; implies
  // idempotent and acks=all). Starting a producer with the id of another
  // fences that one: its open transaction is aborted and its calls fail.
  std::string transactional_id;
  // How long a transaction may stay open before the transaction
  // coordinator aborts it (transaction.timeout.ms; the broker caps it at
  // its transaction.max.timeout.ms).
  std::chrono::milliseconds transaction_timeout{60000};
};

struct outgoing_message {
  std::string topic;
  std::optional<runnel::partition_id>
      partition;  // unset: the key's murmur2 hash, or random if no key
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<header> headers;
  std::optional<runnel::timestamp> timestamp;  // unset: now
  uint64_t tag = 0;                            // echoed in the delivery report
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

  // ---- Transactions (transactional_id set) ----
  // Errors a call may retry are retried until its timeout. Any other error
  // says in its message whether the transaction must be aborted (then
  // abort_transaction() and go on) or the producer is unusable (fenced by a
  // newer instance with the same transactional_id: destroy it).

  // Registers the transactional id with its coordinator, fencing older
  // producers with the same id and completing their open transaction. Once.
  result<void> init_transactions(std::chrono::milliseconds timeout);
  // Starts a transaction: sends from now on belong to it. Local; asks no one.
  result<void> begin_transaction();
  // Commits a consumer group's offsets as part of the transaction: they
  // take effect only if it commits (Kafka's sendOffsetsToTransaction).
  // `group` comes from consumer::group_metadata().
  result<void> send_offsets_to_transaction(const std::vector<topic_partition_offset>& offsets,
                                           const consumer_group_metadata& group,
                                           std::chrono::milliseconds timeout);
  // Flushes every send of the transaction, then commits it.
  result<void> commit_transaction(std::chrono::milliseconds timeout);
  // Drops what is still queued and aborts the transaction.
  result<void> abort_transaction(std::chrono::milliseconds timeout);

 private:
  struct impl;
  explicit producer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::client
