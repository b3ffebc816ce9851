// consumer: reads records from any Kafka-protocol cluster through librdkafka,
// either from partitions it picks itself (assign) or as a member of a
// consumer group that shares the partitions of the topics (subscribe).
//
// Thread-safety: one thread at a time. librdkafka fetches ahead in its own
// threads; poll() hands out what it fetched.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "runnel/client/config.h"
#include "runnel/client/error.h"
#include "runnel/client/message.h"

namespace runnel::client {

struct consumer_options {
  client_config client;
  // Empty: no group; only assign() works and nothing is committed.
  std::string group_id;
  // With a group: commit the offsets of the messages poll() returned, every
  // few seconds and on close (Kafka's enable.auto.commit).
  bool auto_commit = true;
  // Where a group member starts in a partition the group has no committed
  // offset for, and where any consumer goes when its offset is out of range:
  // "earliest", "latest" or "error".
  std::string auto_offset_reset = "latest";
  // poll() reports reaching the end of a partition (partition_end).
  bool report_partition_end = false;
};

// Where an assigned partition starts.
struct start_position {
  enum class kind { beginning, end, offset, timestamp, committed };
  kind what = kind::committed;
  int64_t value = 0;  // the offset, or the timestamp in ms

  static start_position beginning() { return {kind::beginning, 0}; }
  static start_position end() { return {kind::end, 0}; }
  static start_position at(model::offset o) { return {kind::offset, o()}; }
  // The first message whose timestamp is >= t, or the end if none is.
  static start_position at_time(model::timestamp t) { return {kind::timestamp, t()}; }
  // The group's committed offset, else auto_offset_reset.
  static start_position committed() { return {kind::committed, 0}; }
};

struct partition_assignment {
  std::string topic;
  model::partition_id partition;
  start_position start;
};

// The consumer has read everything up to `offset` (the current end) in a
// partition. More may come later.
struct partition_end {
  std::string topic;
  model::partition_id partition;
  model::offset offset;
};

// What poll() returns: nothing within the timeout, a message, or an end.
using poll_event = std::variant<std::monostate, message, partition_end>;

class consumer {
 public:
  static result<consumer> create(const consumer_options& options);

  consumer(consumer&&) noexcept;
  consumer& operator=(consumer&&) noexcept;
  ~consumer();  // close()s

  // Reads exactly these partitions (replacing any earlier assignment).
  // Timestamps are resolved to offsets here, which asks the partitions'
  // leaders.
  result<void> assign(const std::vector<partition_assignment>& partitions);

  // Joins the group (consumer_options::group_id) for these topics; the
  // group's coordinator decides the partitions.
  result<void> subscribe(const std::vector<std::string>& topics);

  // The partitions this consumer reads right now.
  result<std::vector<topic_partition>> assignment();

  // The next event, waiting up to `timeout`. Errors may be transient
  // (client::is_transient): the consumer keeps trying, so polling again is
  // fine.
  result<poll_event> poll(std::chrono::milliseconds timeout);

  // Synchronously commits the offsets after the messages poll() returned.
  result<void> commit();
  // Synchronously commits these offsets (the next offset to read).
  result<void> commit(const std::vector<topic_partition_offset>& offsets);

  // Leaves the group (committing first if auto_commit). Idempotent.
  result<void> close();

 private:
  struct impl;
  explicit consumer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::client
