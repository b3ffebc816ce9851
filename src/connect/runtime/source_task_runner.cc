// The source side of a worker: poll the task, transform, convert, produce,
// and commit each source partition's offset once every record before it is
// acknowledged (at-least-once) — or, with exactly.once.source.support=
// enabled, write the records and their offsets in one transaction of a
// transactional producer (KIP-618; source_transaction.h keeps its books).
// src/connect/README.md, "Runtime", has the sequence and the guarantees.
#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/api/source_task.h"
#include "connect/runtime/error_handler.h"
#include "connect/runtime/kafka_topics.h"
#include "connect/runtime/offset_store.h"
#include "connect/runtime/source_transaction.h"
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
// Exactly-once: the offset records a transaction writes to the offsets topic.
constexpr uint64_t offsets_tag = uint64_t(1) << 62;
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
  source_context(const config_map& c, offset_store* s, const std::string& connector,
                 transaction_context* txn)
      : configs_(c), offsets_(s, connector), txn_(txn) {}
  const config_map& configs() const override { return configs_; }
  offset_reader& offsets() override { return offsets_; }
  transaction_context* transactions() override { return txn_; }

 private:
  const config_map& configs_;
  offsets_for offsets_;
  transaction_context* txn_;  // exactly-once with transaction.boundary=connector only
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
    if (env_.worker->exactly_once_source()) {
      CONNECT_TRY(exactly_once_producer(po));
    }
    auto p = client::producer::create(po);
    if (!p) return from_client(p.error(), "connect: producer");
    producer_.emplace(std::move(p).value());
    if (txn_) {
      // Fences every older producer with this transactional.id (a killed
      // process's, a task that moved off another worker) and completes or
      // aborts what it left open, before the offsets are read below.
      if (auto r = producer_->init_transactions(po.transaction_timeout); !r)
        return from_client(r.error(), fmt::format("connect: task {}: initializing transactions "
                                                  "(transactional.id {})",
                                                  id_.str(), po.transactional_id));
      spdlog::info("connect: task {}: exactly-once, transactional.id {}, transaction.boundary {}",
                   id_.str(), po.transactional_id, cc_.transaction_boundary);
    }

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

    // A task that moved from another worker continues from its offsets
    // (read_committed: what an aborted transaction wrote is not there).
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
    ctx_.emplace(
        task_config_, env_.offsets, id_.connector,
        txn_ && txn_->kind() == source_transaction::boundary::connector ? &*txn_ : nullptr);
    if (auto r = task_->start(task_config_, *ctx_); !r) return r.error();
    started_ = true;
    return ok();
  }

  // Exactly-once (KIP-618): one transactional producer per task, whose
  // transactions also write the task's offsets to the offsets topic.
  result<void> exactly_once_producer(client::producer_options& po) {
    if (!env_.offsets || !env_.offsets->topic())
      return make_error(errc::invalid_config,
                        "exactly.once.source.support=enabled needs the offsets in a topic "
                        "(offset.storage.topic)");
    offsets_topic_ = *env_.offsets->topic();
    auto b = source_transaction::parse_boundary(cc_.transaction_boundary);
    if (!b)
      return make_error(errc::invalid_config, "Invalid value " + cc_.transaction_boundary +
                                                  " for configuration transaction.boundary");
    const auto interval = std::chrono::milliseconds(
        cc_.transaction_boundary_interval_ms.value_or(env_.worker->offset_flush_interval_ms));
    po.transactional_id = env_.worker->transactional_id(id_.connector, id_.task);
    // A transaction stays open for up to the interval (plus the poll that
    // ends it), so the coordinator must not abort it sooner; Kafka's 60 s
    // otherwise. Capped by the broker's transaction.max.timeout.ms (15
    // minutes by default); producer.override.transaction.timeout.ms wins.
    if (*b == source_transaction::boundary::interval)
      po.transaction_timeout = std::max(
          std::chrono::milliseconds(60000),
          std::min(interval + std::chrono::seconds(30), std::chrono::milliseconds(15 * 60 * 1000)));
    for (const auto& [k, v] : po.client.properties) {
      if (k != "transaction.timeout.ms") continue;
      try {
        po.transaction_timeout = std::chrono::milliseconds(std::stoll(v));
      } catch (const std::exception&) {
        return make_error(errc::invalid_config,
                          "Invalid value " + v + " for configuration transaction.timeout.ms");
      }
    }
    // A record not delivered within the transaction's life fails it anyway
    // (librdkafka refuses a message.timeout.ms above transaction.timeout.ms).
    po.delivery_timeout = po.transaction_timeout;
    txn_.emplace(*b, interval);
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
        if (txn_) {
          // Paused: nothing more joins the open transaction.
          end_transaction(source_transaction::action::commit);
        } else if (clock::now() - last_commit >= interval) {
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
        auto at = txn_ ? txn_->at_record(r) : source_transaction::action::none;
        if (auto p = process(r); !p) failure_ = p.error();
        if (!failure_ && at != source_transaction::action::none) end_transaction(at);
      }
      producer_->poll(std::chrono::milliseconds(0));
      if (txn_) {
        if (!failure_) end_transaction(txn_->after_poll(!polled.value().empty(), clock::now()));
      } else if (clock::now() - last_commit >= interval) {
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
    if (r.failure) {
      auto e = std::move(*r.failure);
      r.failure.reset();
      return failed(e, {stage::task_poll, cc_.connector_class}, r);
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
    if (txn_) return send_in_transaction(std::move(m), std::move(r));
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
    if (txn_) {
      if (auto b = begin_transaction(); !b) {
        if (!failure_) failure_ = b.error();
        return;
      }
      txn_->add(std::move(r));
      return;
    }
    const uint64_t id = tracker_.submit(r.source_partition, r.source_offset);
    tracker_.ack(id);
    task_->commit_record(r, nullptr);
  }

  // ---- Exactly-once ----

  result<void> begin_transaction() {
    if (txn_->open()) return ok();
    if (auto b = producer_->begin_transaction(); !b)
      return from_client(b.error(), "connect: task " + id_.str() + ": beginning a transaction");
    txn_->begin(clock::now());
    return ok();
  }

  // The record joins the open transaction. A send refused at once (too
  // large, unknown partition) leaves the transaction usable: tolerated, the
  // record stays in it unsent (its offset commits); otherwise the task fails
  // and the transaction is aborted.
  result<void> send_in_transaction(client::outgoing_message m, source_record r) {
    CONNECT_TRY(begin_transaction());
    // The report cannot come before add(): it is served on this thread,
    // and send() serves only earlier messages' reports.
    m.tag = txn_->next_seq();
    if (auto s = producer_->send(m); !s) {
      auto e = from_client(s.error(), "producing to " + m.topic);
      error_context ctx{stage::kafka_produce, "org.apache.kafka.clients.producer.KafkaProducer"};
      ctx.source = &r;
      if (!handler_->tolerate(e, ctx)) return e;
    }
    txn_->add(std::move(r));
    return ok();
  }

  // Ends the open transaction: commit writes the newest offset of each
  // source partition in it to the offsets topic, then commits records and
  // offsets together; only then are the offsets visible to get() and the
  // records handed to commit_record(). Abort (the connector asked) drops
  // both. A failure fails the task; shutdown() aborts what is left open.
  void end_transaction(source_transaction::action a) {
    if (a == source_transaction::action::none || !txn_->open() || failure_) return;
    const auto timeout = std::chrono::milliseconds(60000);
    if (a == source_transaction::action::abort) {
      const size_t n = txn_->size();
      auto r = producer_->abort_transaction(timeout);
      producer_->poll(std::chrono::milliseconds(0));
      txn_->finish();
      if (!r) {
        failure_ =
            from_client(r.error(), "connect: task " + id_.str() + ": aborting a transaction");
        return;
      }
      spdlog::info("connect: task {}: the connector aborted a transaction of {} records", id_.str(),
                   n);
      return;
    }
    auto entries = txn_->offsets();
    for (const auto& [partition, offset] : entries) {
      client::outgoing_message m;
      m.topic = offsets_topic_;
      m.key = offset_key(id_.connector, partition);
      m.value = offset_value(offset);
      m.tag = offsets_tag;
      if (auto s = producer_->send(m); !s) {
        failure_ = from_client(
            s.error(), "connect: task " + id_.str() + ": writing offsets to " + offsets_topic_);
        return;
      }
    }
    auto r = producer_->commit_transaction(timeout);
    // Delivery reports not served inside the commit's flush.
    producer_->poll(std::chrono::milliseconds(0));
    if (!r) {
      counters_.offset_commit_failures.fetch_add(1, std::memory_order_relaxed);
      failure_ = from_client(r.error(), "connect: task " + id_.str() +
                                            ": committing a transaction (another instance of "
                                            "the task may have fenced this one)");
      return;
    }
    if (failure_) return;
    env_.offsets->committed(id_.connector, entries);
    for (auto& [rec, md] : txn_->finish()) task_->commit_record(rec, md ? &*md : nullptr);
    counters_.offset_commits.fetch_add(1, std::memory_order_relaxed);
    task_->commit();
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
    if (txn_) {
      // The dead letter is part of the transaction too.
      CONNECT_TRY(begin_transaction());
      dlq->tag = txn_->add(std::move(r)) | dead_letter_tag;
      if (auto s = producer_->send(*dlq); !s)
        return from_client(s.error(), "producing to the dead letter queue " + dlq->topic);
      return ok();
    }
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
    if (txn_) {
      // A record that failed makes its transaction fail (librdkafka then
      // refuses the commit too); the task fails and the restart sends the
      // whole transaction again.
      const bool offsets = d.tag & offsets_tag;
      const uint64_t seq = d.tag & ~(offsets_tag | dead_letter_tag);
      // A report of a transaction that ended (the messages an abort purged).
      if (!offsets && !txn_->current(seq)) return;
      if (d.error) {
        if (!failure_)
          failure_ = from_client(*d.error, "connect: task " + id_.str() + ": producing to " +
                                               d.topic + " in a transaction");
        return;
      }
      if (offsets || (d.tag & dead_letter_tag)) return;
      txn_->delivered(seq, record_metadata{d.topic, int32_t(d.partition()), int64_t(d.offset()),
                                           int64_t(d.timestamp())});
      return;
    }
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
    if (producer_ && txn_) {
      // Stopping cleanly commits what the transaction holds; after a
      // failure it is aborted now rather than at its timeout, so that
      // read_committed readers are not held up behind it.
      if (flush && task_) end_transaction(source_transaction::action::commit);
      if (txn_->open()) {
        (void)producer_->abort_transaction(
            std::chrono::milliseconds(env_.worker->offset_flush_timeout_ms));
        txn_->finish();
      }
    } else if (producer_) {
      if (flush) {
        // First the offsets of what is acknowledged already: a flush that
        // outlasts task.shutdown.graceful.timeout.ms (a slow or stalled
        // broker) gets the task abandoned, and the process may end before
        // anything after it runs. Then wait for what is in flight, within
        // half the time the worker still gives this task (the rest is for
        // storing its offsets), so they commit now rather than being sent
        // again after a restart.
        producer_->poll(std::chrono::milliseconds(0));
        if (task_) commit_offsets();
        const auto budget = std::chrono::milliseconds(env_.worker->offset_flush_timeout_ms);
        (void)producer_->flush(stop_time_left(budget * 2) / 2);
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
  // Exactly-once only: the open transaction's books and the offsets topic.
  std::optional<source_transaction> txn_;
  std::string offsets_topic_;
};

}  // namespace

std::shared_ptr<worker_task> make_source_task_runner(task_id id, connector_config cc,
                                                     config_map task_config, task_environment env) {
  return std::make_shared<source_task_runner>(std::move(id), std::move(cc), std::move(task_config),
                                              std::move(env));
}

}  // namespace runnel::connect
