// kafka_sink: the changes of a view written to a topic — the running part
// of CREATE SINK ... WITH (connector = 'kafka'). Values are JSON rows
// (json_row.h).
//  - append-only (FORMAT PLAIN): each inserted row is one record without
//    a key (n records for a row inserted n times); deletes are dropped,
//    which CREATE SINK allows only for an append-only input or with
//    force_append_only = 'true';
//  - upsert (FORMAT UPSERT): the key is a JSON object of the key columns,
//    the value the row; a row whose key is deleted and not re-inserted in
//    the same batch becomes a tombstone (a null value), so that a compacted
//    topic holds exactly the view.
// Records are produced with acks=all by an idempotent producer of the
// sink's own; a record that still fails after librdkafka's retries is
// counted and logged. An exactly-once sink (is_exactly_once) writes through
// the SQL process's transactional producer instead (engine/sink_epochs.h),
// whose transaction commit is what makes its records visible and durable.
//
// Thread-safety: one thread at a time (the engine's).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "sql/connector/kafka_options.h"
#include "sql/exec/row_batch.h"
#include "sql/plan/logical.h"

namespace runnel::client {
class producer;
}

namespace runnel::sql {

class kafka_sink {
 public:
  // Checks that the topic exists (an error if not, or if the cluster
  // cannot be reached). `key_columns`: for an upsert sink, the columns of
  // the record key (not empty). `transactional`: the producer an
  // exactly-once sink writes through (it must outlive the sink); null: one
  // of its own.
  static result<std::unique_ptr<kafka_sink>> start(const kafka_sink_options& options,
                                                   std::vector<plan_column> columns,
                                                   std::vector<int> key_columns,
                                                   client::producer* transactional = nullptr);
  ~kafka_sink();  // waits a few seconds for what is in flight (a producer of its own)

  // Produces the records for a batch of changes (queued: librdkafka sends).
  void write(const row_batch& changes);
  // Waits until everything written so far is acknowledged (an exactly-once
  // sink: nothing to wait for, its transaction's commit flushes).
  result<void> flush(std::chrono::milliseconds timeout);
  bool exactly_once() const;

  uint64_t records() const;         // records produced
  uint64_t failed_records() const;  // records the cluster did not take

  struct impl;

 private:
  explicit kafka_sink(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
