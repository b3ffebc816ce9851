#include "cli/bench_producer.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace runnel::cli::bench {

std::unique_ptr<load_producer> load_producer::create(const CLI::App& cmd, rd_kafka_conf_t* conf,
                                                     const std::string& topic,
                                                     const std::vector<char>& payload,
                                                     int64_t transaction_duration_ms) {
  std::unique_ptr<load_producer> p(new load_producer());
  p->payload_ = payload;
  char tid[256];
  size_t tid_len = sizeof tid;
  const bool transactional =
      rd_kafka_conf_get(conf, "transactional.id", tid, &tid_len) == RD_KAFKA_CONF_OK && tid_len > 1;
  rd_kafka_conf_set_dr_msg_cb(conf, &load_producer::on_delivery);
  rd_kafka_conf_set_opaque(conf, p.get());
  char err[512];
  p->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!p->rk_) {
    rd_kafka_conf_destroy(conf);
    fail(cmd, std::string("cannot create a producer: ") + err);
    return nullptr;
  }
  p->rkt_ = rd_kafka_topic_new(p->rk_, topic.c_str(), nullptr);
  if (!p->rkt_) {
    fail(cmd, std::string("topic ") + topic + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    return nullptr;
  }
  if (transactional) {
    if (rd_kafka_error_t* e = rd_kafka_init_transactions(p->rk_, 30000)) {
      fail(cmd, std::string("cannot initialise transactions: ") + rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
      return nullptr;
    }
    p->transaction_ns_ = std::max<int64_t>(transaction_duration_ms, 1) * 1'000'000;
  }
  return p;
}

load_producer::~load_producer() {
  if (sender_.joinable()) sender_.join();
  sending_done_ = true;
  if (poller_.joinable()) poller_.join();
  if (rkt_) rd_kafka_topic_destroy(rkt_);
  if (rk_) {
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(rk_);
  }
}

// Runs on the poller thread only (nobody else calls rd_kafka_poll), so the
// results need no lock.
void load_producer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* p = static_cast<load_producer*>(opaque);
  std::unique_lock<std::mutex> lock(p->delivery_mu_, std::defer_lock);
  if (p->transaction_ns_) lock.lock();  // a commit's flush serves reports too
  const int64_t now = now_ns();
  if (m->err) {
    if (p->failed++ == 0) {
      p->first_error = fmt::format(
          "{}{}", rd_kafka_err2str(m->err),
          m->partition >= 0 ? fmt::format(" (partition {})", m->partition) : std::string());
    }
    return;
  }
  const auto intended = int64_t(reinterpret_cast<uintptr_t>(m->_private));
  const uint64_t latency = now > intended ? uint64_t(now - intended) : 0;
  p->latency.record(latency);
  ++p->delivered;
  p->delivered_bytes += m->len;
  p->last_delivery_ns = now;
  p->live.add(m->len, latency);
}

void load_producer::start(const producer_plan& plan) {
  poller_ = std::thread([this] { poll_all(); });
  sender_ = std::thread([this, plan] { send_all(plan); });
}

void load_producer::join() {
  if (sender_.joinable()) sender_.join();
  if (poller_.joinable()) poller_.join();
  if (!send_error_.empty()) {
    ++failed;
    if (first_error.empty()) first_error = "cannot queue a message: " + send_error_;
  }
}

bool load_producer::next_transaction(bool last) {
  if (rd_kafka_error_t* e = rd_kafka_commit_transaction(rk_, -1)) {
    send_error_ = std::string("commit_transaction: ") + rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return false;
  }
  ++transactions;
  last_commit_ns = now_ns();
  if (last) return true;
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(rk_)) {
    send_error_ = std::string("begin_transaction: ") + rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return false;
  }
  return true;
}

