// The process' own metrics, under the names every Prometheus client library
// exports (so existing dashboards and alerts work unchanged):
// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_threads, process_start_time_seconds; and runnel_build_info.
// Read from /proc and getrusage() at scrape time (Linux).
#pragma once

#include <cstdint>
#include <optional>

#include "observe/registry.h"

namespace runnel::observe {

struct process_stats {
  double cpu_seconds = 0;  // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  uint64_t threads = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

process_stats read_process_stats();

// The collector emitting the above (registry::global() installs it).
collector_fn process_collector();

// runnel's version, as the build gave it.
const char* version();

}  // namespace runnel::observe
