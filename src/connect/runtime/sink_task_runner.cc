// The sink side of a worker: consume the connector's topics as the group
// "connect-<name>", convert and transform, put() batches, and commit what
// pre_commit() returns (at-least-once; exactly-once for tasks that store
// their position with their output and rewind in open()).
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/api/sink_task.h"
#include "connect/runtime/error_handler.h"
#include "connect/runtime/kafka_topics.h"
#include "connect/runtime/task_converters.h"
#include "connect/runtime/transformation_chain.h"
#include "connect/runtime/worker_task.h"
#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "runnel/client/producer.h"

namespace runnel::connect {

namespace {

using clock = std::chrono::steady_clock;
constexpr size_t max_poll_records = 500;
constexpr auto poll_timeout = std::chrono::milliseconds(500);
constexpr auto default_retry_backoff = std::chrono::milliseconds(1000);
// How long a rewind librdkafka is not ready for is tried again (apply_rewinds).
constexpr auto rewind_patience = std::chrono::seconds(30);

// A subscribed topic that does not exist (yet): the consumer keeps its
// subscription and picks the topic up once a source or a user creates it,
// as Kafka Connect's sink tasks wait for theirs. librdkafka reports it as
// Kafka's UNKNOWN_TOPIC_OR_PARTITION (3) on every metadata refresh.
bool topic_not_yet_there(const client::error& e) {
  return e.code == std::error_code(3, client::kafka_category());
}

class sink_task_runner;

class sink_context final : public sink_task_context {
 public:
  explicit sink_context(sink_task_runner& r) : r_(r) {}
  const config_map& configs() const override;
  void offset(const client::topic_partition& tp, int64_t offset) override;
  void timeout(std::chrono::milliseconds t) override;
  std::vector<client::topic_partition> assignment() const override;
  void pause(const std::vector<client::topic_partition>& tps) override;
  void resume(const std::vector<client::topic_partition>& tps) override;
  void request_commit() override;
  result<void> report(const sink_record& r, const error& e) override;

 private:
  sink_task_runner& r_;
};

class sink_task_runner final : public worker_task {
 public:
  using worker_task::worker_task;

 protected:
  void run() override {
    if (auto r = setup(); !r) {
      // Kept in failure_ so that shutdown() leaves the FAILED status (and
      // its trace) in place instead of reporting UNASSIGNED over it.
      failure_ = r.error();
      fail(*failure_);
      shutdown();
      return;
    }
    loop();
    shutdown();
  }

 private:
  friend class sink_context;

  result<void> setup() {
    CONNECT_TRY(conv_, task_converters::create(*env_.worker, cc_, *env_.plugins));
    CONNECT_TRY(chain_, transformation_chain::create(cc_.originals, *env_.plugins));
    handler_.emplace(cc_.errors, id_.connector, id_.task, &stopping_);
    if (!cc_.errors.dlq_topic.empty()) {
      auto a = client::admin::create({env_.worker->client("admin"), std::chrono::seconds(30)});
      if (!a) return from_client(a.error(), "connect: admin client");
      CONNECT_TRY(
          ensure_topic(a.value(), cc_.errors.dlq_topic, -1, cc_.errors.dlq_replication_factor));
      client::producer_options po;
      po.client = env_.worker->client("producer", with_prefix(cc_.originals, "producer.override."));
      po.acks = "all";
      po.idempotent = true;
      po.on_delivery = [this](const client::delivery_report& d) {
        if (d.error && !failure_)
          failure_ = from_client(*d.error, "producing to the dead letter queue " + d.topic);
      };
      auto p = client::producer::create(po);
      if (!p) return from_client(p.error(), "connect: dead letter queue producer");
      dlq_.emplace(std::move(p).value());
    }

    const auto* plugin = env_.plugins->find(cc_.connector_class, plugin_type::sink);
    if (!plugin)
      return make_error(errc::invalid_config, "no sink connector " + cc_.connector_class);
    auto inst = plugin->make();
    auto* conn = dynamic_cast<sink_connector*>(inst.get());
    if (!conn) return make_error(errc::invalid_config, cc_.connector_class + " is not a sink");
    task_ = conn->create_task();
    ctx_.emplace(*this);
    if (auto r = task_->start(task_config_, *ctx_); !r) return r.error();
    started_ = true;

    auto overrides = with_prefix(cc_.originals, "consumer.override.");
    client::consumer_options co;
    co.group_id = "connect-" + id_.connector;
    if (auto g = overrides.find("group.id"); g != overrides.end()) {
      co.group_id = g->second;
      overrides.erase(g);
    }
    co.client = env_.worker->client("consumer", overrides);
    co.auto_commit = false;
    co.auto_offset_reset = "earliest";
    co.on_rebalance = [this](const client::rebalance_event& e) { on_rebalance(e); };
    auto c = client::consumer::create(co);
    if (!c) return from_client(c.error(), "connect: consumer");
    consumer_.emplace(std::move(c).value());
    std::vector<std::string> topics = cc_.topics;
    if (topics.empty()) topics.push_back("^" + cc_.topics_regex);
    if (auto r = consumer_->subscribe(topics); !r) return from_client(r.error(), "subscribing");
    return ok();
  }

