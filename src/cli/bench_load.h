// What `runnel bench produce|consume|e2e` share: their flags, the librdkafka
// configuration those flags make, creating the topic, the live counters the
// workers publish, the once-a-second progress line and the final report.
//
// The load generators use librdkafka's C API directly rather than the client
// module: its producer copies every message into std::strings and its
// delivery reports allocate, which would make the tool, not the cluster, the
// bottleneck. Topic creation and offsets go through client::admin.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/histogram.h"

namespace runnel::cli::bench {

struct load_options {
  client_flags client;
  std::string topic = "runnel-bench";
  int32_t partitions = 16;  // when the topic is created
  int16_t replication_factor = -1;
  size_t message_bytes = 1024;
  std::optional<uint64_t> count;
  std::string duration;  // "10s", "500ms", "2m"; empty: the command's default
  double rate = 0;       // msgs/s over all producers; 0: as fast as possible
  std::string acks = "all";
  std::string compression = "none";
  int producers = 1;
  int consumers = 1;
  std::optional<int> linger_ms;
  std::optional<int> batch_bytes;
  bool idempotence = false;
  // Transactions (as Kafka's producer-perf-test): each producer gets the id
  // "<transactional_id>-<n>" and commits every transaction_duration_ms.
  std::string transactional_id;
  int64_t transaction_duration_ms = 100;
  bool json = false;
  std::string group;
  uint64_t prepare_count = 0;  // consume: write this many messages first
  int timeout_ms = 10000;      // consume, e2e: give up when nothing arrives for this long
  bool keep_topic = false;     // keep a topic this run created
};

enum flag_set : unsigned { producer_flags = 1, consumer_flags = 2 };

// The flags of one bench command: the common ones plus the producer's
// and/or the consumer's.
void add_load_flags(CLI::App& cmd, load_options& o, unsigned which);

// "10s", "250ms", "2m", "1h", or plain seconds ("1.5"); nullopt if malformed.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s);

// CLOCK_MONOTONIC in nanoseconds: the clock of every timestamp here, the
// e2e stamps in message payloads included (producer and consumer share the
// host, being one process).
int64_t now_ns();
// Sleeps until the monotonic time `t`.
void sleep_until_ns(int64_t t);

// Asked to stop (SIGINT/SIGTERM): workers finish early and the report covers
// what was done.
bool stop_requested();
void install_stop_handler();

// A librdkafka configuration: the cluster (--brokers, client id), the
// role's settings from the flags, then every -X property. nullptr after
// printing why (fail()).
rd_kafka_conf_t* make_producer_conf(const CLI::App& cmd, const load_options& o);
rd_kafka_conf_t* make_consumer_conf(const CLI::App& cmd, const load_options& o,
                                    const std::string& group);

// The topic a run works on. One the run created (it did not exist) is a
// scratch topic: deleted when the run ends, unless --keep-topic, so a
// benchmark leaves nothing behind in the cluster's data directory. A topic
// that existed is left as it is; finish() says what was written to it.
class bench_topic {
 public:
  // Creates the topic with --partitions if it does not exist (and `create`);
  // nullopt after printing why.
  static std::optional<bench_topic> open(const CLI::App& cmd, const load_options& o, bool create);

  bench_topic(bench_topic&& other) noexcept;
  bench_topic& operator=(bench_topic&&) = delete;
  // Deletes a scratch topic (quietly: a failed run has printed its error).
  ~bench_topic();

  int32_t partitions() const { return partitions_; }
  bool created() const { return created_; }
  // At the end of a successful run: one line on stderr saying what became
  // of the topic (deleted, kept, or how much was added to it), and deleting
  // a scratch topic.
  void finish(uint64_t messages, uint64_t bytes);

 private:
  bench_topic(const load_options& o, client::admin admin, int32_t partitions, bool created);
  void remove();

  std::string name_;
  bool keep_ = false;
  std::optional<client::admin> admin_;
  int32_t partitions_ = 0;
  bool created_ = false;
};

// Published by one worker thread, read by the progress line. Relaxed
// atomics: the line is approximate by nature.
struct alignas(64) live_counters {
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> latency_sum_ns{0};
  std::atomic<uint64_t> latency_max_ns{0};  // since the progress line last read it

  void add(uint64_t bytes_, uint64_t latency_ns) {
    count.fetch_add(1, std::memory_order_relaxed);
    bytes.fetch_add(bytes_, std::memory_order_relaxed);
    latency_sum_ns.fetch_add(latency_ns, std::memory_order_relaxed);
    if (latency_ns > latency_max_ns.load(std::memory_order_relaxed))
      latency_max_ns.store(latency_ns, std::memory_order_relaxed);
  }
};

// One line on stderr per second: for each named group of workers, msg/s and
// MB/s over the last second, and the latency mean and max in it.
class progress_line {
 public:
  struct group {
    std::string name;
    std::vector<live_counters*> workers;
  };
  // Disabled: tick() prints nothing.
  progress_line(bool enabled, std::vector<group> groups);
  // Call often (every ~100 ms); prints when a second has passed.
  void tick();

 private:
  struct seen {
    uint64_t count = 0, bytes = 0, latency_sum = 0;
  };
  bool enabled_;
  std::vector<group> groups_;
  std::vector<seen> seen_;
  int64_t start_, last_;
};

// The result of one run: human-readable lines on stdout, then with --json one
// JSON object as the last line. MB are 10^6 bytes of message values.
struct load_report {
  std::string bench;
  uint64_t count = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  const histogram* latency = nullptr;  // none: no latency line, null percentiles
  std::string latency_label;           // what the percentiles measure
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};
void print_report(const load_report& r, bool json);

// Random upper-case letters, like Kafka's producer-perf-test: compressible
// about as well as text, so --compression means something.
std::vector<char> make_payload(size_t bytes);

}  // namespace runnel::cli::bench
