// admin: consumer groups (ListConsumerGroups, DescribeConsumerGroups,
// DeleteGroups, ListConsumerGroupOffsets, AlterConsumerGroupOffsets,
// OffsetDelete).
#include <algorithm>
#include <map>
#include <tuple>

#include "client/admin_impl.h"

namespace runnel::client {

using namespace detail;

namespace {

struct delete_group_deleter {
  void operator()(rd_kafka_DeleteGroup_t* p) const { rd_kafka_DeleteGroup_destroy(p); }
};
struct list_offsets_deleter {
  void operator()(rd_kafka_ListConsumerGroupOffsets_t* p) const {
    rd_kafka_ListConsumerGroupOffsets_destroy(p);
  }
};
struct delete_offsets_deleter {
  void operator()(rd_kafka_DeleteConsumerGroupOffsets_t* p) const {
    rd_kafka_DeleteConsumerGroupOffsets_destroy(p);
  }
};
struct alter_offsets_deleter {
  void operator()(rd_kafka_AlterConsumerGroupOffsets_t* p) const {
    rd_kafka_AlterConsumerGroupOffsets_destroy(p);
  }
};

std::string where(const rd_kafka_topic_partition_t& p) {
  return std::string(p.topic) + " partition " + std::to_string(p.partition);
}

// The group-level and per-partition errors of one group result.
result<void> check_group_result(const rd_kafka_group_result_t* g, const std::string& what) {
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(g)) {
    return make_error(rd_kafka_error_code(e), what, rd_kafka_error_string(e));
  }
  if (const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(g)) {
    for (int i = 0; i < parts->cnt; ++i) {
      if (parts->elems[i].err) {
        return make_error(parts->elems[i].err, what + ": " + where(parts->elems[i]), "");
      }
    }
  }
  return success();
}

}  // namespace

result<std::vector<group_listing>> admin::list_groups() {
  const std::string what = "cannot list consumer groups";
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS));
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_ListConsumerGroups(impl_->rk.get(), opts.get(), q);
                                 },
                                 what));
  const auto* res = rd_kafka_event_ListConsumerGroups_result(ev.get());
  size_t nerr = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
  // Kafka asks every broker; one that fails makes the list incomplete.
  if (nerr > 0) {
    return make_error(rd_kafka_error_code(errors[0]), what, rd_kafka_error_string(errors[0]));
  }
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** groups =
      rd_kafka_ListConsumerGroups_result_valid(res, &n);
  std::vector<group_listing> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(
        {rd_kafka_ConsumerGroupListing_group_id(groups[i]),
         rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i])),
         rd_kafka_ConsumerGroupListing_is_simple_consumer_group(groups[i]) != 0});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

result<group_description> admin::describe_group(const std::string& group) {
  const std::string what = "cannot describe group " + group;
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
  const char* name = group.c_str();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_DescribeConsumerGroups(impl_->rk.get(), &name, 1,
                                                                   opts.get(), q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
  if (n != 1) return make_error(RD_KAFKA_RESP_ERR__BAD_MSG, what + ": the answer has no group");
  const rd_kafka_ConsumerGroupDescription_t* g = groups[0];
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(g)) {
    return make_error(rd_kafka_error_code(e), what, rd_kafka_error_string(e));
  }
  group_description out;
  out.id = rd_kafka_ConsumerGroupDescription_group_id(g);
  out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
  if (const char* a = rd_kafka_ConsumerGroupDescription_partition_assignor(g)) out.assignor = a;
  out.simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0;
  if (const rd_kafka_Node_t* c = rd_kafka_ConsumerGroupDescription_coordinator(g)) {
    out.coordinator = rd_kafka_Node_id(c);
  }
  const size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
  for (size_t i = 0; i < members; ++i) {
    const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(g, i);
    group_member gm;
    if (const char* s = rd_kafka_MemberDescription_consumer_id(m)) gm.member_id = s;
    if (const char* s = rd_kafka_MemberDescription_client_id(m)) gm.client_id = s;
    if (const char* s = rd_kafka_MemberDescription_host(m)) gm.host = s;
    if (const char* s = rd_kafka_MemberDescription_group_instance_id(m)) gm.group_instance_id = s;
    if (const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(m)) {
      if (const rd_kafka_topic_partition_list_t* parts = rd_kafka_MemberAssignment_partitions(a)) {
        for (int j = 0; j < parts->cnt; ++j) {
          gm.assignment.push_back(
              {parts->elems[j].topic, runnel::partition_id{parts->elems[j].partition}});
        }
      }
    }
    std::sort(gm.assignment.begin(), gm.assignment.end());
    out.members.push_back(std::move(gm));
  }
  return out;
}

