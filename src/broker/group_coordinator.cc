#include "broker/group_coordinator.h"

#include <boost/asio/post.hpp>

#include <chrono>
#include <future>

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
  auto topic = srv_.registry().find(name);
  if (!topic) {
    const std::map<std::string, std::string> overrides{
        {"cleanup.policy", "compact"}, {"segment.bytes", std::to_string(fmt_::segment_bytes)}};
    auto c = srv_.create_on_io(name, srv_.config().offsets_topic_num_partitions, overrides, false);
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
    managers_.push_back(std::make_unique<group_manager>(srv_, srv_.shard_at(i), partitions_));
  size_t records = 0;
  for (int32_t p = 0; p < partitions_; ++p) {
    shard& sh = srv_.owner(name, p);
    partition* part = sh.find(name, p);
    if (!part || !part->log) {
      spdlog::error("broker: {}-{} is not open", name, p);
      return std::make_error_code(std::errc::io_error);
    }
    group_manager& mgr = manager_on(sh);
    RUNNEL_TRY(replay_offsets_log(
        *part->log,
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
  for (size_t i = 0; i < managers_.size(); ++i) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    group_manager* m = managers_[i].get();
    boost::asio::post(srv_.shard_at(i).context(), [m, done] {
      m->shutdown();
      done->set_value();
    });
    if (finished.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      spdlog::warn("broker: groups of shard {} did not stop in time", i);
  }
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
