// consumer: reads records from any Kafka-protocol cluster through librdkafka,
// either from partitions it picks itself (assign) or as a member of a
// consumer group that shares the partitions of the topics (subscribe).
//
// Thread-safety: one thread at a time. librdkafka fetches ahead in its own
// threads; poll() and poll_batch() hand out what it fetched. Every callback
// (on_rebalance, poll_batch's) runs on the thread calling poll, poll_batch
// or close, and may call back into this consumer (commit, pause, ...).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "runnel/client/config.h"
#include "runnel/client/error.h"
#include "runnel/client/message.h"

namespace runnel::client {

// A change of the partitions a group member reads, as its on_rebalance hook
// sees it.
struct rebalance_event {
  enum class kind {
    assigned,  // these partitions are now ours (in addition, when cooperative)
    revoked,   // these are taken away in an orderly rebalance: commit now
    lost,      // these were taken away already (session timed out, fenced):
               // another member may own them, so committing will fail
  };
  kind what = kind::assigned;
  std::vector<topic_partition> partitions;
};

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
  // With a group: told of every change of this member's partitions, on the
  // thread calling poll/poll_batch/close (~consumer closes: keep what the
  // hook uses alive until the consumer is gone). Order, so that a hook can keep
  // per-partition state exactly in step with what it reads:
  //  - revoked/lost: the hook runs FIRST, while the partitions are still
  //    assigned (so consumer::commit(offsets) from the hook commits
  //    synchronously under the current generation), then they are
  //    unassigned; no message of theirs is handed out after the hook.
  //  - assigned: the partitions are assigned first, then the hook runs (so it
  //    may pause() them before any of their messages is handed out).
  // Works with eager assignors (range, roundrobin: every rebalance revokes
  // everything, then assigns the new set) and with the cooperative protocol
  // (partition.assignment.strategy=cooperative-sticky: only the partitions
  // that move are revoked or assigned). An error the hook or the assignment
  // hits is returned by the next poll/poll_batch. Unset: librdkafka assigns
  // by itself, as before.
  std::function<void(const rebalance_event&)> on_rebalance;
  // How long commit() waits for the group coordinator's answer (Kafka's
  // default.api.timeout.ms, whose default this is). Past it, commit returns
  // RD_KAFKA_RESP_ERR__TIMED_OUT, as commitSync throws a TimeoutException;
  // the offsets may still be committed after that.
  std::chrono::milliseconds default_api_timeout{60000};
};

// Where an assigned partition starts.
struct start_position {
  enum class kind { beginning, end, offset, timestamp, committed };
  kind what = kind::committed;
  int64_t value = 0;  // the offset, or the timestamp in ms

  static start_position beginning() { return {kind::beginning, 0}; }
  static start_position end() { return {kind::end, 0}; }
  static start_position at(runnel::offset o) { return {kind::offset, o()}; }
  // The first message whose timestamp is >= t, or the end if none is.
  static start_position at_time(runnel::timestamp t) { return {kind::timestamp, t()}; }
  // The group's committed offset, else auto_offset_reset.
  static start_position committed() { return {kind::committed, 0}; }
};

struct partition_assignment {
  std::string topic;
  runnel::partition_id partition;
  start_position start;
};

// The consumer has read everything up to `offset` (the current end) in a
// partition. More may come later.
struct partition_end {
  std::string topic;
  runnel::partition_id partition;
  runnel::offset offset;
};

// A group member's identity (group, generation, member id) as a
// transactional producer sends it with the offsets it commits
// (producer::send_offsets_to_transaction), so that the group coordinator
// refuses the offsets of a member that was fenced out of the group
// (KIP-447). Taken from consumer::group_metadata().
class consumer_group_metadata {
 public:
  consumer_group_metadata(consumer_group_metadata&&) noexcept;
  consumer_group_metadata& operator=(consumer_group_metadata&&) noexcept;
  ~consumer_group_metadata();

  struct impl;  // private to src/client

 private:
  friend class consumer;
  friend class producer;
  explicit consumer_group_metadata(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
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

  // Hands out up to `max` messages (at most 65536) without copying them:
  // waits up to `timeout` for the first event, then takes only what is
  // already fetched. `fn` sees each message (the views are valid only during
  // its call); partition ends (report_partition_end) go to `on_end` if set.
  // Rebalances are served in queue order: on_rebalance runs only after fn
  // has seen every message queued before the rebalance, so a revoke hook's
  // position() counts them all, and nothing of a revoked partition follows
  // it. A rebalance ends the wait early, then the wait goes on. Returns how
  // many messages fn saw. Transient errors (broker unreachable, ...) are
  // skipped: librdkafka retries by itself. Any other error is returned after
  // fn has seen the batch (the messages it saw stay consumed). If fn
  // throws, the exception propagates and the rest of that batch is dropped
  // (librdkafka counts it consumed); the consumer stays usable.
  result<size_t> poll_batch(std::chrono::milliseconds timeout, size_t max,
                            const std::function<void(const message_view&)>& fn,
                            const std::function<void(const partition_end&)>& on_end = {});

  // Stops fetching from these assigned partitions (poll hands out nothing of
  // theirs) until resume(); their position is kept. A rebalance that
  // assigns a partition again starts it unpaused.
  result<void> pause(const std::vector<topic_partition>& partitions);
  result<void> resume(const std::vector<topic_partition>& partitions);

  // Moves assigned partitions: the next message handed out of each is at
  // its offset (a sink rewinding to the position it stored itself).
  // Messages already fetched past it are dropped.
  result<void> seek(const std::vector<topic_partition_offset>& offsets,
                    std::chrono::milliseconds timeout);

  // The group's committed offsets for these partitions (the next offset to
  // read), asking the coordinator; offset -1 where nothing is committed.
  result<std::vector<topic_partition_offset>> committed(
      const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout);
  // The next offset this consumer will hand out in each partition: the
  // offset after the last message poll/poll_batch returned; -1 where none
  // was returned yet since the partition was assigned. Local; asks no one.
  result<std::vector<topic_partition_offset>> position(
      const std::vector<topic_partition>& partitions);

  // Synchronously commits the offsets after the messages poll() returned,
  // waiting at most consumer_options::default_api_timeout.
  result<void> commit();
  // Synchronously commits these offsets (the next offset to read), waiting
  // at most consumer_options::default_api_timeout.
  result<void> commit(const std::vector<topic_partition_offset>& offsets);

  // This member's current group identity, for a transactional producer's
  // send_offsets_to_transaction. An error without a group.
  result<consumer_group_metadata> group_metadata() const;

  // Leaves the group (committing first if auto_commit). Idempotent.
  result<void> close();

 private:
  struct impl;
  explicit consumer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::client
