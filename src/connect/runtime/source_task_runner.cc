// The source side of a worker: poll the task, transform, convert, produce,
// and commit each source partition's offset once every record before it is
// acknowledged (at-least-once). runtime/README section "Source tasks" has
// the sequence and the guarantees.
#include <chrono>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/api/source_task.h"
#include "connect/runtime/error_handler.h"
#include "connect/runtime/kafka_topics.h"
#include "connect/runtime/offset_store.h"
#include "connect/runtime/submitted_records.h"
#include "connect/runtime/task_converters.h"
#include "connect/runtime/transformation_chain.h"
#include "connect/runtime/worker_task.h"
#include "runnel/client/admin.h"
#include "runnel/client/producer.h"

namespace runnel::connect {

namespace {

using clock = std::chrono::steady_clock;
using timestamp_t = decltype(client::outgoing_message::timestamp)::value_type;

constexpr uint64_t dead_letter_tag = uint64_t(1) << 63;
constexpr auto poll_timeout = std::chrono::milliseconds(500);

class offsets_for final : public offset_reader {
 public:
  offsets_for(offset_store* s, std::string connector) : s_(s), connector_(std::move(connector)) {}
  std::optional<data> offset(const data& partition) override {
    return s_ ? s_->get(connector_, partition) : std::nullopt;
  }

 private:
  offset_store* s_;
  std::string connector_;
};

class source_context final : public source_task_context {
 public:
  source_context(const config_map& c, offset_store* s, const std::string& connector)
      : configs_(c), offsets_(s, connector) {}
  const config_map& configs() const override { return configs_; }
  offset_reader& offsets() override { return offsets_; }
  transaction_context* transactions() override { return nullptr; }

 private:
  const config_map& configs_;
  offsets_for offsets_;
};

class source_task_runner final : public worker_task {
 public:
  using worker_task::worker_task;

 protected:
  void run() override {
    if (auto r = setup(); !r) {
      // Kept in failure_ so that shutdown() leaves the FAILED status (and
      // its trace) in place instead of reporting UNASSIGNED over it.
      failure_ = r.error();
      fail(*failure_);
      shutdown(false);
      return;
    }
    loop();
    shutdown(!failure_);
  }

  void wake() override {
    std::lock_guard lock(task_mu_);
    if (task_ptr_) task_ptr_->wakeup();
  }

 private:
  result<void> setup() {
    CONNECT_TRY(conv_, task_converters::create(*env_.worker, cc_, *env_.plugins));
    CONNECT_TRY(chain_, transformation_chain::create(cc_.originals, *env_.plugins));
    handler_.emplace(cc_.errors, id_.connector, id_.task, &stopping_);
    auto overrides = with_prefix(cc_.originals, "producer.override.");

    client::producer_options po;
    po.client = env_.worker->client("producer", overrides);
    po.acks = "all";
    po.idempotent = true;
    // Kafka Connect retries a send for as long as it takes (delivery.timeout.ms
    // Integer.MAX_VALUE): a broker down for minutes delays, never drops.
    po.delivery_timeout = std::chrono::milliseconds(0);
    po.on_delivery = [this](const client::delivery_report& r) { on_delivery(r); };
    auto p = client::producer::create(po);
    if (!p) return from_client(p.error(), "connect: producer");
    producer_.emplace(std::move(p).value());

    if (!cc_.errors.dlq_topic.empty() ||
        (cc_.topic_creation_partitions && env_.worker->topic_creation_enable)) {
      auto a = client::admin::create({env_.worker->client("admin"), std::chrono::seconds(30)});
      if (!a) return from_client(a.error(), "connect: admin client");
      admin_.emplace(std::move(a).value());
    }
    if (!cc_.errors.dlq_topic.empty()) {
      CONNECT_TRY(
          ensure_topic(*admin_, cc_.errors.dlq_topic, -1, cc_.errors.dlq_replication_factor));
    }

    // A task that moved from another worker continues from its offsets.
    if (env_.offsets) {
      CONNECT_TRY(env_.offsets->refresh(std::chrono::seconds(30)));
    }

    const auto* plugin = env_.plugins->find(cc_.connector_class, plugin_type::source);
    if (!plugin)
      return make_error(errc::invalid_config, "no source connector " + cc_.connector_class);
    auto inst = plugin->make();
    auto* conn = dynamic_cast<source_connector*>(inst.get());
    if (!conn) return make_error(errc::invalid_config, cc_.connector_class + " is not a source");
    {
      std::lock_guard lock(task_mu_);
      task_ = conn->create_task();
      task_ptr_ = task_.get();
    }
    ctx_.emplace(task_config_, env_.offsets, id_.connector);
    if (auto r = task_->start(task_config_, *ctx_); !r) return r.error();
    started_ = true;
    return ok();
  }

