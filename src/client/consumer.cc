#include "runnel/client/consumer.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "client/rdkafka_handle.h"

namespace runnel::client {

using namespace detail;

struct consumer::impl : handle_context {
  kafka_ptr rk;
  queue_ptr queue;  // the consumer queue, for poll_batch
  bool has_group = false;
  bool closed = false;
  std::chrono::milliseconds api_timeout{60000};  // consumer_options::default_api_timeout

  // Rebalances (consumer_options::on_rebalance) ---------------------------
  std::function<void(const rebalance_event&)> on_rebalance;
  // Set while poll_batch is inside librdkafka: a rebalance served there is
  // only recorded, and carried out once fn has seen the messages collected
  // before it (see rebalance_callback).
  bool defer_rebalances = false;
  struct deferred_rebalance {
    rd_kafka_resp_err_t err;
    partition_list_ptr partitions;
    bool lost;
  };
  std::vector<deferred_rebalance> deferred;
  // The first error a rebalance hit (assigning, or the hook threw), for the
  // next poll/poll_batch to return: the callback itself cannot return it.
  std::optional<error> rebalance_error;

  // Reused by poll_batch so that a batch allocates nothing.
  std::vector<rd_kafka_message_t*> batch;

  // consumer::commit: `offsets`, or null for the positions poll() reached.
  result<void> commit(const rd_kafka_topic_partition_list_t* offsets);

  result<void> close() {
    if (closed || !rk) return success();
    closed = true;
    run_deferred_rebalances();
    // Rebalances served inside close (the final revoke) run at once.
    defer_rebalances = false;
    queue.reset();
    const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk.get());
    rk.reset();
    if (err) return make_error(err, "closing the consumer", "");
    return success();
  }

  ~impl() { (void)close(); }

  // librdkafka's rebalance_cb, installed only when on_rebalance is set. Runs
  // inside rd_kafka_consumer_poll, rd_kafka_consume_batch_queue or
  // rd_kafka_consumer_close, on the caller's thread.
  static void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* c = static_cast<impl*>(static_cast<handle_context*>(opaque));
    const bool lost = err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && rd_kafka_assignment_lost(rk);
    if (c->defer_rebalances) {
      // poll_batch hands out what librdkafka collected only after the call
      // returns, and a batch call goes on collecting after this callback.
      // Running the hook now could let it (a revoke that commits, say) run
      // before messages queued ahead of the rebalance. Deferring keeps queue
      // order: librdkafka's group state simply waits for our assign or
      // unassign call, and nothing of a partition to be assigned can be
      // queued before that call.
      c->deferred.push_back(
          {err, partition_list_ptr(rd_kafka_topic_partition_list_copy(partitions)), lost});
      rd_kafka_yield(rk);  // return to poll_batch soon, which carries it out
      return;
    }
    c->rebalance(err, partitions, lost);
  }

  void run_deferred_rebalances() {
    // Take the list first: a hook that polled (it should not) would add to
    // it, and those must wait for the next round.
    auto pending = std::move(deferred);
    deferred.clear();
    for (auto& d : pending) rebalance(d.err, d.partitions.get(), d.lost);
  }

  void note_rebalance_error(error e) {
    if (!rebalance_error) rebalance_error = std::move(e);
  }

  void call_hook(rebalance_event::kind what, const rd_kafka_topic_partition_list_t* partitions) {
    rebalance_event ev;
    ev.what = what;
    ev.partitions.reserve(static_cast<size_t>(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) {
      ev.partitions.push_back(
          {partitions->elems[i].topic, runnel::partition_id{partitions->elems[i].partition}});
    }
    // An exception must not unwind through librdkafka's C frames, and the
    // (un)assignment after the hook must happen either way.
    try {
      on_rebalance(ev);
    } catch (const std::exception& e) {
      note_rebalance_error(invalid_argument(std::string("on_rebalance threw: ") + e.what()));
    } catch (...) {
      note_rebalance_error(invalid_argument("on_rebalance threw"));
    }
  }

  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, bool lost) {
    rd_kafka_t* h = rk.get();
    const char* protocol = rd_kafka_rebalance_protocol(h);
    const bool cooperative = protocol && std::string_view(protocol) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      // Assign first, so that the hook may pause what it was given.
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(h, partitions)) {
          note_rebalance_error(take_error(e, "assigning partitions"));
        }
      } else if (const rd_kafka_resp_err_t e = rd_kafka_assign(h, partitions)) {
        note_rebalance_error(make_error(e, "assigning partitions", ""));
      }
      call_hook(rebalance_event::kind::assigned, partitions);
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      // The hook first: the partitions are still ours, so it can commit.
      call_hook(lost ? rebalance_event::kind::lost : rebalance_event::kind::revoked, partitions);
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(h, partitions)) {
          note_rebalance_error(take_error(e, "unassigning partitions"));
        }
      } else if (const rd_kafka_resp_err_t e = rd_kafka_assign(h, nullptr)) {
        note_rebalance_error(make_error(e, "unassigning partitions", ""));
      }
      return;
    }
    // A failed rebalance: librdkafka asks the application to drop its
    // assignment and will rejoin.
    note_rebalance_error(make_error(err, "rebalancing", ""));
    if (cooperative) {
      error_ptr(rd_kafka_incremental_unassign(h, partitions));
    } else {
      (void)rd_kafka_assign(h, nullptr);
    }
  }

  // Returns (and clears) what a rebalance left to report.
  result<void> take_rebalance_error() {
    if (!rebalance_error) return success();
    error e = std::move(*rebalance_error);
    rebalance_error.reset();
    return e;
  }
};

