#include "cli/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::cli {
namespace {

TEST(histogram, small_values_are_exact) {
  histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_EQ(h.percentile(50), 500u);
  EXPECT_EQ(h.percentile(90), 900u);
  EXPECT_EQ(h.percentile(99), 990u);
  EXPECT_EQ(h.percentile(99.9), 999u);
  EXPECT_EQ(h.percentile(100), 1000u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(histogram, empty_reports_zero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(histogram, buckets_tile_the_range_without_gaps) {
  EXPECT_EQ(histogram::lowest_in(0), 0u);
  for (size_t b = 1; b < histogram::bucket_count; ++b) {
    ASSERT_EQ(histogram::lowest_in(b), histogram::highest_in(b - 1) + 1) << b;
  }
  EXPECT_EQ(histogram::highest_in(histogram::bucket_count - 1), UINT64_MAX);
  EXPECT_EQ(histogram::bucket_of(UINT64_MAX), histogram::bucket_count - 1);
}

TEST(histogram, every_value_lands_in_the_bucket_that_holds_it) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t b = histogram::bucket_of(v);
    ASSERT_LE(histogram::lowest_in(b), v);
    ASSERT_GE(histogram::highest_in(b), v);
  }
  for (int k = 0; k < 64; ++k) {
    const uint64_t p = uint64_t{1} << k;
    ASSERT_EQ(histogram::lowest_in(histogram::bucket_of(p)), p) << k;
  }
}

TEST(histogram, precision_is_three_significant_digits) {
  // A bucket is never wider than 1/1024 of the values in it.
  for (size_t b = 2048; b < histogram::bucket_count; b += 97) {
    const double width = double(histogram::highest_in(b) - histogram::lowest_in(b) + 1);
    ASSERT_LE(width / double(histogram::lowest_in(b)), 1.0 / 1024) << b;
  }
}

TEST(histogram, percentiles_match_sorted_values_within_precision) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(13.0, 1.5);  // ~0.4 ms median, in ns
  std::vector<uint64_t> values;
  histogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = uint64_t(latency(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {1.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const auto rank = size_t(std::ceil(q * double(values.size()) / 100));
    const uint64_t exact = values[rank - 1];
    const uint64_t got = h.percentile(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(double(got - exact), double(exact) / 1024) << q;
  }
  EXPECT_EQ(h.percentile(100), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
}

TEST(histogram, merge_equals_recording_into_one) {
  histogram a, b, both;
  for (uint64_t v = 0; v < 50000; v += 3) {
    a.record(v * 1000);
    both.record(v * 1000);
  }
  for (uint64_t v = 1; v < 9000; v += 7) {
    b.record(v * 77);
    both.record(v * 77);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.min(), both.min());
  EXPECT_EQ(a.max(), both.max());
  for (double q : {10.0, 50.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(q), both.percentile(q)) << q;
}

TEST(histogram, percentile_never_exceeds_max) {
  histogram h;
  h.record(1000001);  // the bucket reaches up to 1000447
  EXPECT_EQ(h.percentile(50), 1000001u);
  EXPECT_EQ(h.percentile(100), 1000001u);
}

}  // namespace
}  // namespace runnel::cli
