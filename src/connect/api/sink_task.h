// Sink tasks (Kafka's SinkTask): receive consumed records and write them
// out. The runtime consumes the connector's topics as the consumer group
// "connect-<connector name>", converts and transforms each record, hands
// batches to put(), and commits the offsets pre_commit() returns (the next
// offset to read per partition) every offset.flush.interval.ms, before a
// rebalance takes partitions away, and on stop.
//
// At-least-once by default (flush then commit). A task that stores its
// progress with its output (a database transaction, file names derived
// from offsets) can be exactly-once: it returns from pre_commit only what
// is durable, and in open() reads back where it stopped and moves the
// consumer there with context.offset().
//
// Threads: every call runs on the task's own thread.
// Lifecycle: start → open(partitions) → put… / pre_commit… → close(partitions)
// (rebalances repeat open/close) → stop.
#pragma once

#include <chrono>
#include <map>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/api/record.h"
#include "runnel/client/message.h"

namespace runnel::connect {

// Per partition, the next offset to consume.
using offset_map = std::map<client::topic_partition, int64_t>;

class sink_task_context {
 public:
  virtual ~sink_task_context() = default;
  virtual const config_map& configs() const = 0;
  // Move the consumer: the next record of `tp` delivered is `offset`.
  virtual void offset(const client::topic_partition& tp, int64_t offset) = 0;
  // After put() returned errc::retriable: redeliver the same batch after
  // this long (Kafka's SinkTaskContext.timeout).
  virtual void timeout(std::chrono::milliseconds t) = 0;
  virtual std::vector<client::topic_partition> assignment() const = 0;
  virtual void pause(const std::vector<client::topic_partition>& tps) = 0;
  virtual void resume(const std::vector<client::topic_partition>& tps) = 0;
  // Commit offsets soon, without waiting for offset.flush.interval.ms.
  virtual void request_commit() = 0;
  // A record the task cannot write (Kafka's ErrantRecordReporter): logged
  // and dead-lettered as errors.* say. An error back means the tolerance is
  // `none` and the task should fail.
  virtual result<void> report(const sink_record& r, const error& e) = 0;
};

class sink_task {
 public:
  virtual ~sink_task() = default;

  virtual result<void> start(const config_map& props, sink_task_context& ctx) = 0;

  // Partitions assigned to this task; it may rewind them with ctx.offset().
  virtual result<void> open(const std::vector<client::topic_partition>& partitions);

  // Write (or buffer) these records. errc::retriable: the same batch comes
  // again after ctx.timeout(); any other error fails the task.
  virtual result<void> put(std::vector<sink_record>& records) = 0;

  // What may be committed, given what was put (`current`). The default
  // flushes and returns `current`.
  virtual result<offset_map> pre_commit(const offset_map& current);
  virtual result<void> flush(const offset_map& current);

  // Partitions taken away (rebalance, stop): write what is buffered for them.
  virtual result<void> close(const std::vector<client::topic_partition>& partitions);

  virtual void stop() = 0;
};

}  // namespace runnel::connect
