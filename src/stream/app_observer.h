// What a stream app exports to the process' metrics registry, and the admin
// server it starts when app_config::admin_listen asks for one
// (docs/monitoring.md, "Stream apps").
//
// Recorded as they happen, on the stream thread: the process-latency,
// commit-latency and lateness histograms, and restore progress (the
// restorer updates it after each step). Everything
// else is read at scrape time from the app's once-a-second snapshot
// (app::metrics()) by the collector emit() feeds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "observe/family.h"
#include "observe/registry.h"
#include "runnel/stream/app.h"

namespace runnel::stream::runtime {

// One state store of one task, as the snapshot holds it.
struct store_stat {
  std::string task;
  std::string store;
  uint64_t bytes = 0;
  uint64_t entries = 0;
};

// The app's histograms, labelled with its application id.
struct app_histograms {
  explicit app_histograms(const std::string& application_id);
  observe::histogram& process_latency;
  observe::histogram& commit_latency;
  observe::histogram& lateness;
};

// Restore progress of one store of one task: records still to apply, and
// applied. Live while the restorer keeps the job (until the task goes).
struct restore_meters {
  observe::scoped<observe::gauge> remaining;
  observe::scoped<observe::counter> restored;
};
restore_meters make_restore_meters(const std::string& application_id, const std::string& task,
                                   const std::string& store);

// The scrape-time samples of one app.
void emit(observe::sample_sink& out, const std::string& application_id, const app_metrics& m,
          const std::vector<store_stat>& stores, app_state state);

// Kafka Streams-like names of app_state ("RUNNING", "REBALANCING", ...), for
// the state label and /ready's answer.
const char* state_label(app_state s);

}  // namespace runnel::stream::runtime
