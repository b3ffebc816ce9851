// task: one sub-topology on one partition number — its input partitions,
// its instance of the operators, its state stores (restored from their
// changelogs before the first record), its punctuations and its progress
// (the offsets to commit).
//
// Life: open_stores() (the restorer then replays the changelogs it names),
// start(), records and commits, close().
//
// Owned by the task manager on the stream thread; nothing here is
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "restorer.h"
#include "runnel/client/consumer.h"
#include "runnel/stream/app.h"
#include "runnel/stream/detail/graph.h"
#include "shared.h"
#include "state/kv_store.h"
#include "state/session_store.h"
#include "state/window_store.h"
#include "window_cache.h"

namespace runnel::stream::runtime {

class task final : public detail::task_context {
 public:
  task(const subtopology& sub, int32_t partition, shared& s);
  ~task() override;

  const std::string& id() const { return id_; }
  const subtopology& sub() const { return sub_; }

  // Opens the stores and returns what each must replay from its changelog
  // before the task runs (the restorer does that, step by step).
  client::result<std::vector<restore_job>> open_stores();
  // Once the stores are whole: builds the operators (they read watermarks
  // and register punctuations as they are instantiated).
  void start();

  // A consumed record of one of this task's inputs: processed now if the
  // task has one input, else buffered for timestamp-ordered processing.
  void add(const client::message_view& m);
  // Processes buffered records (multi-input tasks), oldest first; true if
  // it processed any (so there is progress to commit).
  bool process_buffered(std::chrono::steady_clock::time_point now);
  bool has_buffered() const;
  void punctuate_wall_clock(int64_t now_ms);

  // Commit, first step: writes what the store caches hold to the stores and
  // their changelogs, before the app flushes the producer.
  void flush_caches();
  // Commit, after the producer flushed: stores durable, checkpoint written.
  client::result<void> flush_for_commit();
  std::vector<client::topic_partition_offset> offsets_to_commit() const;
  void close();

  task_metrics metrics() const;
  // Size and entries of each open store (RocksDB properties: cheap).
  std::vector<store_stat> store_stats() const;
  void set_lag(int64_t lag) { lag_ = lag; }

  // ---- task_context ----
  kv_bytes_store& kv_store(const std::string& name) override;
  window_bytes_store& window_store(const std::string& name) override;
  session_bytes_store& session_store(const std::string& name) override;
  void send(const std::string& topic, bool internal, std::optional<std::string_view> key,
            std::optional<std::string_view> value, int64_t timestamp, int32_t partition) override;
  int64_t stream_time() const override { return stream_time_; }
  void observe_timestamp(int64_t ts) override {
    if (ts > stream_time_)
      stream_time_ = ts;
    else if (ts < stream_time_ && shared_.histograms)
      shared_.histograms->lateness.observe(double(stream_time_ - ts) / 1000.0);
  }
  void schedule(std::chrono::milliseconds interval, punctuation_type type,
                std::function<void(int64_t)> fn) override;
  const record_origin& origin() const override { return origin_; }
  int32_t partition() const override { return partition_; }
  const std::string& application_id() const override { return shared_.config.application_id; }
  void late_record(std::string_view op, std::optional<std::string_view> key,
                   std::optional<std::string_view> value, int64_t ts) override;
  void bad_record(std::string_view why, std::optional<std::string_view> key,
                  std::optional<std::string_view> value, int64_t ts) override;

 private:
  struct buffered {
    int64_t offset;
    int64_t timestamp;
    std::optional<std::string> key, value;
  };
  struct input {
    std::string topic;
    detail::raw_sink sink;
    std::deque<buffered> queue;
    int64_t next_offset = -1;  // to commit; -1 nothing processed yet
  };
  struct store_slot {
    const detail::store_spec* spec;
    std::unique_ptr<state::kv_store> kv;
    std::unique_ptr<state::window_store> window;
    std::unique_ptr<window_cache> window_cached;  // in front of `window`, if the spec asks
    std::unique_ptr<state::session_store> session;
    changelog_slot* changelog = nullptr;
  };
  struct punctuator {
    int64_t interval;
    punctuation_type type;
    std::function<void(int64_t)> fn;
    int64_t next = INT64_MIN;
  };

  client::result<std::optional<restore_job>> open_store(store_slot& slot,
                                                        const std::optional<checkpoint>& cp);
  input* find_input(std::string_view topic);
  void process(input& in, const detail::raw_record& r, int64_t offset);
  void run_stream_punctuators();
  void to_dead_letter(std::string_view why, std::optional<std::string_view> key,
                      std::optional<std::string_view> value, int64_t ts);
  store_slot& slot(const std::string& name, store_kind kind);

  const subtopology& sub_;
  int32_t partition_;
  shared& shared_;
  std::string id_;
  std::filesystem::path dir_;
  std::vector<input> inputs_;
  std::map<std::string, store_slot, std::less<>> stores_;
  std::vector<punctuator> punctuators_;
  std::map<std::string, std::string, std::less<>> internal_names_;
  record_origin origin_;
  int64_t stream_time_ = INT64_MIN;
  std::optional<std::chrono::steady_clock::time_point> blocked_since_;

  uint64_t records_in_ = 0, records_out_ = 0, late_ = 0, skipped_ = 0;
  int64_t lag_ = -1;
  double latency_sum_us_ = 0, latency_max_us_ = 0;
  uint64_t latency_batches_ = 0;
};

}  // namespace runnel::stream::runtime
