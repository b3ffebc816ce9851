// The three kinds of series a module records into: counter, gauge and
// histogram (Prometheus' types). Obtain them from a registry (registry.h);
// a module keeps the reference (or a scoped<> handle) and records on its
// hot path without lookups.
//
// Thread-safety: every member may be called from any thread. counter::inc
// and histogram::observe write the calling thread's own cache line
// (cells.h), so shards counting the same series do not contend; a gauge is
// one atomic (set from anywhere, last writer wins).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "observe/cells.h"

namespace runnel::observe {

// A value that only goes up (requests, bytes, errors). Resets only when the
// process restarts (or a scoped series is recreated), which Prometheus'
// rate() understands.
class counter {
 public:
  counter() : cells_(1) {}
  void inc(uint64_t n = 1) { cells_.mine(0).fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return cells_.sum(0); }

 private:
  detail::slotted_cells cells_;
};

// A value that goes up and down (open connections, lag).
class gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  void sub(double d) { v_.fetch_sub(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Upper bounds (inclusive, ascending, finite) of a histogram's buckets; the
// +Inf bucket is implicit. Shared by every series of a family.
using bucket_bounds = std::shared_ptr<const std::vector<double>>;

// Durations in seconds from 50 µs (a produce with acks=1 on a fast disk) to
// 10 s (a long-polling fetch, a slow fsync): about 2.5x apart, as
// Prometheus' own defaults are.
bucket_bounds latency_buckets();
// start, start*factor, ... (count bounds).
bucket_bounds exponential_buckets(double start, double factor, size_t count);
// Ascending, finite bounds; throws std::invalid_argument otherwise.
bucket_bounds make_buckets(std::vector<double> bounds);

// Observations counted in fixed buckets, with their sum (Prometheus'
// histogram: _bucket{le=...}, _sum, _count). Fixed buckets keep an
// observation one search and two relaxed adds.
class histogram {
 public:
  explicit histogram(bucket_bounds bounds);

  void observe(double v);
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) {
    observe(std::chrono::duration<double>(d).count());
  }

  struct snapshot {
    std::vector<uint64_t> counts;  // per bucket, not cumulative; the last is +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  snapshot read() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  bucket_bounds bounds_;
  // Cells 0..n-1: the n bounded buckets; n: +Inf; n+1: the sum (a double's bits).
  detail::slotted_cells cells_;
};

}  // namespace runnel::observe
