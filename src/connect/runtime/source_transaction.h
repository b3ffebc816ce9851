// source_transaction: the open transaction of an exactly-once source task
// (KIP-618, exactly.once.source.support=enabled): the records it holds, in
// poll order, with where each landed; the newest offset of each source
// partition among them (what the transaction writes to the offsets topic
// before it commits); and when it should end:
//
//   poll       after every poll() that returned records (the default)
//   interval   once it has been open for transaction.boundary.interval.ms
//   connector  where the task asks, through the transaction_context this
//              object is (source_task_context::transactions())
//
// The runner (source_task_runner.cc) begins, commits and aborts the
// producer's transaction; this object only keeps the books. Records are
// handed to the task's commit_record() only after their transaction
// committed, so a task that acts on an acknowledgement (deletes or moves
// a file, deletes a queue message) never acts on records a crash would
// send again.
//
// Threads: the task's thread only (a task calls the context from inside
// poll(), on that thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connect/api/source_task.h"
#include "connect/runtime/offset_store.h"

namespace runnel::connect {

class source_transaction final : public transaction_context {
 public:
  using clock = std::chrono::steady_clock;
  enum class boundary { poll, interval, connector };
  enum class action { none, commit, abort };

  // "poll", "interval" or "connector" (connector_config::transaction_boundary).
  static std::optional<boundary> parse_boundary(std::string_view s);

  source_transaction(boundary b, std::chrono::milliseconds interval) : b_(b), interval_(interval) {}

  boundary kind() const { return b_; }
  bool open() const { return open_; }
  // The producer's transaction began.
  void begin(clock::time_point now);

  // A record of this transaction (sent, dead-lettered, filtered or
  // offset-only), in poll order; returns its sequence number, which the
  // delivery report carries back.
  uint64_t add(source_record r);
  // The sequence number the next add() returns.
  uint64_t next_seq() const { return next_seq_; }
  // Whether `seq` belongs to the open transaction (not to one that ended).
  bool current(uint64_t seq) const { return seq >= first_seq_; }
  // Where record `seq` landed. A report for a record of an earlier
  // transaction (it cannot happen: a commit waits for every report) is
  // ignored.
  void delivered(uint64_t seq, record_metadata md);
  size_t size() const { return records_.size(); }

  // Before record `r` is processed: whether the task asked to end the
  // transaction right after it (commit_transaction(r) / abort_transaction(r)).
  action at_record(const source_record& r);
  // After a poll's records were processed: whether the transaction ends
  // now (`polled`: the poll returned records).
  action after_poll(bool polled, clock::time_point now);

  // The newest offset of every source partition in the transaction, in
  // Kafka Connect's shape (partition, offset).
  offset_entries offsets() const;
  // The transaction ended (committed or aborted): its records with their
  // metadata (none: not sent to a topic of the task's, e.g. filtered), in
  // poll order; the books are empty again.
  std::vector<std::pair<source_record, std::optional<record_metadata>>> finish();

  // transaction_context (transaction.boundary=connector).
  void commit_transaction() override { requested_ = action::commit; }
  void commit_transaction(const source_record& r) override;
  void abort_transaction() override { requested_ = action::abort; }
  void abort_transaction(const source_record& r) override;

 private:
  struct entry {
    source_record record;
    std::optional<record_metadata> metadata;
  };
  struct at {
    data partition, offset;
    action what;
  };

  boundary b_;
  std::chrono::milliseconds interval_;
  bool open_ = false;
  clock::time_point begun_{};
  uint64_t next_seq_ = 0;
  uint64_t first_seq_ = 0;  // the sequence number of records_.front()
  std::deque<entry> records_;
  // The newest offset per source partition, by the partition's JSON.
  std::map<std::string, std::pair<data, data>> offsets_;
  action requested_ = action::none;  // after the current poll's records
  std::vector<at> at_records_;       // after one of them
};

}  // namespace runnel::connect
