// kafka_log: a compacted topic read from the beginning and written with
// acknowledgement — what the offset, config and status stores of
// distributed mode are built on (Kafka Connect's KafkaBasedLog).
//
// read_to_end() consumes every partition up to the end offsets it asks
// for at the call, handing each record to the callback; it reads
// read_committed, so "the end" is each partition's last stable offset
// (ListOffsets under read_committed) and an open transaction's records
// wait until it commits (or are never seen: aborted); write() produces
// with acks=all and an idempotent producer (so one writer's records keep
// their order) and returns when the broker acknowledged every record.
// Keys are partitioned by murmur2, as the Java client does, so a Kafka
// Connect worker reading the same topic finds a key where it expects it.
//
// Thread-safety: calls may come from several threads; each is serialised.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connect/api/error.h"
#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "runnel/client/producer.h"

namespace runnel::connect {

class kafka_log {
 public:
  struct options {
    std::string topic;
    int32_t partitions = 1;
    int16_t replication_factor = 3;
    client::client_config client;
    // The record callback: key, value (nullopt: a tombstone), partition, offset.
    std::function<void(std::string_view key, std::optional<std::string_view> value,
                       int32_t partition, int64_t offset)>
        on_record;
  };

  // Creates the topic (compacted) if needed; reads nothing yet.
  static result<std::unique_ptr<kafka_log>> open(options o);
  ~kafka_log();

  result<void> read_to_end(std::chrono::milliseconds timeout);
  struct entry {
    std::string key;
    std::optional<std::string> value;
  };
  result<void> write(const std::vector<entry>& records, std::chrono::milliseconds timeout);

  const std::string& topic() const { return opts_.topic; }
  int32_t partitions() const { return partitions_; }

 private:
  kafka_log() = default;
  options opts_;
  int32_t partitions_ = 1;
  std::mutex read_mu_, write_mu_;
  std::optional<client::admin> admin_;
  std::optional<client::consumer> consumer_;
  std::optional<client::producer> producer_;
  std::vector<int64_t> position_;  // next offset to read, per partition
  // Delivery reports of the write in progress.
  size_t pending_ = 0;
  std::optional<client::error> write_error_;
};

}  // namespace runnel::connect
