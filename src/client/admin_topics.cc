// admin: creating and deleting topics, partitions and records (CreateTopics,
// DeleteTopics, CreatePartitions, DeleteRecords).
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "client/admin_impl.h"

namespace runnel::client {

using namespace detail;

namespace {

struct new_topic_deleter {
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
};
struct delete_records_deleter {
  void operator()(rd_kafka_DeleteRecords_t* p) const { rd_kafka_DeleteRecords_destroy(p); }
};
struct delete_topic_deleter {
  void operator()(rd_kafka_DeleteTopic_t* p) const { rd_kafka_DeleteTopic_destroy(p); }
};
struct new_partitions_deleter {
  void operator()(rd_kafka_NewPartitions_t* p) const { rd_kafka_NewPartitions_destroy(p); }
};

// The single topic result of a CreateTopics or DeleteTopics answer.
result<void> check_topic_result(const rd_kafka_topic_result_t** results, size_t n,
                                const std::string& what) {
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i])) {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      return make_error(err, what, detail ? detail : "");
    }
  }
  return success();
}

// True when this metadata answer shows the topic with every partition led.
bool topic_ready(const rd_kafka_metadata_t& md, const std::string& topic, int32_t partitions) {
  for (int i = 0; i < md.topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md.topics[i];
    if (t.err || topic != t.topic || t.partition_cnt == 0) continue;
    if (partitions > 0 && t.partition_cnt < partitions) return false;
    return std::all_of(t.partitions, t.partitions + t.partition_cnt,
                       [](const rd_kafka_metadata_partition_t& p) { return p.leader >= 0; });
  }
  return false;
}

// True when this metadata answer lists the topic at all.
bool topic_listed(const rd_kafka_metadata_t& md, const std::string& topic) {
  for (int i = 0; i < md.topic_cnt; ++i)
    if (md.topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && topic == md.topics[i].topic)
      return true;
  return false;
}

struct broker_address {
  std::string host;
  int port = 0;
};

// Asks `rk` for the topic's metadata until an answer shows every partition
// with a leader (`present`) or no longer lists the topic (not `present`), by
// the deadline. Returns the brokers of the cluster, from the last answer.
result<std::vector<broker_address>> await_on(rd_kafka_t* rk, const std::string& topic,
                                             int32_t partitions, bool present,
                                             std::chrono::steady_clock::time_point deadline) {
  topic_ptr only(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  auto pause = std::chrono::milliseconds(5);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT,
                        "topic " + topic + (present ? " was created" : " was deleted"),
                        present ? "but not every broker knows its partitions' leaders yet"
                                : "but some broker still lists it");
    }
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 0, only.get(), &raw, static_cast<int>(left.count()));
    rd_kafka_poll(rk, 0);
    metadata_ptr md(raw);
    const bool gone =
        err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || (!err && md && !topic_listed(*md, topic));
    if (present ? (!err && md && topic_ready(*md, topic, partitions)) : gone) {
      std::vector<broker_address> brokers;
      if (md)
        for (int b = 0; b < md->broker_cnt; ++b)
          brokers.push_back({md->brokers[b].host, md->brokers[b].port});
      return brokers;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

}  // namespace

// Kafka answers CreateTopics (and DeleteTopics) once the controller has
// made the change; each broker learns of it in its own time, so the next
// command (from this process or another, which may ask another broker)
// could still be told the topic does not exist (or see it listed). Wait,
// within the request timeout, until every broker's metadata shows it with
// every partition led (or no longer lists it): on a cluster, each broker is
// asked through a short-lived handle bootstrapped from it alone (librdkafka
// sends a metadata request to any broker it is connected to, and such a
// handle is connected to that one only). On a single runnel broker the
// first answer already has it.
result<void> admin::impl::await_topic(const std::string& topic, int32_t partitions, bool present) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  BOOST_OUTCOME_TRY(auto brokers, await_on(rk.get(), topic, partitions, present, deadline));
  if (brokers.size() <= 1) return success();
  for (const auto& b : brokers) {
    client_config one = client;
    one.brokers = b.host + ":" + std::to_string(b.port);
    handle_context ctx;
    ctx.brokers = one.brokers;
    BOOST_OUTCOME_TRY(auto conf, make_conf(one, &ctx, {{"allow.auto.create.topics", "false"}}));
    BOOST_OUTCOME_TRY(auto h, make_handle(RD_KAFKA_PRODUCER, std::move(conf)));
    BOOST_OUTCOME_TRY(await_on(h.get(), topic, partitions, present, deadline));
  }
  return success();
}

