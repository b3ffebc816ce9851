// task_context: what the operators of a topology need from the task running
// them. The runtime (src/stream/task.cc) implements it; operators (the
// templates in stream.h, table.h, grouped.h, join.h) and user processors
// only call it.
//
// Thread-safety: a task, its context and its operator instances are used by
// one stream thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runnel/stream/record.h"
#include "runnel/stream/store.h"

namespace runnel::stream {

// Stream time advances with the timestamps of the records a task processes;
// wall-clock time with the system clock, even when no record arrives.
enum class punctuation_type { stream_time, wall_clock };

}  // namespace runnel::stream

namespace runnel::stream::detail {

class task_context {
 public:
  virtual ~task_context() = default;

  // The state stores of this task, by the name the topology gave them.
  virtual kv_bytes_store& kv_store(const std::string& name) = 0;
  virtual window_bytes_store& window_store(const std::string& name) = 0;
  virtual session_bytes_store& session_store(const std::string& name) = 0;

  // Produces a record. `internal`: the topic is one of the app's own
  // (repartition) topics, named relative to the application id. partition
  // -1: by the key's murmur2 hash, like Kafka's Java clients.
  virtual void send(const std::string& topic, bool internal, std::optional<std::string_view> key,
                    std::optional<std::string_view> value, int64_t timestamp,
                    int32_t partition = -1) = 0;

  // The largest record timestamp this task has processed (INT64_MIN before
  // the first).
  virtual int64_t stream_time() const = 0;
  // Called by sources with each record's timestamp, before it is processed.
  virtual void observe_timestamp(int64_t ts) = 0;

  // Calls fn(time) every `interval` of stream or wall-clock time, after the
  // record that moved stream time past the next boundary (stream time), or
  // between records (wall clock).
  virtual void schedule(std::chrono::milliseconds interval, punctuation_type type,
                        std::function<void(int64_t)> fn) = 0;

  // The input record being processed.
  virtual const record_origin& origin() const = 0;
  // The partition number of this task's inputs.
  virtual int32_t partition() const = 0;
  virtual const std::string& application_id() const = 0;

  // A record dropped because it came after its windows closed: counted and,
  // if the app has a dead-letter topic, sent there with the reason.
  virtual void late_record(std::string_view op, std::optional<std::string_view> key,
                           std::optional<std::string_view> value, int64_t ts) = 0;
  // A record that cannot be deserialised (or that user code threw on): the
  // app's error policy either throws (processing.error.policy=fail: the app
  // stops without committing it) or logs it, counts it and sends it to the
  // dead-letter topic, and the record is skipped.
  virtual void bad_record(std::string_view why, std::optional<std::string_view> key,
                          std::optional<std::string_view> value, int64_t ts) = 0;

  // Per-task instances of the topology's nodes, keyed by node: a node fed by
  // several parents (merge, joins) is instantiated once per task.
  std::shared_ptr<void>& instance(const void* node) { return instances_[node]; }

 private:
  std::unordered_map<const void*, std::shared_ptr<void>> instances_;
};

}  // namespace runnel::stream::detail