void load_producer::send_all(const producer_plan& plan) {
  const double ns_per_msg = plan.rate > 0 ? 1e9 / plan.rate : 0;
  std::vector<char> stamped = payload_;
  int64_t txn_started = 0;
  if (transaction_ns_) {
    if (rd_kafka_error_t* e = rd_kafka_begin_transaction(rk_)) {
      send_error_ = std::string("begin_transaction: ") + rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      sending_done_.store(true, std::memory_order_release);
      return;
    }
    txn_started = now_ns();
  }
  for (uint64_t i = 0;; ++i) {
    if (stop_requested() || (plan.count && i >= plan.count)) break;
    if (transaction_ns_ && now_ns() - txn_started >= transaction_ns_) {
      if (!next_transaction(false)) break;
      txn_started = now_ns();
    }
    int64_t intended;
    if (ns_per_msg > 0) {
      intended = plan.start_ns + int64_t(double(i) * ns_per_msg);
      if (plan.deadline_ns && intended >= plan.deadline_ns) break;
      if (now_ns() < intended) sleep_until_ns(intended);
    } else {
      intended = now_ns();
      if (plan.deadline_ns && intended >= plan.deadline_ns) break;
    }
    void* opaque = reinterpret_cast<void*>(uintptr_t(intended));
    int r;
    // F_BLOCK: wait while librdkafka's queue is full (the poller drains it).
    if (plan.stamp) {
      std::memcpy(stamped.data(), &intended, sizeof intended);
      r = rd_kafka_produce(rkt_, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_BLOCK,
                           stamped.data(), stamped.size(), nullptr, 0, opaque);
    } else {
      // The payload never changes and outlives the handle: no copy.
      r = rd_kafka_produce(rkt_, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_BLOCK, payload_.data(),
                           payload_.size(), nullptr, 0, opaque);
    }
    if (r != 0) {
      // Not queued at all (unknown topic, message too large, ...): every
      // other message would fail the same way.
      send_error_ = rd_kafka_err2str(rd_kafka_last_error());
      break;
    }
    ++sent;
  }
  if (transaction_ns_ && send_error_.empty()) next_transaction(true);
  sending_done_.store(true, std::memory_order_release);
}

void load_producer::poll_all() {
  // rd_kafka_outq_len counts queued and in-flight messages and reports not
  // yet served; every message gets its report within message.timeout.ms.
  while (!(sending_done_.load(std::memory_order_acquire) && rd_kafka_outq_len(rk_) == 0)) {
    rd_kafka_poll(rk_, 50);
  }
  finished_.store(true, std::memory_order_release);
}

std::vector<std::unique_ptr<load_producer>> make_producers(const CLI::App& cmd,
                                                           const load_options& o) {
  const auto payload = make_payload(o.message_bytes);
  std::vector<std::unique_ptr<load_producer>> ps;
  for (int i = 0; i < o.producers; ++i) {
    rd_kafka_conf_t* conf = make_producer_conf(cmd, o);
    if (!conf) return {};
    if (!o.transactional_id.empty()) {
      const std::string tid = o.transactional_id + "-" + std::to_string(i);
      char err[256];
      if (rd_kafka_conf_set(conf, "transactional.id", tid.c_str(), err, sizeof err) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        fail(cmd, std::string("transactional.id: ") + err);
        return {};
      }
    }
    auto p = load_producer::create(cmd, conf, o.topic, payload, o.transaction_duration_ms);
    if (!p) return {};
    ps.push_back(std::move(p));
  }
  return ps;
}

void start_producers(const std::vector<std::unique_ptr<load_producer>>& ps, const load_options& o,
                     int64_t start_ns, int64_t deadline_ns, bool stamp) {
  const auto n = uint64_t(ps.size());
  for (uint64_t i = 0; i < n; ++i) {
    producer_plan plan;
    plan.start_ns = start_ns;
    plan.deadline_ns = deadline_ns;
    plan.stamp = stamp;
    plan.rate = o.rate / double(n);
    if (o.count) {
      plan.count = *o.count / n + (i < *o.count % n ? 1 : 0);
      if (plan.count == 0) plan.deadline_ns = start_ns;  // more producers than messages
    }
    ps[i]->start(plan);
  }
}

producer_totals join_producers(const std::vector<std::unique_ptr<load_producer>>& ps) {
  producer_totals t;
  for (const auto& p : ps) {
    p->join();
    t.latency.merge(p->latency);
    t.sent += p->sent;
    t.delivered += p->delivered;
    t.failed += p->failed;
    t.bytes += p->delivered_bytes;
    t.last_delivery_ns = std::max(t.last_delivery_ns, p->last_delivery_ns);
    t.last_commit_ns = std::max(t.last_commit_ns, p->last_commit_ns);
    t.transactions += p->transactions;
    if (t.first_error.empty()) t.first_error = p->first_error;
  }
  return t;
}

}  // namespace runnel::cli::bench
