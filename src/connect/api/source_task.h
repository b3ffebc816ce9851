// Source tasks (Kafka's SourceTask): read from outside and return records
// with their source partition and offset. The runtime converts, transforms
// and produces them, tracks which ones the broker acknowledged, and commits
// each partition's offset once every record before it is acknowledged
// (at-least-once), or in the same transaction as the records (exactly-once,
// exactly.once.source.support=enabled).
//
// Threads: every call runs on the task's own thread, except wakeup(), which
// the runtime calls from another thread to cut a waiting poll() short.
// Lifecycle: start → poll… (with commit_record/commit as acknowledgements
// and offset commits happen) → stop. stop() also follows a failed start.
#pragma once

#include <chrono>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/api/offsets.h"
#include "connect/api/record.h"

namespace runnel::connect {

// Connector-defined transaction boundaries (transaction.boundary=connector,
// KIP-618): the task says where a transaction ends.
class transaction_context {
 public:
  virtual ~transaction_context() = default;
  // Commit once every record returned by the current poll() is sent.
  virtual void commit_transaction() = 0;
  // Commit right after this record (one returned by the current poll()).
  virtual void commit_transaction(const source_record& r) = 0;
  virtual void abort_transaction() = 0;
  virtual void abort_transaction(const source_record& r) = 0;
};

class source_task_context {
 public:
  virtual ~source_task_context() = default;
  virtual const config_map& configs() const = 0;
  virtual offset_reader& offsets() = 0;
  // Only with exactly-once and transaction.boundary=connector; else null.
  virtual transaction_context* transactions() = 0;
};

class source_task {
 public:
  virtual ~source_task() = default;

  virtual result<void> start(const config_map& props, source_task_context& ctx) = 0;

  // Records ready now, waiting at most `timeout` for the first (so that
  // stop and pause are prompt); empty when there are none. errc::retriable:
  // polled again after a backoff; any other error fails the task.
  virtual result<std::vector<source_record>> poll(std::chrono::milliseconds timeout) = 0;

  // From another thread: return from a waiting poll() soon.
  virtual void wakeup() {}

  // `r` is in Kafka (metadata set), or was dropped by a transformation,
  // dead-lettered or offset-only (metadata null). Records of one source
  // partition are acknowledged in the order poll() returned them.
  virtual void commit_record(const source_record& r, const record_metadata* metadata);

  // The offsets of every acknowledged record are durably stored.
  virtual void commit() {}

  virtual void stop() = 0;
};

}  // namespace runnel::connect
