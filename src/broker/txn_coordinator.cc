#include "broker/txn_coordinator.h"

#include <boost/asio/co_spawn.hpp>

#include <chrono>
#include <future>

#include <spdlog/spdlog.h>

#include "broker/offsets_format.h"
#include "broker/offsets_log.h"
#include "broker/server.h"
#include "broker/txn_format.h"

namespace runnel::broker {

txn_coordinator::txn_coordinator(server& srv) : srv_(srv) {}

txn_coordinator::~txn_coordinator() = default;

result<void> txn_coordinator::load() {
  const std::string name(txn_format::topic_name);
  RUNNEL_TRY(auto logs,
             open_internal_topic(srv_, name, srv_.config().transaction_state_log_num_partitions,
                                 txn_format::segment_bytes));
  partitions_ = int32_t(logs.size());
  managers_.clear();
  for (size_t i = 0; i < srv_.shard_count(); ++i)
    managers_.push_back(std::make_unique<txn_manager>(srv_, srv_.shard_at(i), partitions_));
  size_t records = 0;
  for (int32_t p = 0; p < partitions_; ++p) {
    txn_manager& mgr = manager_on(srv_.owner(name, p));
    RUNNEL_TRY(replay_offsets_log(*logs[p], [&mgr, &records](const replayed_record& r) {
      mgr.replay(r.key, r.value, r.offset);
      ++records;
    }));
  }
  for (auto& m : managers_) m->finish_load();
  spdlog::info("broker: replayed {} record(s) of {}", records, name);
  return success();
}

void txn_coordinator::start() {
  std::vector<std::future<void>> started;
  for (size_t i = 0; i < managers_.size(); ++i) {
    auto done = std::make_shared<std::promise<void>>();
    started.push_back(done->get_future());
    boost::asio::co_spawn(srv_.shard_at(i).context(), managers_[i]->start(),
                          [done](std::exception_ptr) { done->set_value(); });
  }
  for (size_t i = 0; i < started.size(); ++i)
    if (started[i].wait_for(std::chrono::seconds(60)) != std::future_status::ready)
      spdlog::warn("broker: transactions of shard {} are still being completed", i);
}

void txn_coordinator::shutdown() {
  on_every_shard(srv_, "transactions", std::chrono::seconds(5), [this](size_t i) {
    if (i < managers_.size()) managers_[i]->shutdown();
  });
}

int32_t txn_coordinator::partition_for(std::string_view transactional_id) const {
  return offsets_format::partition_for(transactional_id, partitions_);
}

shard& txn_coordinator::shard_for(std::string_view transactional_id) {
  return srv_.owner(txn_format::topic_name, partition_for(transactional_id));
}

txn_manager& txn_coordinator::manager_on(shard& sh) {
  return *managers_.at(sh.id());
}

}  // namespace runnel::broker
