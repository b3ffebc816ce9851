// sink_epochs: the transactions of a SQL process's exactly-once Kafka sinks
// (CREATE SINK ... WITH (is_exactly_once = 'true'); src/sql/README.md,
// "Exactly-once Kafka sinks"). One transactional producer, whose
// transactional.id is derived from the catalog topic, carries every such
// sink's records; the engine's commit() ends each epoch by writing an
// epoch marker — the epoch number and every source's next offsets — to a
// compacted topic in the same transaction and committing it, then commits
// its state store with the same epoch number. A restart reads the marker
// (read_committed) to learn whether the last transaction's state commit was
// lost (docs/format/sql-state.md, "Sink epochs").
//
// Starting the producer fences the process that had the same catalog topic
// before (its open transaction is aborted and its next commit fails).
//
// Thread-safety: one thread at a time (the engine's, under its mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runnel/client/config.h"
#include "sql/error.h"

namespace runnel::client {
class producer;
}

namespace runnel::sql {

// What one committed transaction says: its epoch and, for each source (by
// relation id), the next offset of each partition it had read.
struct epoch_marker {
  uint64_t epoch = 0;
  std::map<uint64_t, std::map<int32_t, int64_t>> sources;
};

// The marker's record value (JSON, docs/format/sql-state.md); nullopt if
// it is not one this version reads.
std::string encode_epoch_marker(const epoch_marker& m);
std::optional<epoch_marker> decode_epoch_marker(std::string_view value);

class sink_epochs {
 public:
  // The names derived from the catalog topic.
  static std::string marker_topic(const std::string& catalog_topic);
  static std::string transactional_id(const std::string& catalog_topic);

  // Whether the marker topic exists: exactly-once sinks ran with this
  // catalog before.
  static result<bool> used_before(const client::client_config& cluster,
                                  const std::string& catalog_topic);
  // The last committed marker (read_committed, to the end); nullopt if
  // there is none.
  static result<std::optional<epoch_marker>> read(const client::client_config& cluster,
                                                  const std::string& catalog_topic);

  // Creates the marker topic if missing, starts the transactional producer
  // (fencing the previous one) and opens the first transaction. An error
  // if the cluster has no transactions.
  static result<std::unique_ptr<sink_epochs>> start(const client::client_config& cluster,
                                                    const std::string& catalog_topic);
  ~sink_epochs();

  // What the exactly-once sinks write through (owned here).
  client::producer* producer();

  // Ends the open transaction: the marker of `m`, then the commit; then
  // opens the next one. An error (the transaction was aborted, or the
  // producer was fenced) means nothing of it became visible; the engine
  // then stops the process.
  result<void> commit(const epoch_marker& m);

  struct impl;

 private:
  explicit sink_epochs(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
