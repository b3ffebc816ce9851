#include "broker/group_coordinator.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "broker/offsets_format.h"
#include "broker/offsets_log.h"
#include "broker/server.h"

namespace runnel::broker {

namespace fmt_ = offsets_format;

group_coordinator::group_coordinator(server& srv) : srv_(srv) {}

group_coordinator::~group_coordinator() = default;

result<void> group_coordinator::load() {
  const std::string name(fmt_::topic_name);
  RUNNEL_TRY(auto logs, open_internal_topic(srv_, name, srv_.config().offsets_topic_num_partitions,
                                            fmt_::segment_bytes));
  partitions_ = int32_t(logs.size());
  managers_.clear();
  for (size_t i = 0; i < srv_.shard_count(); ++i)
    managers_.push_back(std::make_unique<group_manager>(srv_, srv_.shard_at(i), partitions_));
  size_t records = 0;
  for (int32_t p = 0; p < partitions_; ++p) {
    group_manager& mgr = manager_on(srv_.owner(name, p));
    RUNNEL_TRY(replay_offsets_log(
        *logs[p],
        [&mgr, &records](const replayed_record& r) {
          mgr.replay(r.key, r.value, r.offset, r.txn_producer_id);
          ++records;
        },
        [&mgr, p](int64_t producer_id, bool commit) { mgr.complete_txn(producer_id, p, commit); }));
  }
  for (auto& m : managers_) m->finish_load();
  spdlog::info("broker: replayed {} record(s) of {}", records, name);
  return success();
}

void group_coordinator::shutdown() {
  on_every_shard(srv_, "groups", std::chrono::seconds(5), [this](size_t i) {
    if (i < managers_.size()) managers_[i]->shutdown();
  });
}

int32_t group_coordinator::partition_for(std::string_view group) const {
  return fmt_::partition_for(group, partitions_);
}

shard& group_coordinator::shard_for(std::string_view group) {
  return srv_.owner(fmt_::topic_name, partition_for(group));
}

group_manager& group_coordinator::manager_on(shard& sh) {
  return *managers_.at(sh.id());
}

}  // namespace runnel::broker