result<void> admin::create_topic(const new_topic& t, bool validate_only) {
  const std::string what = "cannot create topic " + t.name;
  char errstr[512];
  std::unique_ptr<rd_kafka_NewTopic_t, new_topic_deleter> nt(rd_kafka_NewTopic_new(
      t.name.c_str(), t.partitions, t.replication_factor, errstr, sizeof errstr));
  if (!nt) return invalid_argument(what + ": " + errstr);
  for (const auto& [k, v] : t.configs) {
    if (const rd_kafka_resp_err_t err =
            rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str())) {
      return make_error(err, what + ": config " + k, "");
    }
  }
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_CREATETOPICS));
  if (validate_only) {
    if (rd_kafka_AdminOptions_set_validate_only(opts.get(), 1, errstr, sizeof errstr)) {
      return invalid_argument(what + ": " + errstr);
    }
  }
  rd_kafka_NewTopic_t* raw = nt.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_CreateTopics(impl_->rk.get(), &raw, 1, opts.get(), q);
                                 },
                                 what));
  const auto* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(res, &n);
  BOOST_OUTCOME_TRY(check_topic_result(topics, n, what));
  if (validate_only) return success();
  auto known = impl_->await_topic(t.name, t.partitions, true);
  if (!known) return with_context(known.error(), *impl_);
  return success();
}

result<void> admin::delete_topic(const std::string& topic) {
  const std::string what = "cannot delete topic " + topic;
  std::unique_ptr<rd_kafka_DeleteTopic_t, delete_topic_deleter> dt(
      rd_kafka_DeleteTopic_new(topic.c_str()));
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_DELETETOPICS));
  rd_kafka_DeleteTopic_t* raw = dt.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_DeleteTopics(impl_->rk.get(), &raw, 1, opts.get(), q);
                                 },
                                 what));
  const auto* res = rd_kafka_event_DeleteTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_DeleteTopics_result_topics(res, &n);
  BOOST_OUTCOME_TRY(check_topic_result(topics, n, what));
  auto gone = impl_->await_topic(topic, -1, false);
  if (!gone) return with_context(gone.error(), *impl_);
  return success();
}

result<void> admin::create_partitions(const std::string& topic, int32_t total) {
  const std::string what = "cannot add partitions to topic " + topic;
  char errstr[512];
  std::unique_ptr<rd_kafka_NewPartitions_t, new_partitions_deleter> np(rd_kafka_NewPartitions_new(
      topic.c_str(), static_cast<size_t>(std::max(total, 0)), errstr, sizeof errstr));
  if (!np) return invalid_argument(what + ": " + errstr);
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS));
  rd_kafka_NewPartitions_t* raw = np.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_CreatePartitions(impl_->rk.get(), &raw, 1, opts.get(),
                                                             q);
                                 },
                                 what));
  const auto* res = rd_kafka_event_CreatePartitions_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreatePartitions_result_topics(res, &n);
  return check_topic_result(topics, n, what);
}

result<void> admin::delete_records(const std::vector<topic_partition_offset>& before) {
  const std::string what = "cannot delete records";
  if (before.empty()) return success();
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(before.size())));
  for (const auto& b : before)
    rd_kafka_topic_partition_list_add(list.get(), b.topic.c_str(), b.partition())->offset =
        b.offset();
  std::unique_ptr<rd_kafka_DeleteRecords_t, delete_records_deleter> dr(
      rd_kafka_DeleteRecords_new(list.get()));
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_DELETERECORDS));
  rd_kafka_DeleteRecords_t* raw = dr.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_DeleteRecords(impl_->rk.get(), &raw, 1, opts.get(), q);
                                 },
                                 what));
  const auto* res = rd_kafka_event_DeleteRecords_result(ev.get());
  const rd_kafka_topic_partition_list_t* offsets = rd_kafka_DeleteRecords_result_offsets(res);
  for (int i = 0; offsets && i < offsets->cnt; ++i) {
    const auto& p = offsets->elems[i];
    if (p.err)
      return make_error(p.err, what + " in " + p.topic + "-" + std::to_string(p.partition), "");
  }
  return success();
}

}  // namespace runnel::client
