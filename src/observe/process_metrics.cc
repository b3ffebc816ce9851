#include "observe/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#ifndef RUNNEL_VERSION
#define RUNNEL_VERSION "unknown"
#endif

namespace runnel::observe {

namespace {

// Seconds since the epoch at which the machine booted (/proc/stat btime).
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double v = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// /proc/self/stat fields after the command name, which may hold spaces and
// parentheses (so the split starts after the last ')'): field 3 is the first.
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> out;
  auto close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream rest(line.substr(close + 1));
  std::string f;
  while (rest >> f) out.push_back(f);
  return out;
}

double start_time() {
  static const double t = [] {
    auto f = stat_fields();
    // Field 22, starttime, in clock ticks after boot (index 22 - 3).
    if (f.size() <= 19) return 0.0;
    return boot_time() + std::stod(f[19]) / double(sysconf(_SC_CLK_TCK));
  }();
  return t;
}

uint64_t count_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  uint64_t n = 0;
  while (auto* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n > 0 ? n - 1 : 0;  // not the descriptor of the listing itself
}

}  // namespace

const char* version() {
  return RUNNEL_VERSION;
}

process_stats read_process_stats() {
  process_stats s;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    s.cpu_seconds = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (statm >> size >> resident) {
    const auto page = uint64_t(sysconf(_SC_PAGESIZE));
    s.virtual_bytes = size * page;
    s.resident_bytes = resident * page;
  }
  s.open_fds = count_fds();
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = uint64_t(rl.rlim_cur);
  auto f = stat_fields();
  if (f.size() > 17) s.threads = std::stoull(f[17]);  // field 20, num_threads
  s.start_time_seconds = start_time();
  return s;
}

collector_fn process_collector() {
  return [](sample_sink& out) {
    const auto s = read_process_stats();
    out.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {},
                s.cpu_seconds);
    out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
              double(s.resident_bytes));
    out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
              double(s.virtual_bytes));
    out.gauge("process_open_fds", "Number of open file descriptors.", {}, double(s.open_fds));
    out.gauge("process_max_fds", "Maximum number of open file descriptors.", {}, double(s.max_fds));
    out.gauge("process_threads", "Number of OS threads in the process.", {}, double(s.threads));
    out.gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", {}, s.start_time_seconds);
    out.gauge("runnel_build_info", "The running runnel build: always 1, its version as a label.",
              {{"version", version()}}, 1);
  };
}

}  // namespace runnel::observe
