#include "runnel/client/consumer.h"

#include <utility>

#include "client/rdkafka_handle.h"

namespace runnel::client {

using namespace detail;

struct consumer::impl : handle_context {
  kafka_ptr rk;
  bool has_group = false;
  bool closed = false;

  result<void> close() {
    if (closed || !rk) return success();
    closed = true;
    const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk.get());
    rk.reset();
    if (err) return make_error(err, "closing the consumer", "");
    return success();
  }

  ~impl() { (void)close(); }
};

namespace {

constexpr const char* kNoGroup = "__runnel_assign_only";

message to_message(const rd_kafka_message_t& m) {
  message out;
  out.topic = rd_kafka_topic_name(m.rkt);
  out.partition = model::partition_id{m.partition};
  out.offset = model::offset{m.offset};
  rd_kafka_timestamp_type_t type;
  out.timestamp = model::timestamp{rd_kafka_message_timestamp(&m, &type)};
  out.ts_type = type == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? timestamp_type::create_time
                : type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? timestamp_type::log_append_time
                                                             : timestamp_type::not_available;
  if (m.key) out.key.emplace(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) out.value.emplace(static_cast<const char*>(m.payload), m.len);
  rd_kafka_headers_t* hdrs = nullptr;
  // The headers stay owned by the message.
  if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == 0; ++i) {
      header h{name, std::nullopt};
      if (value) h.value.emplace(static_cast<const char*>(value), size);
      out.headers.push_back(std::move(h));
    }
  }
  return out;
}

std::string where(const std::string& topic, int32_t partition) {
  return topic + " partition " + std::to_string(partition);
}

}  // namespace

consumer::consumer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
consumer::consumer(consumer&&) noexcept = default;
consumer& consumer::operator=(consumer&&) noexcept = default;
consumer::~consumer() = default;

result<consumer> consumer::create(const consumer_options& o) {
  auto c = std::make_unique<impl>();
  c->has_group = !o.group_id.empty();
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
  BOOST_OUTCOME_TRY(c->rk, make_handle(RD_KAFKA_CONSUMER, std::move(conf)));
  // Serve everything (errors, rebalances) from consumer_poll.
  rd_kafka_poll_set_consumer(c->rk.get());
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
    out.push_back({list->elems[i].topic, model::partition_id{list->elems[i].partition}});
  }
  return out;
}

result<poll_event> consumer::poll(std::chrono::milliseconds timeout) {
  message_ptr m(rd_kafka_consumer_poll(impl_->rk.get(), static_cast<int>(timeout.count())));
  if (!m) return poll_event{};
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    return poll_event{partition_end{rd_kafka_topic_name(m->rkt), model::partition_id{m->partition},
                                    model::offset{m->offset}}};
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

result<void> consumer::commit() {
  if (!impl_->has_group) return invalid_argument("committing needs a consumer group");
  const rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk.get(), nullptr, 0);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    return with_context(make_error(err, "committing offsets", ""), *impl_);
  }
  return success();
}

result<void> consumer::commit(const std::vector<topic_partition_offset>& offsets) {
  if (!impl_->has_group) return invalid_argument("committing needs a consumer group");
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition())->offset =
        o.offset();
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk.get(), list.get(), 0)) {
    return with_context(make_error(err, "committing offsets", ""), *impl_);
  }
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err)
      return make_error(e.err, "committing an offset in " + where(e.topic, e.partition), "");
  }
  return success();
}

result<void> consumer::close() {
  return impl_->close();
}

}  // namespace runnel::client
