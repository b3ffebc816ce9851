#include "cli/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace runnel::cli {

namespace {

constexpr uint64_t linear = uint64_t{1} << histogram::sub_bucket_bits;  // 2048
constexpr uint64_t half = linear / 2;                                   // 1024

}  // namespace

histogram::histogram() : counts_(bucket_count, 0) {}

size_t histogram::bucket_of(uint64_t v) {
  if (v < linear) return size_t(v);
  // v has its top bit at msb >= 11: keep the top 11 bits (1024..2047).
  const int msb = 63 - std::countl_zero(v);
  const int shift = msb - (sub_bucket_bits - 1);
  const uint64_t top = v >> shift;
  return size_t(linear + uint64_t(shift - 1) * half + (top - half));
}

uint64_t histogram::lowest_in(size_t b) {
  if (b < linear) return b;
  const uint64_t shift = (b - linear) / half + 1;
  const uint64_t top = (b - linear) % half + half;
  return top << shift;
}

uint64_t histogram::highest_in(size_t b) {
  if (b < linear) return b;
  const uint64_t shift = (b - linear) / half + 1;
  const uint64_t top = (b - linear) % half + half;
  // For the last bucket (top + 1) << shift wraps to 0, and 0 - 1 is the
  // largest uint64: exactly its highest value.
  return ((top + 1) << shift) - 1;
}

void histogram::record(uint64_t v) {
  ++counts_[bucket_of(v)];
  ++count_;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  sum_ += double(v);
}

void histogram::merge(const histogram& o) {
  for (size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
}

uint64_t histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 100.0);
  // The rank of the value asked for, 1-based: at least the first value.
  const auto rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(count_) / 100.0)));
  uint64_t seen = 0;
  for (size_t b = 0; b < bucket_count; ++b) {
    seen += counts_[b];
    if (seen >= rank) return std::clamp(highest_in(b), min_, max_);
  }
  return max_;
}

}  // namespace runnel::cli
