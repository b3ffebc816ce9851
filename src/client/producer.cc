#include "runnel/client/producer.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include "client/rdkafka_handle.h"

namespace runnel::client {

using namespace detail;

struct producer::impl : handle_context {
  kafka_ptr rk;
  std::function<void(const delivery_report&)> on_delivery;

  ~impl() {
    if (!rk) return;
    rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rk.reset();
  }

  // librdkafka's dr_msg_cb: runs in rd_kafka_poll/flush on the caller's thread.
  static void delivery_callback(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
    (void)rk;
    auto* p = static_cast<impl*>(static_cast<handle_context*>(opaque));
    if (!p->on_delivery) return;
    delivery_report r;
    r.tag = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->_private));
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = runnel::partition_id{m->partition};
    r.offset = runnel::offset{m->offset};
    rd_kafka_timestamp_type_t type;
    r.timestamp = runnel::timestamp{rd_kafka_message_timestamp(m, &type)};
    if (m->err) {
      std::string what = "message to " + r.topic;
      if (m->partition >= 0) what += " partition " + std::to_string(m->partition);
      std::string detail = rd_kafka_err2str(m->err);
      if (m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) {
        if (auto last = p->last_error(); !last.empty())
          detail += " (last broker error: " + last + ")";
      }
      r.error = make_error(m->err, what + ": " + detail);
    }
    p->on_delivery(r);
  }
};

producer::producer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
producer::producer(producer&&) noexcept = default;
producer& producer::operator=(producer&&) noexcept = default;
producer::~producer() = default;

result<producer> producer::create(const producer_options& o) {
  auto p = std::make_unique<impl>();
  p->on_delivery = o.on_delivery;
  // librdkafka refuses message.timeout.ms > transaction.timeout.ms: a record
  // not delivered by then fails its transaction anyway.
  const bool transactional = !o.transactional_id.empty();
  auto delivery_timeout = o.delivery_timeout;
  if (!o.transactional_id.empty())
    delivery_timeout = std::min(delivery_timeout, o.transaction_timeout);
  BOOST_OUTCOME_TRY(
      auto conf,
      make_conf(o.client, p.get(),
                // Keys land where Kafka's Java client and Kafka
                // Streams put them (librdkafka's own default hashes
                // with CRC32), so data written by runnel and by Java
                // apps is co-partitioned. `partitioner` in the
                // client properties overrides it.
                {{"partitioner", "murmur2_random"},
                 {"acks", transactional ? std::string("all") : o.acks},
                 {"enable.idempotence", o.idempotent || transactional ? "true" : "false"},
                 {"compression.codec", o.compression},
                 {"linger.ms", std::to_string(o.linger.count())},
                 {"message.timeout.ms", std::to_string(delivery_timeout.count())}}));
  if (!o.transactional_id.empty()) {
    BOOST_OUTCOME_TRY(set(conf.get(), "transactional.id", o.transactional_id));
    // A transaction.timeout.ms among the client properties wins, as every
    // property given there does.
    const bool user_timeout =
        std::any_of(o.client.properties.begin(), o.client.properties.end(),
                    [](const auto& p) { return p.first == "transaction.timeout.ms"; });
    if (!user_timeout) {
      BOOST_OUTCOME_TRY(
          set(conf.get(), "transaction.timeout.ms", std::to_string(o.transaction_timeout.count())));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf.get(), impl::delivery_callback);
  BOOST_OUTCOME_TRY(p->rk, make_handle(RD_KAFKA_PRODUCER, std::move(conf)));
  return producer(std::move(p));
}

result<void> producer::send(const outgoing_message& m) {
  rd_kafka_t* rk = impl_->rk.get();
  while (true) {
    headers_ptr hdrs;
    if (!m.headers.empty()) {
      hdrs.reset(rd_kafka_headers_new(m.headers.size()));
      for (const auto& h : m.headers) {
        rd_kafka_header_add(hdrs.get(), h.key.data(), static_cast<ssize_t>(h.key.size()),
                            h.value ? h.value->data() : nullptr,
                            h.value ? static_cast<ssize_t>(h.value->size()) : 0);
      }
    }
    const int32_t partition = m.partition ? (*m.partition)() : RD_KAFKA_PARTITION_UA;
    const int64_t ts = m.timestamp ? (*m.timestamp)() : 0;
    void* tag = reinterpret_cast<void*>(static_cast<uintptr_t>(m.tag));
    rd_kafka_headers_t* raw_headers = hdrs.get();
    const void* key = m.key ? m.key->data() : nullptr;
    const size_t key_len = m.key ? m.key->size() : 0;
    void* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;  // copied (F_COPY)
    const size_t value_len = m.value ? m.value->size() : 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(m.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                          RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_HEADERS(raw_headers),
                          RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
    if (!err) {
      (void)hdrs.release();  // librdkafka owns the headers now
      return success();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 100);  // delivery reports free queue space
      continue;
    }
    std::string what = "cannot send to " + m.topic;
    if (m.partition) what += " partition " + std::to_string((*m.partition)());
    return make_error(err, what, "");
  }
}

result<void> producer::send(const message_ref& m) {
  // producev wants a NUL-terminated name; copy it to the stack rather than
  // into a std::string. Kafka topic names have at most 249 characters.
  // (Naming the topic costs no more than passing a cached rd_kafka_topic_t:
  // measured the same CPU per message, see README.)
  char topic[256];
  if (m.topic.empty()) return invalid_argument("cannot send: no topic given");
  if (m.topic.size() >= sizeof topic) {
    return invalid_argument("cannot send: topic name longer than 249 characters");
  }
  std::memcpy(topic, m.topic.data(), m.topic.size());
  topic[m.topic.size()] = '\0';
  rd_kafka_t* rk = impl_->rk.get();
  void* tag = reinterpret_cast<void*>(static_cast<uintptr_t>(m.tag));
  const void* key = m.key ? m.key->data() : nullptr;
  const size_t key_len = m.key ? m.key->size() : 0;
  void* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;  // copied (F_COPY)
  const size_t value_len = m.value ? m.value->size() : 0;
  while (true) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(m.partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                          RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_TIMESTAMP(m.timestamp_ms),
                          RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
    if (!err) return success();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 100);  // delivery reports free queue space
      continue;
    }
    std::string what = "cannot send to " + std::string(m.topic);
    if (m.partition >= 0) what += " partition " + std::to_string(m.partition);
    return make_error(err, what, "");
  }
}