  void loop() {
    auto last_commit = clock::now();
    bool paused_reported = false;
    report(target() == target_state::paused ? run_state::paused : run_state::running);
    paused_reported = target() == target_state::paused;
    const auto interval = std::chrono::milliseconds(env_.worker->offset_flush_interval_ms);
    while (!stopping() && !failure_) {
      if (target() == target_state::paused) {
        if (!paused_reported) report(run_state::paused);
        paused_reported = true;
        producer_->poll(std::chrono::milliseconds(0));
        if (clock::now() - last_commit >= interval) {
          commit_offsets();
          last_commit = clock::now();
        }
        wait_for(std::chrono::milliseconds(200));
        continue;
      }
      if (paused_reported) {
        report(run_state::running);
        paused_reported = false;
      }
      auto polled = handler_->with_retry([&] { return task_->poll(poll_timeout); });
      if (!polled) {
        if (polled.error().kind == errc::retriable) {
          spdlog::warn("connect: task {}: poll failed, will retry: {}", id_.str(),
                       polled.error().message);
          wait_for(std::chrono::milliseconds(1000));
          continue;
        }
        failure_ = polled.error();
        break;
      }
      for (auto& r : polled.value()) {
        if (failure_) break;
        if (auto p = process(r); !p) failure_ = p.error();
      }
      producer_->poll(std::chrono::milliseconds(0));
      if (clock::now() - last_commit >= interval) {
        commit_offsets();
        last_commit = clock::now();
      }
    }
    if (failure_) fail(*failure_);
  }

  // One record: transform, convert, send. An error fails the task.
  result<void> process(source_record& r) {
    counters_.records.fetch_add(1, std::memory_order_relaxed);
    if (r.offset_only()) {
      skip(std::move(r));
      return ok();
    }
    std::string failed_class;
    auto keep = handler_->with_retry([&] { return chain_.apply(r, &failed_class); });
    if (!keep) return failed(keep.error(), {stage::transformation, failed_class}, r);
    if (!keep.value()) {
      skip(std::move(r));
      return ok();
    }
    client::outgoing_message m;
    m.topic = r.topic;
    if (r.kafka_partition) m.partition = partition_id_t{*r.kafka_partition};
    if (r.timestamp) m.timestamp = timestamp_t{*r.timestamp};
    if (!r.headers.empty()) {
      auto h = handler_->with_retry([&] { return conv_.to_kafka(r.topic, r.headers); });
      if (!h) return failed(h.error(), {stage::header_converter, conv_.header_class}, r);
      m.headers = std::move(h).value();
    }
    auto k = handler_->with_retry(
        [&] { return conv_.key->from_connect(r.topic, m.headers, r.key_schema, r.key); });
    if (!k) return failed(k.error(), {stage::key_converter, conv_.key_class}, r);
    m.key = std::move(k).value();
    auto v = handler_->with_retry(
        [&] { return conv_.value->from_connect(r.topic, m.headers, r.value_schema, r.value); });
    if (!v) return failed(v.error(), {stage::value_converter, conv_.value_class}, r);
    m.value = std::move(v).value();
    CONNECT_TRY(maybe_create_topic(m.topic));
    counters_.bytes.fetch_add(
        int64_t((m.key ? m.key->size() : 0) + (m.value ? m.value->size() : 0)),
        std::memory_order_relaxed);
    const uint64_t id = tracker_.submit(r.source_partition, r.source_offset);
    m.tag = id;
    in_flight_.emplace(id, std::move(r));
    if (auto s = producer_->send(m); !s) {
      auto it = in_flight_.find(id);
      source_record rec = std::move(it->second);
      in_flight_.erase(it);
      auto e = from_client(s.error(), "producing to " + m.topic);
      error_context ctx{stage::kafka_produce, "org.apache.kafka.clients.producer.KafkaProducer"};
      ctx.source = &rec;
      // Not tolerated: the record stays unacknowledged, so no offset of its
      // partition commits past it.
      if (!handler_->tolerate(e, ctx)) return e;
      tracker_.ack(id);
      task_->commit_record(rec, nullptr);
    }
    return ok();
  }

  // A record the task gave but that sends nothing (filtered, offset-only):
  // its offset commits in order with the records before it.
  void skip(source_record&& r) {
    const uint64_t id = tracker_.submit(r.source_partition, r.source_offset);
    tracker_.ack(id);
    task_->commit_record(r, nullptr);
  }

