// Where source offsets live, in Kafka Connect's format: a key
// ["<connector>", {<source partition>}] and a value {<offset>}, both JSON
// (null value: the partition's offset was reset).
//
//   file   standalone mode's offset.storage.file.filename: every entry in
//          one JSON file, rewritten atomically (docs/format/connect-offsets.md)
//   topic  offset.storage.topic (distributed mode, and standalone when set):
//          a compacted topic, read in full at start and before a source
//          task starts, written with acks=all
//
// put() returns once the entries are durable (the file fsynced and renamed,
// or the broker acknowledged them). Thread-safe.
//
// Exactly-once sources (exactly.once.source.support=enabled) do not put():
// the task's transactional producer writes the offset records to topic()
// itself, in the transaction that holds their records, and reports them
// through committed() once the transaction committed. The topic is read
// read_committed, so the offsets of an aborted transaction are never seen.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connect/api/data.h"
#include "runnel/client/config.h"

namespace runnel::connect {

// The key bytes of a source partition: ["connector",{partition}].
std::string offset_key(const std::string& connector, const data& partition);
// The connector and partition of key bytes; nullopt if not that shape.
std::optional<std::pair<std::string, data>> parse_offset_key(std::string_view key);

using offset_entries = std::vector<std::pair<data, std::optional<data>>>;

// The value bytes of an offset (nullopt: a tombstone, the offset reset).
std::optional<std::string> offset_value(const std::optional<data>& offset);

class offset_store {
 public:
  virtual ~offset_store() = default;
  // Loads what is stored.
  virtual result<void> start() = 0;
  // Reads what other workers wrote since (the topic store; a no-op for files).
  virtual result<void> refresh(std::chrono::milliseconds timeout) = 0;
  virtual std::optional<data> get(const std::string& connector, const data& partition) = 0;
  // Every partition of a connector with its offset (the REST GET offsets).
  virtual std::vector<std::pair<data, data>> all(const std::string& connector) = 0;
  virtual result<void> put(const std::string& connector, const offset_entries& entries,
                           std::chrono::milliseconds timeout) = 0;

  // The offsets topic, where a transactional producer may write offset
  // records itself (Kafka Connect's key and value, offset_key and
  // offset_value); nullopt when offsets live in a file.
  virtual std::optional<std::string> topic() const { return std::nullopt; }
  // Entries written to topic() by another producer, in a transaction that
  // has committed: get() and all() return them from now on (a later
  // refresh() reads the same records again, to the same effect).
  virtual void committed(const std::string& connector, const offset_entries& entries) {
    (void)connector;
    (void)entries;
  }
};

std::unique_ptr<offset_store> make_file_offset_store(std::string path);
std::unique_ptr<offset_store> make_topic_offset_store(std::string topic, int32_t partitions,
                                                      int16_t replication_factor,
                                                      client::client_config client);

}  // namespace runnel::connect
