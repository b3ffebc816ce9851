// load_consumer: one librdkafka consumer on its own thread, counting what
// it receives towards a goal it shares with the other consumers of the run.
//
// Two ways to time a message:
//  - stamped (e2e): the first 8 bytes of the value are the producer's
//    intended send time on CLOCK_MONOTONIC (same process, same clock); the
//    latency is the receive time minus that. Values without a stamp from
//    this run (older data, other writers) are skipped.
//  - age (consume): the receive time minus the message's timestamp, both in
//    wall-clock milliseconds. Reading a backlog, that is how old the data is.
//
// Thread-safety: assign()/subscribe() and start() from one thread, then
// join(); the results are the consumer thread's until join() returns.
// `live` and `assigned` may be read at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "cli/bench_load.h"
#include "cli/histogram.h"

namespace runnel::cli::bench {

// Shared by the consumers of one run.
struct consume_goal {
  std::atomic<uint64_t> target{UINT64_MAX};  // stop once this many were received in all
  std::atomic<uint64_t> received{0};         // claimed so far, by all consumers
  std::atomic<bool> done{false};             // set by the main thread: stop now
  int64_t deadline_ns = 0;                   // 0: none
  bool stamped = false;
  int64_t run_start_ns = 0;  // stamped: earlier stamps are not this run's
  // Where a partition starts when the group has no committed offset for it
  // (group mode), or always (assign mode); librdkafka's logical offsets
  // (RD_KAFKA_OFFSET_BEGINNING) allowed.
  std::map<int32_t, int64_t> start_offsets;
};

class load_consumer {
 public:
  // Takes ownership of `conf`; nullptr after printing why.
  static std::unique_ptr<load_consumer> create(const CLI::App& cmd, rd_kafka_conf_t* conf,
                                               const std::string& topic, consume_goal& goal);
  ~load_consumer();

  // Reads these partitions from goal.start_offsets.
  bool assign(const CLI::App& cmd, const std::vector<int32_t>& partitions);
  // Joins the group; partitions it is given start at the committed offset,
  // else at goal.start_offsets.
  bool subscribe(const CLI::App& cmd);

  void start();
  // The consumer thread has stopped.
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  void join();

  live_counters live;
  std::atomic<int> assigned{0};  // partitions assigned right now

  // Valid after join().
  histogram latency;
  uint64_t received = 0;
  uint64_t bytes = 0;
  int64_t first_ns = 0, last_ns = 0;  // when the first and last counted message came
  uint64_t errors = 0;
  std::string first_error;

 private:
  load_consumer(std::string topic, consume_goal& goal) : topic_(std::move(topic)), goal_(goal) {}
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque);
  void consume_all();
  // Counts one message received at `now` (CLOCK_MONOTONIC ns) / `wall`
  // (wall-clock ms). true: the goal is reached, stop.
  bool count(const rd_kafka_message_t* m, int64_t now, int64_t wall);

  rd_kafka_t* rk_ = nullptr;
  std::string topic_;
  consume_goal& goal_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

// --consumers load_consumers (at most one per partition without --group),
// each assigned its share of the partitions or subscribed, all started;
// empty after printing why.
std::vector<std::unique_ptr<load_consumer>> start_consumers(const CLI::App& cmd,
                                                            const load_options& o,
                                                            int32_t partitions, consume_goal& goal);

struct consumer_totals {
  histogram latency;
  uint64_t received = 0, bytes = 0, errors = 0;
  int64_t first_ns = 0, last_ns = 0;
  std::string first_error;
};
consumer_totals join_consumers(const std::vector<std::unique_ptr<load_consumer>>& cs);

// Waits while any consumer runs, ticking the progress line; sets goal.done
// when no message came for --timeout-ms. Returns whether that happened.
bool watch_consumers(const std::vector<std::unique_ptr<load_consumer>>& cs, const load_options& o,
                     consume_goal& goal, progress_line& progress);

}  // namespace runnel::cli::bench
