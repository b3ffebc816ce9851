// shared: what every task of one app uses — the config, the plan, the one
// producer, the changelog positions that delivery reports advance, and the
// first fatal error. Owned by app::impl; used on the stream thread only
// (delivery reports run there too, inside producer poll/flush).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "app_observer.h"
#include "plan.h"
#include "runnel/client/admin.h"
#include "runnel/client/producer.h"
#include "runnel/stream/app.h"

namespace runnel::stream::runtime {

// One changelog partition a task writes: delivery reports move next_offset
// past each acknowledged record; checkpoints record it.
struct changelog_slot {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;
};

// Thrown through a task's processing when the app must stop (error policy
// fail, a store error); caught by the app loop.
struct fatal_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The changelog slots, one per changelog partition this process has ever
// written, so a partition that comes back in a later rebalance reuses its
// slot: their number is bounded by stores x partitions, however many
// rebalances happen. A produced changelog record carries its slot's tag
// (index + 1; 0 = not a changelog record) to its delivery report.
class changelog_slots {
 public:
  // The slot of `topic`-`partition`, positioned at `next_offset` (the
  // changelog's end when a task opens its store).
  changelog_slot& acquire(const std::string& topic, int32_t partition, int64_t next_offset,
                          uint64_t& tag) {
    auto [it, added] = index_.try_emplace({topic, partition}, slots_.size());
    if (added) slots_.push_back(changelog_slot{topic, partition, 0});
    tag = it->second + 1;
    auto& slot = slots_[it->second];
    slot.next_offset = next_offset;
    return slot;
  }
  // A delivery report for a record tagged `tag` at `offset`. A late report
  // of an earlier owner of the partition can only carry an older offset,
  // so keeping the largest is right either way.
  void delivered(uint64_t tag, int64_t offset) {
    if (tag == 0 || tag > slots_.size() || offset < 0) return;
    auto& slot = slots_[tag - 1];
    slot.next_offset = std::max(slot.next_offset, offset + 1);
  }
  size_t size() const { return slots_.size(); }

 private:
  std::deque<changelog_slot> slots_;  // stable addresses: tasks keep pointers
  std::map<std::pair<std::string, int32_t>, size_t> index_;
};

struct shared {
  const app_config& config;
  const plan& p;
  client::producer* producer = nullptr;
  client::admin* admin = nullptr;
  changelog_slots slots;
  std::string fatal;  // first error that stops the app
  // Something was sent since the last commit (results, changelogs, dead
  // letters): under exactly-once its transaction must be committed.
  bool produced = false;
  app_histograms* histograms = nullptr;  // the app's (app_observer.h); set before tasks exist

  // Records the first error that stops the app (later ones add nothing).
  void fail(std::string why) {
    if (fatal.empty()) fatal = std::move(why);
  }
  bool failed() const { return !fatal.empty(); }
};

}  // namespace runnel::stream::runtime