namespace {

constexpr const char* kNoGroup = "__runnel_assign_only";

timestamp_type to_timestamp_type(rd_kafka_timestamp_type_t type) {
  return type == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? timestamp_type::create_time
         : type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? timestamp_type::log_append_time
                                                      : timestamp_type::not_available;
}

std::vector<header> read_headers(const rd_kafka_message_t& m) {
  std::vector<header> out;
  rd_kafka_headers_t* hdrs = nullptr;
  // The headers stay owned by the message.
  if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == 0; ++i) {
      header h{name, std::nullopt};
      if (value) h.value.emplace(static_cast<const char*>(value), size);
      out.push_back(std::move(h));
    }
  }
  return out;
}

message to_message(const rd_kafka_message_t& m) {
  message out;
  out.topic = rd_kafka_topic_name(m.rkt);
  out.partition = runnel::partition_id{m.partition};
  out.offset = runnel::offset{m.offset};
  rd_kafka_timestamp_type_t type;
  out.timestamp = runnel::timestamp{rd_kafka_message_timestamp(&m, &type)};
  out.ts_type = to_timestamp_type(type);
  if (m.key) out.key.emplace(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) out.value.emplace(static_cast<const char*>(m.payload), m.len);
  out.headers = read_headers(m);
  return out;
}

message_view to_view(const rd_kafka_message_t& m) {
  message_view v;
  v.topic = rd_kafka_topic_name(m.rkt);
  v.partition = runnel::partition_id{m.partition};
  v.offset = runnel::offset{m.offset};
  rd_kafka_timestamp_type_t type;
  v.timestamp = runnel::timestamp{rd_kafka_message_timestamp(&m, &type)};
  v.ts_type = to_timestamp_type(type);
  if (m.key) v.key.emplace(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) v.value.emplace(static_cast<const char*>(m.payload), m.len);
  v.impl = &m;
  return v;
}

std::string where(const std::string& topic, int32_t partition) {
  return topic + " partition " + std::to_string(partition);
}

partition_list_ptr to_list(const std::vector<topic_partition>& partitions) {
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition());
  }
  return list;
}

// The first per-partition error in a list librdkafka filled in.
result<void> first_partition_error(const rd_kafka_topic_partition_list_t& list,
                                   std::string_view what) {
  for (int i = 0; i < list.cnt; ++i) {
    const auto& e = list.elems[i];
    if (e.err) return make_error(e.err, std::string(what) + " " + where(e.topic, e.partition), "");
  }
  return success();
}

