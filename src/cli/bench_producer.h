// load_producer: one librdkafka producer driven by two threads, a sender
// that enqueues messages on a schedule and a poller that serves the delivery
// reports as soon as they arrive, so a report's time is when librdkafka had
// it and not when the sender next found time to look.
//
// Latency is the delivery report's time minus the message's intended send
// time. With a rate, the intended time is the message's slot on a fixed
// schedule (start + i / rate), so when the producer falls behind, the
// waiting counts too (no coordinated omission). Without a rate it is the
// moment the sender hands the message to librdkafka, which then blocks
// while librdkafka's queue is full.
//
// With a transactional.id the sender also begins and commits transactions,
// one every `transaction_duration_ms`; committing flushes, which serves
// delivery reports on the sender's thread too, so they take a lock then.
//
// Thread-safety: start() once, then join(); the results are the poller's
// until join() returns. `live` may be read at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "cli/bench_load.h"
#include "cli/histogram.h"

namespace runnel::cli::bench {

struct producer_plan {
  int64_t start_ns = 0;
  uint64_t count = 0;       // messages to send; 0: until the deadline
  int64_t deadline_ns = 0;  // 0: none
  double rate = 0;          // this producer's msgs/s; 0: as fast as possible
  // Write the intended send time (now_ns(), 8 bytes, host order) at the start
  // of every value, for the e2e consumer.
  bool stamp = false;
};

class load_producer {
 public:
  // Takes ownership of `conf`; nullptr after printing why. A conf with a
  // transactional.id is initialised for transactions of
  // `transaction_duration_ms`.
  static std::unique_ptr<load_producer> create(const CLI::App& cmd, rd_kafka_conf_t* conf,
                                               const std::string& topic,
                                               const std::vector<char>& payload,
                                               int64_t transaction_duration_ms = 0);
  ~load_producer();

  void start(const producer_plan& plan);
  // Every message sent has its delivery report.
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  // Waits until finished().
  void join();

  live_counters live;

  // Valid after join().
  histogram latency;
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t delivered_bytes = 0;
  int64_t last_delivery_ns = 0;
  uint64_t transactions = 0;   // committed
  int64_t last_commit_ns = 0;  // when the last transaction's commit returned
  std::string first_error;

 private:
  load_producer() = default;
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  void send_all(const producer_plan& plan);
  void poll_all();
  // Commits the open transaction and (unless last) begins the next; false
  // after recording why not.
  bool next_transaction(bool last);

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  std::vector<char> payload_;   // sent without copying unless stamped
  std::string send_error_;      // why the sender stopped early, if it did
  int64_t transaction_ns_ = 0;  // 0: not transactional
  std::mutex delivery_mu_;      // delivery reports, when two threads may serve them
  std::atomic<bool> sending_done_{false};
  std::atomic<bool> finished_{false};
  std::thread sender_, poller_;
};

// --producers load_producers with the flags' settings; empty after printing
// why.
std::vector<std::unique_ptr<load_producer>> make_producers(const CLI::App& cmd,
                                                           const load_options& o);

// Starts them all on one schedule: --count and --rate divided between them,
// `deadline_ns` (0: none) for all.
void start_producers(const std::vector<std::unique_ptr<load_producer>>& ps, const load_options& o,
                     int64_t start_ns, int64_t deadline_ns, bool stamp);

struct producer_totals {
  histogram latency;
  uint64_t sent = 0, delivered = 0, failed = 0, bytes = 0, transactions = 0;
  int64_t last_delivery_ns = 0;
  int64_t last_commit_ns = 0;
  std::string first_error;
};
// Joins them all and adds up their results.
producer_totals join_producers(const std::vector<std::unique_ptr<load_producer>>& ps);

}  // namespace runnel::cli::bench