result<void> admin::delete_group(const std::string& group) {
  const std::string what = "cannot delete group " + group;
  std::unique_ptr<rd_kafka_DeleteGroup_t, delete_group_deleter> dg(
      rd_kafka_DeleteGroup_new(group.c_str()));
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_DELETEGROUPS));
  rd_kafka_DeleteGroup_t* raw = dg.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_DeleteGroups(impl_->rk.get(), &raw, 1, opts.get(), q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_group_result_t** groups =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(check_group_result(groups[i], what));
  }
  return success();
}

result<std::vector<topic_partition_offset>> admin::committed_offsets(
    const std::string& group, const std::optional<std::string>& topic) {
  const std::string what = "cannot read the committed offsets of group " + group;
  // No partition list: every partition the group has an offset in.
  std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t, list_offsets_deleter> req(
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr));
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS));
  rd_kafka_ListConsumerGroupOffsets_t* raw = req.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_ListConsumerGroupOffsets(impl_->rk.get(), &raw, 1,
                                                                     opts.get(), q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev.get()), &n);
  std::vector<topic_partition_offset> out;
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(check_group_result(groups[i], what));
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[i]);
    for (int j = 0; parts && j < parts->cnt; ++j) {
      const auto& p = parts->elems[j];
      if (p.offset < 0) continue;  // listed, but nothing committed
      if (topic && *topic != p.topic) continue;
      out.push_back({p.topic, runnel::partition_id{p.partition}, runnel::offset{p.offset}});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return out;
}

result<void> admin::alter_committed_offsets(const std::string& group,
                                            const std::vector<topic_partition_offset>& offsets) {
  const std::string what = "cannot alter the committed offsets of group " + group;
  if (offsets.empty()) return success();
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    if (o.offset() < 0) {
      return invalid_argument(what + ": negative offset " + std::to_string(o.offset()) + " for " +
                              o.topic + " partition " + std::to_string(o.partition()));
    }
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition())->offset =
        o.offset();
  }
  std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t, alter_offsets_deleter> req(
      rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get()));
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS));
  rd_kafka_AlterConsumerGroupOffsets_t* raw = req.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_AlterConsumerGroupOffsets(impl_->rk.get(), &raw, 1,
                                                                      opts.get(), q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(check_group_result(groups[i], what));
  }
  return success();
}

result<void> admin::delete_committed_offsets(const std::string& group,
                                             const std::vector<topic_partition>& partitions) {
  const std::string what = "cannot delete the committed offsets of group " + group;
  if (partitions.empty()) return success();
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& p : partitions)
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition());
  std::unique_ptr<rd_kafka_DeleteConsumerGroupOffsets_t, delete_offsets_deleter> req(
      rd_kafka_DeleteConsumerGroupOffsets_new(group.c_str(), list.get()));
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS));
  rd_kafka_DeleteConsumerGroupOffsets_t* raw = req.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_DeleteConsumerGroupOffsets(impl_->rk.get(), &raw, 1,
                                                                       opts.get(), q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
      rd_kafka_event_DeleteConsumerGroupOffsets_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(check_group_result(groups[i], what));
  }
  return success();
}

result<std::vector<partition_lag>> admin::group_lag(const std::string& group) {
  BOOST_OUTCOME_TRY(auto committed, committed_offsets(group));
  std::vector<partition_lag> out;
  for (const auto& c : committed) {
    BOOST_OUTCOME_TRY(auto w, impl_->watermarks(c.topic, c.partition()));
    out.push_back({c.topic, c.partition, c.offset, w.end, std::max<int64_t>(0, w.end - c.offset)});
  }
  return out;
}

}  // namespace runnel::client
