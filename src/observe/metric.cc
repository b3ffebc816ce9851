#include "observe/metric.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace runnel::observe {

bucket_bounds make_buckets(std::vector<double> bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
      throw std::invalid_argument("histogram buckets must be finite and ascending");
  }
  return std::make_shared<const std::vector<double>>(std::move(bounds));
}

bucket_bounds latency_buckets() {
  static const bucket_bounds b =
      make_buckets({0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                    0.25, 0.5, 1, 2.5, 5, 10});
  return b;
}

bucket_bounds exponential_buckets(double start, double factor, size_t count) {
  if (start <= 0 || factor <= 1)
    throw std::invalid_argument("exponential buckets: start > 0, factor > 1");
  std::vector<double> b;
  b.reserve(count);
  for (double v = start; b.size() < count; v *= factor) b.push_back(v);
  return make_buckets(std::move(b));
}

histogram::histogram(bucket_bounds bounds)
    : bounds_(std::move(bounds)), cells_(bounds_->size() + 2) {}

void histogram::observe(double v) {
  const auto& b = *bounds_;
  // The first bucket whose bound is >= v (le is inclusive); NaN goes to +Inf.
  const size_t i = size_t(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  cells_.mine(i).fetch_add(1, std::memory_order_relaxed);
  // The sum: this thread's row, so the compare-exchange rarely loops.
  auto& s = cells_.mine(b.size() + 1);
  uint64_t old = s.load(std::memory_order_relaxed);
  while (!s.compare_exchange_weak(old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v),
                                  std::memory_order_relaxed)) {
  }
}

histogram::snapshot histogram::read() const {
  snapshot s;
  const size_t n = bounds_->size() + 1;
  s.counts.resize(n);
  for (size_t i = 0; i < n; ++i) {
    s.counts[i] = cells_.sum(i);
    s.count += s.counts[i];
  }
  for (size_t r = 0; r < cells_.rows(); ++r)
    s.sum += std::bit_cast<double>(cells_.at(r, n).load(std::memory_order_relaxed));
  return s;
}

}  // namespace runnel::observe
