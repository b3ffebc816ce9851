// group_manager::stats(): the consumer groups of one shard, for the metrics
// collector (metrics_collector.cc).
#include "broker/group_manager.h"

namespace runnel::broker {

std::vector<group_manager::group_stats> group_manager::stats() const {
  std::vector<group_stats> out;
  out.reserve(groups_.size());
  for (const auto& [id, g] : groups_) {
    if (g->state == group_state::dead) continue;
    group_stats s;
    s.id = id;
    s.state = g->state;
    s.members = g->members.size();
    s.generation = g->generation;
    s.rebalances = g->rebalances;
    s.offsets.reserve(g->offsets.size());
    for (const auto& [tp, o] : g->offsets) s.offsets.emplace_back(tp, o.offset);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace runnel::broker