  void loop() {
    report(target() == target_state::paused ? run_state::paused : run_state::running);
    bool paused = false;
    auto last_commit = clock::now();
    const auto interval = std::chrono::milliseconds(env_.worker->offset_flush_interval_ms);
    while (!stopping() && !failure_) {
      apply_rewinds();
      const bool want_paused = target() == target_state::paused;
      if (want_paused != paused) {
        paused = want_paused;
        set_consumer_paused(paused);
        report(paused ? run_state::paused : run_state::running);
      }
      auto n = consumer_->poll_batch(paused ? std::chrono::milliseconds(200) : poll_timeout,
                                     max_poll_records,
                                     [this](const client::message_view& m) { consume(m); });
      if (!n && !client::is_transient(n.error()) && !topic_not_yet_there(n.error()) && !failure_)
        failure_ = from_client(n.error(), "consuming");
      if (failure_) break;
      if (!batch_.empty()) deliver();
      if (failure_) break;
      if (commit_requested_ || clock::now() - last_commit >= interval) {
        commit(assignment_);
        commit_requested_ = false;
        last_commit = clock::now();
      }
    }
    if (failure_) fail(*failure_);
  }

  // One consumed record: convert, transform, add to the batch.
  void consume(const client::message_view& m) {
    if (failure_) return;
    client::topic_partition tp{std::string(m.topic), m.partition};
    // Read from where the partition is about to be moved away from: the
    // seek (apply_rewinds) reads it again from the right place.
    if (rewinds_.count(tp)) return;
    consumed_[tp] = int64_t(m.offset()) + 1;
    counters_.bytes.fetch_add(
        int64_t((m.key ? m.key->size() : 0) + (m.value ? m.value->size() : 0)),
        std::memory_order_relaxed);
    sink_record r;
    r.topic = std::string(m.topic);
    r.kafka_partition = int32_t(m.partition());
    r.kafka_offset = int64_t(m.offset());
    r.original_topic = r.topic;
    r.original_partition = *r.kafka_partition;
    r.original_offset = r.kafka_offset;
    if (int64_t(m.timestamp()) >= 0) r.timestamp = int64_t(m.timestamp());
    r.ts_type = m.ts_type == client::timestamp_type::create_time ? timestamp_type::create_time
                : m.ts_type == client::timestamp_type::log_append_time
                    ? timestamp_type::log_append_time
                    : timestamp_type::no_timestamp;
    std::vector<client::header> raw = m.headers();
    auto k = handler_->with_retry([&] { return conv_.key->to_connect(m.topic, raw, m.key); });
    if (!k) return failed(k.error(), {stage::key_converter, conv_.key_class}, m);
    r.key_schema = std::move(k.value().schema);
    r.key = std::move(k.value().value);
    auto v = handler_->with_retry([&] { return conv_.value->to_connect(m.topic, raw, m.value); });
    if (!v) return failed(v.error(), {stage::value_converter, conv_.value_class}, m);
    r.value_schema = std::move(v.value().schema);
    r.value = std::move(v.value().value);
    if (!raw.empty()) {
      auto h = handler_->with_retry([&] { return conv_.from_kafka(m.topic, raw); });
      if (!h) return failed(h.error(), {stage::header_converter, conv_.header_class}, m);
      r.headers = std::move(h).value();
    }
    std::string failed_class;
    auto keep = handler_->with_retry([&] { return chain_.apply(r, &failed_class); });
    if (!keep) return failed(keep.error(), {stage::transformation, failed_class}, m);
    if (keep.value()) batch_.push_back(std::move(r));
  }

  void failed(const error& e, error_context ctx, const client::message_view& view) {
    client::message copy = view.copy();
    ctx.consumed = &copy;
    if (!handler_->tolerate(e, ctx)) {
      failure_ = e;
      return;
    }
    dead_letter(e, ctx);
  }

  void dead_letter(const error& e, const error_context& ctx) {
    if (!dlq_) return;
    auto m = handler_->dead_letter(e, ctx, std::nullopt, std::nullopt, {});
    if (auto s = dlq_->send(*m); !s && !failure_)
      failure_ = from_client(s.error(), "producing to the dead letter queue");
    dlq_->poll(std::chrono::milliseconds(0));
  }

