#include "connect/runtime/membership.h"

#include <algorithm>

namespace runnel::connect {

std::map<std::string, work_assignment> round_robin_assignment(
    const config_snapshot& snap, const std::vector<member_info>& members, int32_t generation,
    const std::string& leader_url) {
  std::vector<member_info> sorted = members;
  std::sort(sorted.begin(), sorted.end(),
            [](const member_info& a, const member_info& b) { return a.member_id < b.member_id; });
  std::map<std::string, work_assignment> out;
  for (const auto& m : sorted) {
    auto& a = out[m.member_id];
    a.generation = generation;
    a.config_offset = snap.offset;
    a.leader = leader_url;
  }
  if (sorted.empty()) return out;
  size_t next = 0;
  for (const auto& [name, c] : snap.connectors) {
    out[sorted[next++ % sorted.size()].member_id].connectors.insert(name);
  }
  for (const auto& [name, c] : snap.connectors) {
    if (c.target == target_state::stopped) continue;
    for (int32_t i = 0; i < int32_t(c.tasks.size()); ++i)
      out[sorted[next++ % sorted.size()].member_id].tasks.insert({name, i});
  }
  return out;
}

}  // namespace runnel::connect