// Offsets as the public API shows them: -1 for "none" (librdkafka's
// RD_KAFKA_OFFSET_INVALID and friends are other negative numbers).
std::vector<topic_partition_offset> to_offsets(const rd_kafka_topic_partition_list_t& list) {
  std::vector<topic_partition_offset> out;
  out.reserve(static_cast<size_t>(list.cnt));
  for (int i = 0; i < list.cnt; ++i) {
    const auto& e = list.elems[i];
    out.push_back(
        {e.topic, runnel::partition_id{e.partition}, runnel::offset{e.offset < 0 ? -1 : e.offset}});
  }
  return out;
}

// Owns what rd_kafka_consume_batch_queue returned, so that the messages are
// destroyed even if poll_batch's callback throws.
struct batch_guard {
  std::vector<rd_kafka_message_t*>& messages;
  ~batch_guard() {
    for (rd_kafka_message_t* m : messages) {
      if (m) rd_kafka_message_destroy(m);
    }
    messages.clear();
  }
};

}  // namespace

std::vector<header> message_view::headers() const {
  if (!impl) return {};
  return read_headers(*static_cast<const rd_kafka_message_t*>(impl));
}

message message_view::copy() const {
  if (impl) return to_message(*static_cast<const rd_kafka_message_t*>(impl));
  message out;
  out.topic = std::string(topic);
  out.partition = partition;
  out.offset = offset;
  out.timestamp = timestamp;
  out.ts_type = ts_type;
  if (key) out.key.emplace(*key);
  if (value) out.value.emplace(*value);
  return out;
}

consumer::consumer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
consumer::consumer(consumer&&) noexcept = default;
consumer& consumer::operator=(consumer&&) noexcept = default;
consumer::~consumer() = default;

result<consumer> consumer::create(const consumer_options& o) {
  if (o.default_api_timeout <= std::chrono::milliseconds(0) ||
      o.default_api_timeout > std::chrono::milliseconds(std::numeric_limits<int>::max())) {
    return invalid_argument("default_api_timeout must be between 1 ms and " +
                            std::to_string(std::numeric_limits<int>::max()) + " ms");
  }
  auto c = std::make_unique<impl>();
  c->has_group = !o.group_id.empty();
  c->api_timeout = o.default_api_timeout;
  const bool commit = c->has_group && o.auto_commit;
  BOOST_OUTCOME_TRY(auto conf,
                    make_conf(o.client, c.get(),
                              {{"enable.auto.commit", commit ? "true" : "false"},
                               {"auto.offset.reset", o.auto_offset_reset},
                               {"enable.partition.eof", o.report_partition_end ? "true" : "false"},
                               {"allow.auto.create.topics", "false"}}));
  // librdkafka's consumer cannot even assign() without a group.id. Without a
  // group of ours it gets a placeholder it never joins or commits to (only
  // the coordinator is looked up); has_group keeps commit and subscribe off.
  BOOST_OUTCOME_TRY(set(conf.get(), "group.id", c->has_group ? o.group_id : kNoGroup));
  if (o.on_rebalance) {
    c->on_rebalance = o.on_rebalance;
    rd_kafka_conf_set_rebalance_cb(conf.get(), impl::rebalance_callback);
  }
  BOOST_OUTCOME_TRY(c->rk, make_handle(RD_KAFKA_CONSUMER, std::move(conf)));
  // Serve everything (errors, rebalances) from consumer_poll.
  rd_kafka_poll_set_consumer(c->rk.get());
  c->queue.reset(rd_kafka_queue_get_consumer(c->rk.get()));
  return consumer(std::move(c));
}

