#include "broker/txn_coordinator.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

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
  auto topic = srv_.registry().find(name);
  if (!topic) {
    const std::map<std::string, std::string> overrides{
        {"cleanup.policy", "compact"},
        {"segment.bytes", std::to_string(txn_format::segment_bytes)}};
    auto c = srv_.create_on_io(name, srv_.config().transaction_state_log_num_partitions, overrides,
                               false);
    if (c->res.error != kafka::error_code::none || !c->res.topic) {
      spdlog::error("broker: cannot create {}: {}", name, c->res.message);
      return std::make_error_code(std::errc::io_error);
    }
    for (auto& p : c->parts) srv_.owner(p->topic, p->index).install(std::move(p));
    topic = c->res.topic;
    spdlog::info("broker: created {} with {} partition(s)", name, topic->partitions);
  }
  partitions_ = topic->partitions;
  managers_.clear();
  for (size_t i = 0; i < srv_.shard_count(); ++i)
    managers_.push_back(std::make_unique<txn_manager>(srv_, srv_.shard_at(i), partitions_));
  size_t records = 0;
  for (int32_t p = 0; p < partitions_; ++p) {
    shard& sh = srv_.owner(name, p);
    partition* part = sh.find(name, p);
    if (!part || !part->log) {
      spdlog::error("broker: {}-{} is not open", name, p);
      return std::make_error_code(std::errc::io_error);
    }
    txn_manager& mgr = manager_on(sh);
    RUNNEL_TRY(replay_offsets_log(*part->log, [&mgr, &records](const replayed_record& r) {
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
  for (size_t i = 0; i < managers_.size(); ++i) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    txn_manager* m = managers_[i].get();
    boost::asio::post(srv_.shard_at(i).context(), [m, done] {
      m->shutdown();
      done->set_value();
    });
    if (finished.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      spdlog::warn("broker: transactions of shard {} did not stop in time", i);
  }
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
