#include "cli/bench_consumer.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/core.h>

namespace runnel::cli::bench {

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

}  // namespace

std::unique_ptr<load_consumer> load_consumer::create(const CLI::App& cmd, rd_kafka_conf_t* conf,
                                                     const std::string& topic, consume_goal& goal) {
  std::unique_ptr<load_consumer> c(new load_consumer(topic, goal));
  rd_kafka_conf_set_rebalance_cb(conf, &load_consumer::on_rebalance);
  rd_kafka_conf_set_opaque(conf, c.get());
  char err[512];
  c->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!c->rk_) {
    rd_kafka_conf_destroy(conf);
    fail(cmd, std::string("cannot create a consumer: ") + err);
    return nullptr;
  }
  rd_kafka_poll_set_consumer(c->rk_);
  return c;
}

load_consumer::~load_consumer() {
  goal_.done = true;
  if (thread_.joinable()) thread_.join();
  if (rk_) {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
}

bool load_consumer::assign(const CLI::App& cmd, const std::vector<int32_t>& partitions) {
  partition_list l(rd_kafka_topic_partition_list_new(int(partitions.size())));
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(l.get(), topic_.c_str(), p)->offset =
        goal_.start_offsets.at(p);
  }
  if (auto err = rd_kafka_assign(rk_, l.get()); err) {
    fail(cmd, std::string("assign: ") + rd_kafka_err2str(err));
    return false;
  }
  assigned = int(partitions.size());
  return true;
}

bool load_consumer::subscribe(const CLI::App& cmd) {
  partition_list l(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(l.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(rk_, l.get()); err) {
    fail(cmd, std::string("subscribe: ") + rd_kafka_err2str(err));
    return false;
  }
  return true;
}

// Runs inside rd_kafka_consumer_poll or rd_kafka_consume_batch_queue, on the
// consumer thread.
void load_consumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* c = static_cast<load_consumer*>(opaque);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    // Where the group left off, else where this run starts (for e2e: the
    // end as it was before the producers began, so nothing is missed).
    rd_kafka_committed(rk, parts, 10000);
    for (int i = 0; i < parts->cnt; ++i) {
      auto& p = parts->elems[i];
      if (p.offset < 0) {
        auto it = c->goal_.start_offsets.find(p.partition);
        p.offset = it != c->goal_.start_offsets.end() ? it->second : RD_KAFKA_OFFSET_END;
      }
    }
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_assign(rk, parts)) rd_kafka_error_destroy(e);
      c->assigned += parts->cnt;
    } else {
      rd_kafka_assign(rk, parts);
      c->assigned = parts->cnt;
    }
  } else {
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
      c->assigned -= parts->cnt;
    } else {
      rd_kafka_assign(rk, nullptr);
      c->assigned = 0;
    }
  }
}

void load_consumer::start() {
  thread_ = std::thread([this] { consume_all(); });
}

void load_consumer::join() {
  if (thread_.joinable()) thread_.join();
}

bool load_consumer::count(const rd_kafka_message_t* m, int64_t now, int64_t wall) {
  uint64_t ns = 0;
  bool timed = true;
  if (goal_.stamped) {
    int64_t stamp = 0;
    if (m->len < sizeof stamp) return false;
    std::memcpy(&stamp, m->payload, sizeof stamp);
    if (stamp < goal_.run_start_ns || stamp > now) return false;  // not this run's
    ns = uint64_t(now - stamp);
  } else {
    const int64_t ts = rd_kafka_message_timestamp(m, nullptr);
    timed = ts >= 0;
    if (timed) ns = uint64_t(std::max<int64_t>(0, wall - ts)) * 1'000'000;
  }
  // Claiming an index keeps the total exact with several consumers: the
  // ones past the target are not counted.
  const uint64_t target = goal_.target.load(std::memory_order_relaxed);
  const uint64_t index = goal_.received.fetch_add(1, std::memory_order_relaxed);
  if (index >= target) return true;
  if (timed) latency.record(ns);
  ++received;
  bytes += m->len;
  if (first_ns == 0) first_ns = now;
  last_ns = now;
  live.add(m->len, ns);
  return index + 1 >= target;
}