result<void> consumer::assign(const std::vector<partition_assignment>& partitions) {
  rd_kafka_t* rk = impl_->rk.get();
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  partition_list_ptr times(rd_kafka_topic_partition_list_new(0));
  for (const auto& p : partitions) {
    int64_t offset = RD_KAFKA_OFFSET_STORED;
    switch (p.start.what) {
      case start_position::kind::beginning:
        offset = RD_KAFKA_OFFSET_BEGINNING;
        break;
      case start_position::kind::end:
        offset = RD_KAFKA_OFFSET_END;
        break;
      case start_position::kind::offset:
        if (p.start.value < 0) {
          return invalid_argument("negative start offset " + std::to_string(p.start.value) +
                                  " for " + where(p.topic, p.partition()));
        }
        offset = p.start.value;
        break;
      case start_position::kind::timestamp:
        rd_kafka_topic_partition_list_add(times.get(), p.topic.c_str(), p.partition())->offset =
            p.start.value;
        break;
      case start_position::kind::committed:
        if (!impl_->has_group) {
          return invalid_argument("starting " + where(p.topic, p.partition()) +
                                  " at the committed offset needs a consumer group");
        }
        break;
    }
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition())->offset = offset;
  }
  if (times->cnt > 0) {
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, times.get(), 30000);
    if (err) return with_context(make_error(err, "looking up offsets by timestamp", ""), *impl_);
    for (int i = 0; i < times->cnt; ++i) {
      const auto& t = times->elems[i];
      if (t.err) {
        return make_error(
            t.err, "looking up an offset by timestamp in " + where(t.topic, t.partition), "");
      }
      rd_kafka_topic_partition_t* e =
          rd_kafka_topic_partition_list_find(list.get(), t.topic, t.partition);
      // -1: no message that new; start at the end, where the next one will be.
      e->offset = t.offset < 0 ? RD_KAFKA_OFFSET_END : t.offset;
    }
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get())) {
    return make_error(err, "assigning partitions", "");
  }
  return success();
}

result<void> consumer::subscribe(const std::vector<std::string>& topics) {
  if (!impl_->has_group) return invalid_argument("subscribing needs a consumer group");
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk.get(), list.get())) {
    return make_error(err, "subscribing", "");
  }
  return success();
}

result<std::vector<topic_partition>> consumer::assignment() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (const rd_kafka_resp_err_t err = rd_kafka_assignment(impl_->rk.get(), &raw)) {
    return make_error(err, "reading the assignment", "");
  }
  partition_list_ptr list(raw);
  std::vector<topic_partition> out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, runnel::partition_id{list->elems[i].partition}});
  }
  return out;
}

result<poll_event> consumer::poll(std::chrono::milliseconds timeout) {
  impl_->run_deferred_rebalances();
  BOOST_OUTCOME_TRY(impl_->take_rebalance_error());
  message_ptr m(rd_kafka_consumer_poll(impl_->rk.get(), static_cast<int>(timeout.count())));
  if (!m) return poll_event{};
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    return poll_event{partition_end{rd_kafka_topic_name(m->rkt), runnel::partition_id{m->partition},
                                    runnel::offset{m->offset}}};
  }
  if (m->err) {
    std::string what = "consuming";
    if (m->rkt) {
      what += " from " + std::string(rd_kafka_topic_name(m->rkt));
      if (m->partition >= 0) what += " partition " + std::to_string(m->partition);
    }
    return make_error(m->err, what, rd_kafka_message_errstr(m.get()));
  }
  return poll_event{to_message(*m)};
}

