// What a task does when a record fails (Kafka Connect's
// RetryWithToleranceOperator, LogReporter and DeadLetterQueueReporter):
//
//   errors.retry.timeout / errors.retry.delay.max.ms
//       a retriable failure is tried again, backing off from 300 ms and
//       doubling up to the maximum delay, until the timeout (0: never; -1:
//       forever)
//   errors.tolerance  none: the task fails; all: the record is skipped
//   errors.log.enable / errors.log.include.messages
//       each failure is logged, with the record when asked
//   errors.deadletterqueue.topic.name (sinks, and runnel's sources)
//       the failed record goes to this topic; with
//       errors.deadletterqueue.context.headers.enable, headers say why:
//       __connect.errors.{topic,partition,offset,connector.name,task.id,
//       stage,class.name,exception.class.name,exception.message,
//       exception.stacktrace} as Kafka names them, and for source records
//       __connect.errors.source.{partition,offset} (the JSON of the source
//       partition and offset).
//
// One per task, used by the task's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "connect/api/record.h"
#include "connect/runtime/connector_config.h"
#include "runnel/client/message.h"
#include "runnel/client/producer.h"

namespace runnel::connect {

enum class stage {
  key_converter,
  value_converter,
  header_converter,
  transformation,
  task_put,
  task_poll,
  kafka_produce,
  kafka_consume,
};
std::string_view stage_name(stage s);  // Kafka's: "KEY_CONVERTER", …

// What failed and on which record.
struct error_context {
  stage where = stage::transformation;
  std::string class_name;
  const client::message* consumed = nullptr;  // a sink's input, as read
  const source_record* source = nullptr;      // a source's record
};

struct error_counts {
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> skipped{0};
  std::atomic<int64_t> dead_lettered{0};
  std::atomic<int64_t> retries{0};
};

class error_handler {
 public:
  error_handler(error_config c, std::string connector, int32_t task,
                const std::atomic<bool>* stopping);

  // Runs `f` again while it fails with errc::retriable, within the retry
  // timeout, backing off; gives up early when the task is stopping.
  template <class F>
  auto with_retry(F&& f) -> decltype(f()) {
    auto r = f();
    if (r || r.error().kind != errc::retriable || cfg_.retry_timeout_ms == 0) return r;
    const auto start = std::chrono::steady_clock::now();
    auto delay = std::chrono::milliseconds(300);
    for (;;) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      if (cfg_.retry_timeout_ms >= 0 &&
          elapsed + delay > std::chrono::milliseconds(cfg_.retry_timeout_ms))
        return r;
      if (!sleep_unless_stopping(delay)) return r;
      counts_.retries.fetch_add(1, std::memory_order_relaxed);
      r = f();
      if (r || r.error().kind != errc::retriable) return r;
      delay = std::min(delay * 2,
                       std::chrono::milliseconds(std::max<int64_t>(1, cfg_.retry_delay_max_ms)));
    }
  }

  // A record failed for good: logs it (errors.log.enable), and returns
  // true if errors.tolerance=all lets the task skip it.
  bool tolerate(const error& e, const error_context& ctx);

  // The dead-letter record for a failure, when a DLQ topic is configured.
  // `fallback_value` is what to write when the context holds no bytes (a
  // source record that could not be converted: its value as JSON).
  std::optional<client::outgoing_message> dead_letter(const error& e, const error_context& ctx,
                                                      std::optional<std::string> key,
                                                      std::optional<std::string> value,
                                                      std::vector<client::header> headers) const;

  bool has_dead_letter_queue() const { return !cfg_.dlq_topic.empty(); }
  const error_config& config() const { return cfg_; }
  const error_counts& counts() const { return counts_; }

  // Java's exception class for an error kind (the DLQ header, the REST trace).
  static std::string_view exception_class(errc k);

 private:
  bool sleep_unless_stopping(std::chrono::milliseconds d);

  error_config cfg_;
  std::string connector_;
  int32_t task_;
  const std::atomic<bool>* stopping_;
  mutable error_counts counts_;
};

// The "trace" of a failed task or connector in the REST status: the
// exception class and the message, as Kafka's stack trace begins.
std::string error_trace(const error& e);

}  // namespace runnel::connect
