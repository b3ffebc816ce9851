// registry: every metric family of a process, and the collectors that
// produce samples at scrape time. One registry per process
// (observe::metrics()); modules add their metrics to it in one line:
//
//   static auto& fsync_seconds = observe::metrics().histogram(
//       "runnel_storage_fsync_seconds", "Time fdatasync took", observe::latency_buckets());
//   ...
//   fsync_seconds.observe(elapsed);
//
// Two ways to publish a value:
// - record it as it happens into a counter, gauge or histogram (metric.h);
// - or compute it when Prometheus asks, with a collector: for values that
//   already live elsewhere (a partition's high watermark on its shard, a
//   consumer group's lag, process CPU time). A collector runs on the admin
//   server's scrape thread; it may block briefly (the broker's hops to its
//   shards), never forever.
//
// Names follow Prometheus' conventions (docs/monitoring.md): `runnel_`
// prefix, base units (`_seconds`, `_bytes`), counters end in `_total`.
// Registering a name twice with the same type and labels returns the same
// family; with a different shape it throws std::logic_error (a programming
// error, found by the first test that touches both).
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "observe/family.h"
#include "observe/metric.h"

namespace runnel::observe {

// What a collector emits into at scrape time. Samples of one name form one
// family (its help and type are those of the first sample); a series
// emitted twice (two collectors describing the same thing) keeps its first
// value, so the exposition never holds a duplicate.
class sample_sink {
 public:
  void counter(std::string_view name, std::string_view help, label_pairs labels, double value);
  void gauge(std::string_view name, std::string_view help, label_pairs labels, double value);
  void histogram(std::string_view name, std::string_view help, label_pairs labels,
                 const std::vector<double>& bounds, const histogram::snapshot& s);

  // The families emitted, by name.
  std::map<std::string, family_snapshot, std::less<>>& families() { return families_; }

 private:
  // The family's snapshot if `labels` is new in it (and the type matches).
  family_snapshot* family(std::string_view name, std::string_view help, metric_type type,
                          const label_pairs& labels);
  std::map<std::string, family_snapshot, std::less<>> families_;
  std::map<std::string, std::set<label_pairs>, std::less<>> seen_;
};

using collector_fn = std::function<void(sample_sink&)>;

class registry;

// Keeps a collector registered; destroying (or reset()) removes it, after
// waiting for a run of it in progress to finish.
class collector_handle {
 public:
  collector_handle() = default;
  collector_handle(collector_handle&& o) noexcept;
  collector_handle& operator=(collector_handle&& o) noexcept;
  ~collector_handle() { reset(); }
  void reset();

 private:
  friend class registry;
  struct entry;
  collector_handle(registry* r, std::shared_ptr<entry> e) : reg_(r), e_(std::move(e)) {}
  registry* reg_ = nullptr;
  std::shared_ptr<entry> e_;
};

class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // The process' registry (never destroyed, so handles held by static or
  // late-destroyed objects stay valid at exit).
  static registry& global();

  family<observe::counter>& counter_family(std::string name, std::string help,
                                           std::vector<std::string> labels,
                                           size_t max_series = default_max_series);
  family<observe::gauge>& gauge_family(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       size_t max_series = default_max_series);
  family<observe::histogram>& histogram_family(std::string name, std::string help,
                                               std::vector<std::string> labels,
                                               bucket_bounds bounds,
                                               size_t max_series = default_max_series);
  // Metrics without labels.
  observe::counter& counter(std::string name, std::string help) {
    return counter_family(std::move(name), std::move(help), {}).with({});
  }
  observe::gauge& gauge(std::string name, std::string help) {
    return gauge_family(std::move(name), std::move(help), {}).with({});
  }
  observe::histogram& histogram(std::string name, std::string help, bucket_bounds bounds) {
    return histogram_family(std::move(name), std::move(help), {}, std::move(bounds)).with({});
  }

  [[nodiscard]] collector_handle add_collector(collector_fn fn);

  // Every family with at least one sample, sorted by name: the registered
  // ones, then what the collectors emit (a collector's family whose name is
  // registered already is dropped, with a warning).
  std::vector<family_snapshot> collect() const;
  // collect() in Prometheus' text exposition format.
  std::string expose() const;

 private:
  friend class collector_handle;
  family_base& add(std::unique_ptr<family_base> f, const std::vector<double>* bounds);
  void remove(const collector_handle::entry* e);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<family_base>, std::less<>> families_;
  std::vector<std::shared_ptr<collector_handle::entry>> collectors_;
};

// registry::global().
inline registry& metrics() {
  return registry::global();
}

// Throws std::invalid_argument unless `name` is a valid Prometheus metric name.
void check_metric_name(std::string_view name);

}  // namespace runnel::observe
