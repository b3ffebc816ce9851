// admin: creation, cluster metadata and partition offsets. Topics, configs
// and groups are in admin_topics.cc, admin_configs.cc and admin_groups.cc.
#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "client/admin_impl.h"

namespace runnel::client {

using namespace detail;

admin::admin(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
admin::admin(admin&&) noexcept = default;
admin& admin::operator=(admin&&) noexcept = default;
admin::~admin() = default;

result<admin> admin::create(const admin_options& o) {
  auto a = std::make_unique<impl>();
  a->timeout = o.timeout;
  a->client = o.client;
  // Metadata requests must never create the topic they ask about.
  BOOST_OUTCOME_TRY(auto conf,
                    make_conf(o.client, a.get(), {{"allow.auto.create.topics", "false"}}));
  BOOST_OUTCOME_TRY(a->rk, make_handle(RD_KAFKA_PRODUCER, std::move(conf)));
  return admin(std::move(a));
}

result<admin_options_ptr> admin::impl::options(rd_kafka_admin_op_t op) {
  admin_options_ptr opts(rd_kafka_AdminOptions_new(rk.get(), op));
  char errstr[512];
  if (rd_kafka_AdminOptions_set_request_timeout(opts.get(), timeout_ms(), errstr, sizeof errstr)) {
    return invalid_argument(std::string("request timeout: ") + errstr);
  }
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    if (rd_kafka_AdminOptions_set_operation_timeout(opts.get(), timeout_ms(), errstr,
                                                    sizeof errstr)) {
      return invalid_argument(std::string("operation timeout: ") + errstr);
    }
  }
  return opts;
}

result<event_ptr> admin::impl::wait(rd_kafka_queue_t* q, std::string_view what) {
  // librdkafka answers every request by its request timeout; the slack only
  // guards against a result that never comes.
  const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    event_ptr ev(rd_kafka_queue_poll(q, 100));
    rd_kafka_poll(rk.get(), 0);  // serve error_cb, so a failure can say why
    if (!ev) continue;
    if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
      const char* detail = rd_kafka_event_error_string(ev.get());
      return with_context(make_error(err, what, detail ? detail : ""), *this);
    }
    return ev;
  }
  return with_context(make_error(RD_KAFKA_RESP_ERR__TIMED_OUT, what, ""), *this);
}

result<cluster_info> admin::metadata(const std::optional<std::string>& topic) {
  rd_kafka_t* rk = impl_->rk.get();
  topic_ptr only;
  if (topic) only.reset(rd_kafka_topic_new(rk, topic->c_str(), nullptr));
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, only ? 0 : 1, only.get(), &raw, impl_->timeout_ms());
  rd_kafka_poll(rk, 0);
  if (err) {
    return with_context(make_error(err, "cannot read cluster metadata from " + impl_->brokers, ""),
                        *impl_);
  }
  metadata_ptr md(raw);
  cluster_info out;
  // Both come from the metadata just received (timeout 0: no new request).
  if (char* id = rd_kafka_clusterid(rk, 0)) {
    out.cluster_id = id;
    rd_kafka_mem_free(rk, id);
  }
  out.controller_id = rd_kafka_controllerid(rk, 0);
  for (int i = 0; i < md->broker_cnt; ++i) {
    out.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (t.err) {
      if (!topic) continue;  // listing: skip topics the broker cannot describe
      if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        return make_error(t.err, "topic " + std::string(t.topic) + " does not exist");
      }
      return make_error(t.err, "topic " + std::string(t.topic), "");
    }
    topic_info ti{t.topic, {}};
    for (int p = 0; p < t.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& mp = t.partitions[p];
      partition_info pi{runnel::partition_id{mp.id}, mp.leader, {}, {}};
      pi.replicas.assign(mp.replicas, mp.replicas + mp.replica_cnt);
      pi.isr.assign(mp.isrs, mp.isrs + mp.isr_cnt);
      ti.partitions.push_back(std::move(pi));
    }
    std::sort(ti.partitions.begin(), ti.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    out.topics.push_back(std::move(ti));
  }
  std::sort(out.topics.begin(), out.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

result<topic_info> admin::describe_topic(const std::string& topic) {
  BOOST_OUTCOME_TRY(auto md, metadata(topic));
  if (md.topics.empty()) {
    return make_error(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                      "topic " + topic + " does not exist");
  }
  return std::move(md.topics.front());
}

result<partition_offsets> admin::impl::watermarks(const std::string& topic, int32_t partition) {
  // On a Kafka cluster a partition's leader can be unknown or moving for a
  // while: just after the topic was created (each broker learns of it in its
  // own time) or while a broker is down. librdkafka refreshes its metadata on
  // such an error; asking again finds the leader. Bounded by the timeout.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk.get(), topic.c_str(), partition, &low, &high, timeout_ms());
    if (!err)
      return partition_offsets{runnel::partition_id{partition}, runnel::offset{low},
                               runnel::offset{high}};
    const bool leader_trouble = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                                err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                                err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (!leader_trouble || std::chrono::steady_clock::now() >= deadline) {
      return with_context(
          make_error(err,
                     "reading the offsets of " + topic + " partition " + std::to_string(partition),
                     ""),
          *this);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

result<std::vector<partition_offsets>> admin::offsets(const std::string& topic) {
  BOOST_OUTCOME_TRY(auto t, describe_topic(topic));
  std::vector<partition_offsets> out;
  for (const auto& p : t.partitions) {
    BOOST_OUTCOME_TRY(auto w, impl_->watermarks(topic, p.id()));
    out.push_back(w);
  }
  return out;
}

result<std::vector<topic_partition_offset>> admin::offsets_for_time(const std::string& topic,
                                                                    runnel::timestamp t) {
  BOOST_OUTCOME_TRY(auto info, describe_topic(topic));
  partition_list_ptr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(info.partitions.size())));
  for (const auto& p : info.partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p.id())->offset = t();
  }
  if (const rd_kafka_resp_err_t err =
          rd_kafka_offsets_for_times(impl_->rk.get(), list.get(), impl_->timeout_ms())) {
    return with_context(make_error(err, "looking up offsets by timestamp in " + topic, ""), *impl_);
  }
  std::vector<topic_partition_offset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err) {
      return make_error(e.err,
                        "looking up an offset by timestamp in " + topic + " partition " +
                            std::to_string(e.partition),
                        "");
    }
    int64_t offset = e.offset;
    if (offset < 0) {  // nothing that new: the end
      BOOST_OUTCOME_TRY(auto w, impl_->watermarks(topic, e.partition));
      offset = w.end();
    }
    out.push_back({topic, runnel::partition_id{e.partition}, runnel::offset{offset}});
  }
  return out;
}

}  // namespace runnel::client