result<size_t> consumer::poll_batch(std::chrono::milliseconds timeout, size_t max,
                                    const std::function<void(const message_view&)>& fn,
                                    const std::function<void(const partition_end&)>& on_end) {
  impl& c = *impl_;
  c.run_deferred_rebalances();
  BOOST_OUTCOME_TRY(c.take_rebalance_error());
  if (max == 0) return size_t{0};
  rd_kafka_t* rk = c.rk.get();
  auto& batch = c.batch;
  batch.clear();
  batch_guard guard{batch};
  // Rebalances that librdkafka serves inside the calls below are only
  // recorded (rebalance_callback) and carried out between them, once fn has
  // seen every message queued before them.
  //
  // rd_kafka_consume_batch_queue waits until it has `max` messages or the
  // timeout passed, so a trickle would be held back the whole timeout: wait
  // for the first event with consumer_poll, then take what is already
  // queued. A rebalance ends the wait early (rd_kafka_yield); it is carried
  // out and the wait goes on.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  rd_kafka_message_t* first = nullptr;
  while (true) {
    const auto left = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               deadline - std::chrono::steady_clock::now())
                                               .count());
    c.defer_rebalances = true;
    first = rd_kafka_consumer_poll(rk, static_cast<int>(left));
    c.defer_rebalances = false;
    if (first || c.deferred.empty()) break;
    c.run_deferred_rebalances();
    if (left == 0) break;
  }
  if (!first) {
    BOOST_OUTCOME_TRY(c.take_rebalance_error());
    return size_t{0};
  }
  batch.push_back(first);
  // A bound on the array, not on throughput: librdkafka hands out at most
  // what it has fetched (queued.min.messages) anyway.
  constexpr size_t max_batch = 1 << 16;
  max = std::min(max, max_batch);
  if (max > 1 && c.deferred.empty()) {
    batch.resize(max);
    c.defer_rebalances = true;
    const ssize_t n = rd_kafka_consume_batch_queue(c.queue.get(), 0, batch.data() + 1, max - 1);
    c.defer_rebalances = false;
    batch.resize(1 + static_cast<size_t>(n < 0 ? 0 : n));
  }
  size_t seen = 0;
  std::optional<error> failure;
  for (rd_kafka_message_t* m : batch) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      fn(to_view(*m));
      ++seen;
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (on_end) {
        on_end(partition_end{rd_kafka_topic_name(m->rkt), runnel::partition_id{m->partition},
                             runnel::offset{m->offset}});
      }
    } else {
      std::string what = "consuming";
      if (m->rkt) {
        what += " from " + std::string(rd_kafka_topic_name(m->rkt));
        if (m->partition >= 0) what += " partition " + std::to_string(m->partition);
      }
      error e = make_error(m->err, what, rd_kafka_message_errstr(m));
      // librdkafka retries transient trouble by itself; only remember why.
      if (is_transient(e)) {
        c.note_error(e.message);
      } else if (!failure) {
        failure = std::move(e);
      }
    }
  }
  // Rebalances met inside the batch call, now that fn has seen everything
  // that was queued before them.
  c.run_deferred_rebalances();
  if (failure) return *failure;
  BOOST_OUTCOME_TRY(c.take_rebalance_error());
  return seen;
}

result<void> consumer::pause(const std::vector<topic_partition>& partitions) {
  partition_list_ptr list = to_list(partitions);
  if (const rd_kafka_resp_err_t err = rd_kafka_pause_partitions(impl_->rk.get(), list.get())) {
    return make_error(err, "pausing partitions", "");
  }
  return first_partition_error(*list, "pausing");
}

result<void> consumer::resume(const std::vector<topic_partition>& partitions) {
  partition_list_ptr list = to_list(partitions);
  if (const rd_kafka_resp_err_t err = rd_kafka_resume_partitions(impl_->rk.get(), list.get())) {
    return make_error(err, "resuming partitions", "");
  }
  return first_partition_error(*list, "resuming");
}

result<void> consumer::seek(const std::vector<topic_partition_offset>& offsets,
                            std::chrono::milliseconds timeout) {
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition())->offset =
        o.offset();
  }
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(impl_->rk.get(), list.get(),
                                                     static_cast<int>(timeout.count()))) {
    const rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    std::string detail = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return make_error(code, "seeking", detail);
  }
  return first_partition_error(*list, "seeking in");
}

result<std::vector<topic_partition_offset>> consumer::committed(
    const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout) {
  if (!impl_->has_group) return invalid_argument("committed offsets need a consumer group");
  partition_list_ptr list = to_list(partitions);
  if (const rd_kafka_resp_err_t err =
          rd_kafka_committed(impl_->rk.get(), list.get(), static_cast<int>(timeout.count()))) {
    return with_context(make_error(err, "reading committed offsets", ""), *impl_);
  }
  BOOST_OUTCOME_TRY(first_partition_error(*list, "reading the committed offset of"));
  return to_offsets(*list);
}