  // A record failed at a stage: tolerated (logged, dead-lettered) or not.
  result<void> failed(const error& e, error_context ctx, source_record& r) {
    ctx.source = &r;
    if (!handler_->tolerate(e, ctx)) return e;
    if (!handler_->has_dead_letter_queue()) {
      skip(std::move(r));
      return ok();
    }
    // The record as runnel can still write it: JSON of key and value.
    auto json = [](const schema_ptr&, const data& v) -> std::optional<std::string> {
      if (v.is_null()) return std::nullopt;
      return to_display_string(v);
    };
    std::vector<client::header> hs;
    for (const auto& h : r.headers) hs.push_back({h.key, to_display_string(h.value)});
    auto dlq = handler_->dead_letter(e, ctx, json(r.key_schema, r.key),
                                     json(r.value_schema, r.value), std::move(hs));
    const uint64_t id = tracker_.submit(r.source_partition, r.source_offset);
    dlq->tag = id | dead_letter_tag;
    in_flight_.emplace(id, std::move(r));
    if (auto s = producer_->send(*dlq); !s)
      return from_client(s.error(), "producing to the dead letter queue " + dlq->topic);
    return ok();
  }

  result<void> maybe_create_topic(const std::string& topic) {
    if (!admin_ || !cc_.topic_creation_partitions || known_topics_.count(topic)) return ok();
    CONNECT_TRY(auto created, ensure_topic(*admin_, topic, *cc_.topic_creation_partitions,
                                           cc_.topic_creation_replication_factor.value_or(-1)));
    if (created) spdlog::info("connect: task {} created topic {}", id_.str(), topic);
    known_topics_.insert(topic);
    return ok();
  }

  // On the task's thread, inside producer poll/send/flush.
  void on_delivery(const client::delivery_report& d) {
    const uint64_t id = d.tag & ~dead_letter_tag;
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    source_record r = std::move(it->second);
    in_flight_.erase(it);
    if (d.error) {
      auto e = from_client(*d.error, "producing to " + d.topic);
      if (d.tag & dead_letter_tag) {
        if (!failure_) failure_ = e;
        return;
      }
      error_context ctx{stage::kafka_produce, "org.apache.kafka.clients.producer.KafkaProducer"};
      ctx.source = &r;
      if (!handler_->tolerate(e, ctx)) {
        // The offset stays behind this record: a restart sends it again.
        if (!failure_) failure_ = e;
        return;
      }
      tracker_.ack(id);
      if (task_) task_->commit_record(r, nullptr);
      return;
    }
    tracker_.ack(id);
    if (!task_) return;
    if (d.tag & dead_letter_tag) {
      task_->commit_record(r, nullptr);
      return;
    }
    record_metadata md{d.topic, int32_t(d.partition()), int64_t(d.offset()),
                       int64_t(d.timestamp())};
    task_->commit_record(r, &md);
  }

  // Stores the offsets of every acknowledged record; then task->commit().
  void commit_offsets() {
    for (auto& [p, o] : tracker_.take_committable()) {
      auto key = p.dump();
      uncommitted_[key] = {std::move(p), std::move(o)};
    }
    if (uncommitted_.empty() || !env_.offsets) return;
    offset_entries entries;
    entries.reserve(uncommitted_.size());
    for (auto& [k, e] : uncommitted_) entries.push_back(e);
    auto r = env_.offsets->put(id_.connector, entries,
                               std::chrono::milliseconds(env_.worker->offset_flush_timeout_ms));
    if (!r) {
      counters_.offset_commit_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("connect: task {}: committing offsets failed, will retry: {}", id_.str(),
                   r.error().message);
      return;
    }
    uncommitted_.clear();
    counters_.offset_commits.fetch_add(1, std::memory_order_relaxed);
    task_->commit();
  }

  void shutdown(bool flush) {
    if (task_ && started_) task_->stop();
    if (producer_) {
      if (flush) {
        // Wait (bounded) for what is in flight, so its offsets commit now
        // rather than being sent again after a restart.
        (void)producer_->flush(std::chrono::milliseconds(env_.worker->offset_flush_timeout_ms));
      } else {
        producer_->poll(std::chrono::milliseconds(0));
      }
      if (task_) commit_offsets();
    }
    {
      std::lock_guard lock(task_mu_);
      task_ptr_ = nullptr;
    }
    producer_.reset();
    if (!failure_) report(run_state::unassigned);
  }

  task_converters conv_;
  transformation_chain chain_;
  std::optional<error_handler> handler_;
  std::optional<client::producer> producer_;
  std::optional<client::admin> admin_;
  std::optional<source_context> ctx_;
  std::unique_ptr<source_task> task_;
  std::mutex task_mu_;
  source_task* task_ptr_ = nullptr;  // for wake(), under task_mu_
  bool started_ = false;
  submitted_records tracker_;
  std::unordered_map<uint64_t, source_record> in_flight_;
  std::map<std::string, std::pair<data, std::optional<data>>> uncommitted_;
  std::set<std::string> known_topics_;
  std::optional<error> failure_;
};

}  // namespace

std::shared_ptr<worker_task> make_source_task_runner(task_id id, connector_config cc,
                                                     config_map task_config, task_environment env) {
  return std::make_shared<source_task_runner>(std::move(id), std::move(cc), std::move(task_config),
                                              std::move(env));
}

}  // namespace runnel::connect