// Takes what librdkafka has queued in batches (one queue lock and one clock
// read per batch instead of per message: at a million messages a second the
// per-message poll was what limited a catch-up read), and blocks for one
// message only when the queue is empty, so nothing waits for a batch to fill.
void load_consumer::consume_all() {
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk_);
  std::vector<rd_kafka_message_t*> batch(1024);
  while (!goal_.done.load(std::memory_order_relaxed) && !stop_requested()) {
    if (goal_.received.load(std::memory_order_relaxed) >=
        goal_.target.load(std::memory_order_relaxed)) {
      break;
    }
    if (goal_.deadline_ns && now_ns() >= goal_.deadline_ns) break;
    ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch.data(), batch.size());
    if (n <= 0) {
      batch[0] = rd_kafka_consumer_poll(rk_, 100);
      n = batch[0] ? 1 : 0;
    }
    bool reached = false;
    // e2e stamps are read per message (they measure microseconds); a
    // backlog's age is in milliseconds, one clock read per batch does.
    int64_t now = now_ns();
    const int64_t wall = goal_.stamped ? 0 : wall_ms();
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[size_t(i)];
      if (reached) {
        rd_kafka_message_destroy(m);
        continue;
      }
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && errors++ == 0) {
          first_error = rd_kafka_message_errstr(m);
        }
      } else {
        if (goal_.stamped && i > 0) now = now_ns();
        reached = count(m, now, wall);
      }
      rd_kafka_message_destroy(m);
    }
    if (reached) break;
  }
  rd_kafka_queue_destroy(queue);
  finished_.store(true, std::memory_order_release);
}

std::vector<std::unique_ptr<load_consumer>> start_consumers(const CLI::App& cmd,
                                                            const load_options& o,
                                                            int32_t partitions,
                                                            consume_goal& goal) {
  const bool grouped = !o.group.empty();
  const int n = grouped ? o.consumers : std::min(o.consumers, int(partitions));
  std::vector<std::unique_ptr<load_consumer>> cs;
  for (int i = 0; i < n; ++i) {
    rd_kafka_conf_t* conf = make_consumer_conf(cmd, o, grouped ? o.group : "__runnel_bench");
    if (!conf) return {};
    auto c = load_consumer::create(cmd, conf, o.topic, goal);
    if (!c) return {};
    if (grouped) {
      if (!c->subscribe(cmd)) return {};
    } else {
      std::vector<int32_t> mine;
      for (int32_t p = i; p < partitions; p += n) mine.push_back(p);
      if (!c->assign(cmd, mine)) return {};
    }
    cs.push_back(std::move(c));
  }
  for (auto& c : cs) c->start();
  return cs;
}

consumer_totals join_consumers(const std::vector<std::unique_ptr<load_consumer>>& cs) {
  consumer_totals t;
  for (const auto& c : cs) {
    c->join();
    t.latency.merge(c->latency);
    t.received += c->received;
    t.bytes += c->bytes;
    t.errors += c->errors;
    if (c->first_ns && (!t.first_ns || c->first_ns < t.first_ns)) t.first_ns = c->first_ns;
    t.last_ns = std::max(t.last_ns, c->last_ns);
    if (t.first_error.empty()) t.first_error = c->first_error;
  }
  return t;
}

bool watch_consumers(const std::vector<std::unique_ptr<load_consumer>>& cs, const load_options& o,
                     consume_goal& goal, progress_line& progress) {
  uint64_t last_count = goal.received.load();
  int64_t last_change = now_ns();
  for (auto& c : cs) {
    while (!c->finished()) {
      progress.tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const uint64_t n = goal.received.load();
      const int64_t now = now_ns();
      if (n != last_count) {
        last_count = n;
        last_change = now;
      } else if (now - last_change > int64_t(o.timeout_ms) * 1'000'000) {
        goal.done = true;
        return true;
      }
    }
  }
  return false;
}

}  // namespace runnel::cli::bench