  // put() the batch, retrying while the task says retriable.
  void deliver() {
    counters_.records.fetch_add(int64_t(batch_.size()), std::memory_order_relaxed);
    for (;;) {
      auto r = task_->put(batch_);
      if (r) break;
      if (r.error().kind != errc::retriable) {
        failure_ = r.error();
        return;
      }
      // Kafka's behaviour: pause every partition, wait the task's timeout
      // (polling so the group keeps us), then offer the same batch again.
      spdlog::warn("connect: task {}: put failed, will retry: {}", id_.str(), r.error().message);
      set_consumer_paused(true);
      const auto until = clock::now() + retry_timeout_.value_or(default_retry_backoff);
      retry_timeout_.reset();
      while (clock::now() < until && !stopping()) {
        (void)consumer_->poll_batch(std::chrono::milliseconds(100), 1,
                                    [this](const client::message_view& m) { consume(m); });
      }
      if (target() != target_state::paused) set_consumer_paused(false);
      if (stopping()) return;  // not put: the next owner reads them again
    }
    batch_.clear();
    for (const auto& [tp, o] : consumed_) current_[tp] = o;
  }

  void commit(const std::set<client::topic_partition>& which) {
    if (which.empty() || !task_) return;
    offset_map current;
    for (const auto& tp : which)
      if (auto it = current_.find(tp); it != current_.end()) current[tp] = it->second;
    auto safe = task_->pre_commit(current);
    if (!safe) {
      spdlog::warn("connect: task {}: pre-commit failed, offsets not committed: {}", id_.str(),
                   safe.error().message);
      counters_.offset_commit_failures.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Dead-lettered records are durable before offsets move past them.
    if (dlq_) {
      if (auto f = dlq_->flush(std::chrono::seconds(30)); !f) {
        if (!failure_) failure_ = from_client(f.error(), "flushing the dead letter queue");
        return;
      }
    }
    std::vector<client::topic_partition_offset> out;
    for (const auto& [tp, o] : safe.value()) {
      if (!which.count(tp)) continue;
      auto last = committed_.find(tp);
      if (last != committed_.end() && last->second == o) continue;
      out.push_back({tp.topic, tp.partition, offset_t{o}});
    }
    if (out.empty()) return;
    if (auto r = consumer_->commit(out); !r) {
      spdlog::warn("connect: task {}: committing offsets failed: {}", id_.str(), r.error().message);
      counters_.offset_commit_failures.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    for (const auto& o : out) committed_[{o.topic, o.partition}] = int64_t(o.offset());
    counters_.offset_commits.fetch_add(1, std::memory_order_relaxed);
  }

  // Inside poll_batch, on the task's thread.
  void on_rebalance(const client::rebalance_event& e) {
    std::vector<client::topic_partition> tps = e.partitions;
    switch (e.what) {
      case client::rebalance_event::kind::assigned: {
        for (const auto& tp : tps) assignment_.insert(tp);
        if (task_ && !failure_) {
          if (auto r = task_->open(tps); !r) failure_ = r.error();
        }
        if (target() == target_state::paused) (void)consumer_->pause(tps);
        break;
      }
      case client::rebalance_event::kind::revoked: {
        // What was read is put and committed before the partitions go.
        if (!batch_.empty() && !failure_) deliver();
        std::set<client::topic_partition> revoked(tps.begin(), tps.end());
        if (!failure_) commit(revoked);
        if (task_) (void)task_->close(tps);
        forget(tps);
        break;
      }
      case client::rebalance_event::kind::lost: {
        std::erase_if(batch_, [&](const sink_record& r) {
          for (const auto& tp : tps)
            if (tp.topic == r.topic && int32_t(tp.partition()) == r.kafka_partition) return true;
          return false;
        });
        if (task_) (void)task_->close(tps);
        forget(tps);
        break;
      }
    }
  }

  void forget(const std::vector<client::topic_partition>& tps) {
    for (const auto& tp : tps) {
      assignment_.erase(tp);
      consumed_.erase(tp);
      current_.erase(tp);
      committed_.erase(tp);
      task_paused_.erase(tp);
    }
  }

  void set_consumer_paused(bool paused) {
    std::vector<client::topic_partition> tps;
    for (const auto& tp : assignment_)
      if (paused || !task_paused_.count(tp)) tps.push_back(tp);
    if (tps.empty()) return;
    if (paused)
      (void)consumer_->pause(tps);
    else
      (void)consumer_->resume(tps);
  }

  void apply_rewinds() {
    if (rewinds_.empty()) return;
    std::vector<client::topic_partition_offset> seek;
    for (const auto& [tp, o] : rewinds_)
      if (assignment_.count(tp)) seek.push_back({tp.topic, tp.partition, offset_t{o}});
    if (seek.empty()) {
      rewinds_.clear();
      return;
    }
    if (auto r = consumer_->seek(seek, std::chrono::seconds(10)); !r) {
      // librdkafka refuses to seek a partition whose assignment it has
      // not applied yet (RD_KAFKA_RESP_ERR__STATE, "Erroneous state"), as
      // happens when open() rewinds right after a rebalance: try again on
      // the next turn of the loop, holding the partitions' records back
      // meanwhile (consume), for at most rewind_patience.
      constexpr int err_state = -172;
      const bool not_yet = r.error().code == std::error_code(err_state, client::kafka_category());
      if (!rewind_since_) rewind_since_ = clock::now();
      if (not_yet && clock::now() - *rewind_since_ < rewind_patience) return;
      rewinds_.clear();
      rewind_since_.reset();
      failure_ = from_client(r.error(), "moving the consumer");
      return;
    }
    rewinds_.clear();
    rewind_since_.reset();
    for (const auto& s : seek) {
      client::topic_partition tp{s.topic, s.partition};
      consumed_[tp] = current_[tp] = int64_t(s.offset());
    }
  }

  void shutdown() {
    if (consumer_ && task_ && started_ && !failure_) {
      if (!batch_.empty()) deliver();
      if (!failure_) commit(assignment_);
    }
    if (task_ && started_) {
      std::vector<client::topic_partition> tps(assignment_.begin(), assignment_.end());
      (void)task_->close(tps);
      task_->stop();
    }
    // Closing leaves the group; the hook must not touch the task any more.
    task_.reset();
    if (consumer_) (void)consumer_->close();
    consumer_.reset();
    if (dlq_) (void)dlq_->flush(std::chrono::seconds(5));
    dlq_.reset();
    if (!failure_) report(run_state::unassigned);
  }

  task_converters conv_;
  transformation_chain chain_;
  std::optional<error_handler> handler_;
  std::optional<client::consumer> consumer_;
  std::optional<client::producer> dlq_;
  std::optional<sink_context> ctx_;
  std::unique_ptr<sink_task> task_;
  bool started_ = false;
  std::vector<sink_record> batch_;
  std::set<client::topic_partition> assignment_, task_paused_;
  std::map<client::topic_partition, int64_t> consumed_, current_, committed_, rewinds_;
  std::optional<clock::time_point> rewind_since_;  // a rewind waits for librdkafka since
  std::optional<std::chrono::milliseconds> retry_timeout_;
  bool commit_requested_ = false;
  std::optional<error> failure_;
};

const config_map& sink_context::configs() const {
  return r_.task_config_;
}
void sink_context::offset(const client::topic_partition& tp, int64_t offset) {
  r_.rewinds_[tp] = offset;
}
void sink_context::timeout(std::chrono::milliseconds t) {
  r_.retry_timeout_ = t;
}
std::vector<client::topic_partition> sink_context::assignment() const {
  return {r_.assignment_.begin(), r_.assignment_.end()};
}
void sink_context::pause(const std::vector<client::topic_partition>& tps) {
  for (const auto& tp : tps) r_.task_paused_.insert(tp);
  (void)r_.consumer_->pause(tps);
}
void sink_context::resume(const std::vector<client::topic_partition>& tps) {
  for (const auto& tp : tps) r_.task_paused_.erase(tp);
  if (r_.target() != target_state::paused) (void)r_.consumer_->resume(tps);
}
void sink_context::request_commit() {
  r_.commit_requested_ = true;
}
result<void> sink_context::report(const sink_record& rec, const error& e) {
  // The record as it was read, rebuilt with the converters (the batch does
  // not keep the consumed bytes), as Kafka's ErrantRecordReporter does.
  client::message m;
  m.topic = rec.original_topic;
  m.partition = partition_id_t{rec.original_partition};
  m.offset = offset_t{rec.original_offset};
  if (auto h = r_.conv_.to_kafka(rec.topic, rec.headers)) m.headers = std::move(h).value();
  if (auto k = r_.conv_.key->from_connect(rec.topic, m.headers, rec.key_schema, rec.key))
    m.key = std::move(k).value();
  if (auto v = r_.conv_.value->from_connect(rec.topic, m.headers, rec.value_schema, rec.value))
    m.value = std::move(v).value();
  error_context ctx{stage::task_put, r_.cc_.connector_class};
  ctx.consumed = &m;
  if (!r_.handler_->tolerate(e, ctx)) return e;
  r_.dead_letter(e, ctx);
  return ok();
}

}  // namespace

std::shared_ptr<worker_task> make_sink_task_runner(task_id id, connector_config cc,
                                                   config_map task_config, task_environment env) {
  return std::make_shared<sink_task_runner>(std::move(id), std::move(cc), std::move(task_config),
                                            std::move(env));
}

}  // namespace runnel::connect
