#include "connect/runtime/submitted_records.h"

#include <algorithm>

namespace runnel::connect {

uint64_t submitted_records::submit(const data& partition, const data& offset) {
  if (last_key_.empty() || partition != last_partition_) {
    last_partition_ = partition;
    last_key_ = partition.dump(-1, ' ', false, data::error_handler_t::replace);
  }
  auto [it, added] = partitions_.try_emplace(last_key_);
  if (added) it->second.partition = partition;
  const uint64_t id = next_id_++;
  it->second.entries.push_back({id, offset, false});
  by_id_.emplace(id, &it->second);
  ++in_flight_;
  return id;
}

void submitted_records::ack(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& q = it->second->entries;
  auto e =
      std::lower_bound(q.begin(), q.end(), id, [](const entry& x, uint64_t v) { return x.id < v; });
  if (e != q.end() && e->id == id && !e->acked) {
    e->acked = true;
    --in_flight_;
  }
  by_id_.erase(it);
}

offset_entries submitted_records::take_committable() {
  offset_entries out;
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    auto& q = it->second.entries;
    std::optional<data> newest;
    while (!q.empty() && q.front().acked) {
      newest = std::move(q.front().offset);
      q.pop_front();
    }
    if (newest) out.emplace_back(it->second.partition, std::move(newest));
    // An emptied queue goes, so the map holds only partitions in flight.
    if (q.empty() && it->first != last_key_)
      it = partitions_.erase(it);
    else
      ++it;
  }
  return out;
}

}  // namespace runnel::connect