int producer::poll(std::chrono::milliseconds timeout) {
  return rd_kafka_poll(impl_->rk.get(), static_cast<int>(timeout.count()));
}

result<void> producer::flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t err =
      rd_kafka_flush(impl_->rk.get(), static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return with_context(
        make_error(err, std::to_string(outstanding()) + " messages still undelivered after " +
                            std::to_string(timeout.count()) + " ms"),
        *impl_);
  }
  if (err) return make_error(err, "flush", "");
  return success();
}

int producer::outstanding() const {
  return rd_kafka_outq_len(impl_->rk.get());
}

namespace {

using steady = std::chrono::steady_clock;

// Runs a librdkafka transaction call until it succeeds, fails for good, or
// `timeout` passes; librdkafka asks for a retry of the same call when an
// error is retriable (a coordinator moving, a request timing out).
template <class Call>
result<void> with_retries(std::string_view what, std::chrono::milliseconds timeout, Call call) {
  const auto deadline = steady::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    rd_kafka_error_t* e = call(static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (!e) return success();
    if (rd_kafka_error_is_retriable(e) && steady::now() < deadline) {
      rd_kafka_error_destroy(e);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const bool fatal = rd_kafka_error_is_fatal(e);
    const bool abortable = rd_kafka_error_txn_requires_abort(e);
    error out = take_error(e, what);
    out.message += fatal       ? " (fatal: the producer cannot go on)"
                   : abortable ? " (the transaction must be aborted)"
                               : "";
    return out;
  }
}

}  // namespace

result<void> producer::init_transactions(std::chrono::milliseconds timeout) {
  return with_retries("init_transactions", timeout,
                      [this](int ms) { return rd_kafka_init_transactions(impl_->rk.get(), ms); });
}

result<void> producer::begin_transaction() {
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(impl_->rk.get()))
    return take_error(e, "begin_transaction");
  return success();
}

result<void> producer::send_offsets_to_transaction(
    const std::vector<topic_partition_offset>& offsets, const consumer_group_metadata& group,
    std::chrono::milliseconds timeout) {
  if (!group.impl_ || !group.impl_->md)
    return invalid_argument("send_offsets_to_transaction: no group metadata");
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets)
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition())->offset =
        o.offset();
  return with_retries("send_offsets_to_transaction", timeout, [&](int ms) {
    return rd_kafka_send_offsets_to_transaction(impl_->rk.get(), list.get(), group.impl_->md, ms);
  });
}

result<void> producer::commit_transaction(std::chrono::milliseconds timeout) {
  return with_retries("commit_transaction", timeout,
                      [this](int ms) { return rd_kafka_commit_transaction(impl_->rk.get(), ms); });
}

result<void> producer::abort_transaction(std::chrono::milliseconds timeout) {
  return with_retries("abort_transaction", timeout,
                      [this](int ms) { return rd_kafka_abort_transaction(impl_->rk.get(), ms); });
}

}  // namespace runnel::client