result<std::vector<topic_partition_offset>> consumer::position(
    const std::vector<topic_partition>& partitions) {
  partition_list_ptr list = to_list(partitions);
  if (const rd_kafka_resp_err_t err = rd_kafka_position(impl_->rk.get(), list.get())) {
    return make_error(err, "reading positions", "");
  }
  BOOST_OUTCOME_TRY(first_partition_error(*list, "reading the position in"));
  return to_offsets(*list);
}

// rd_kafka_commit(sync) waits for the coordinator's answer without a bound:
// a commit from a cooperative revoke hook was seen waiting for minutes on a
// loaded machine, holding the poll loop. Kafka's commitSync gives up after
// default.api.timeout.ms, so this sends the commit with its answer posted to
// a private queue and waits that long for it. A late answer finds the queue
// destroyed and is dropped by librdkafka.
result<void> consumer::impl::commit(const rd_kafka_topic_partition_list_t* offsets) {
  if (!has_group) return invalid_argument("committing needs a consumer group");
  queue_ptr q(rd_kafka_queue_new(rk.get()));
  if (const rd_kafka_resp_err_t err =
          rd_kafka_commit_queue(rk.get(), offsets, q.get(), nullptr, nullptr)) {
    return with_context(make_error(err, "committing offsets", ""), *this);
  }
  const auto deadline = std::chrono::steady_clock::now() + api_timeout;
  event_ptr ev;
  for (auto now = std::chrono::steady_clock::now(); !ev && now < deadline;
       now = std::chrono::steady_clock::now()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    ev.reset(rd_kafka_queue_poll(q.get(), static_cast<int>(left.count())));
    // Only the commit's answer is posted to q; anything else is skipped.
    if (ev && rd_kafka_event_type(ev.get()) != RD_KAFKA_EVENT_OFFSET_COMMIT) ev.reset();
  }
  if (!ev) {
    return with_context(
        make_error(RD_KAFKA_RESP_ERR__TIMED_OUT, "committing offsets",
                   fmt::format("no answer from the group coordinator within {} ms "
                               "(consumer_options::default_api_timeout); the offsets may "
                               "still be committed",
                               api_timeout.count())),
        *this);
  }
  const rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get());
  // Nothing to commit (no message returned since the last commit).
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET && !offsets) return success();
  if (err) return with_context(make_error(err, "committing offsets", ""), *this);
  // Explicit offsets: each partition's own answer counts too.
  const rd_kafka_topic_partition_list_t* list =
      offsets ? rd_kafka_event_topic_partition_list(ev.get()) : nullptr;
  if (list) {
    for (int i = 0; i < list->cnt; ++i) {
      const auto& e = list->elems[i];
      if (e.err)
        return make_error(e.err, "committing an offset in " + where(e.topic, e.partition), "");
    }
  }
  return success();
}

result<void> consumer::commit() {
  return impl_->commit(nullptr);
}

result<void> consumer::commit(const std::vector<topic_partition_offset>& offsets) {
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition())->offset =
        o.offset();
  }
  return impl_->commit(list.get());
}

consumer_group_metadata::consumer_group_metadata(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
consumer_group_metadata::consumer_group_metadata(consumer_group_metadata&&) noexcept = default;
consumer_group_metadata& consumer_group_metadata::operator=(consumer_group_metadata&&) noexcept =
    default;
consumer_group_metadata::~consumer_group_metadata() = default;

result<consumer_group_metadata> consumer::group_metadata() const {
  if (!impl_->has_group) return invalid_argument("group_metadata: this consumer has no group");
  auto md = std::make_unique<consumer_group_metadata::impl>();
  md->md = rd_kafka_consumer_group_metadata(impl_->rk.get());
  if (!md->md) return invalid_argument("group_metadata: this consumer has no group");
  return consumer_group_metadata(std::move(md));
}

result<void> consumer::close() {
  return impl_->close();
}

}  // namespace runnel::client
