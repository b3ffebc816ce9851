// admin: creating and deleting topics, partitions and records (CreateTopics,
// DeleteTopics, CreatePartitions, DeleteRecords).
#include <algorithm>
#include <chrono>
#include <thread>

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

// Kafka answers CreateTopics once the controller has the topic; each broker
// learns of it in its own time, so the next command (from this process or
// another) could still be told the topic does not exist. Wait, within the
// request timeout, until the metadata shows every partition with a leader in
// several answers in a row: librdkafka sends each metadata request to a
// randomly chosen connected broker, so a few answers sample several brokers.
// On a single runnel broker the first answer already has it.
result<void> await_topic(rd_kafka_t* rk, const std::string& topic, int32_t partitions,
                         std::chrono::milliseconds timeout) {
  constexpr int answers_in_a_row = 3;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  topic_ptr only(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  int ready = 0;
  auto pause = std::chrono::milliseconds(5);
  while (ready < answers_in_a_row) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT, "topic " + topic + " was created",
                        "but not every broker knows its partitions' leaders yet");
    }
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 0, only.get(), &raw, static_cast<int>(left.count()));
    rd_kafka_poll(rk, 0);
    metadata_ptr md(raw);
    if (!err && md && topic_ready(*md, topic, partitions)) {
      ++ready;
      continue;
    }
    ready = 0;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
  return success();
}

}  // namespace

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
  auto known = await_topic(impl_->rk.get(), t.name, t.partitions, impl_->timeout);
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
  return check_topic_result(topics, n, what);
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
