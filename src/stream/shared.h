// shared: what every task of one app uses — the config, the plan, the one
// producer, the changelog positions that delivery reports advance, and the
// first fatal error. Owned by app::impl; used on the stream thread only
// (delivery reports run there too, inside producer poll/flush).
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>

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

struct shared {
  const app_config& config;
  const plan& p;
  client::producer* producer = nullptr;
  client::admin* admin = nullptr;
  // Stable addresses: tasks keep pointers; slots are never removed (a
  // rebalance adds a few; they are small).
  std::deque<changelog_slot> slots;
  std::string fatal;  // first error that stops the app
  // Something was sent since the last commit (results, changelogs, dead
  // letters): under exactly-once its transaction must be committed.
  bool produced = false;
  app_histograms* histograms = nullptr;  // the app's (app_observer.h); set before tasks exist
};

}  // namespace runnel::stream::runtime
