#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "observe/registry.h"

namespace runnel::observe {
namespace {

TEST(Counter, SumsWhatEveryThreadAdded) {
  counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&c] {
      for (int i = 0; i < 100000; ++i) c.inc();
    });
  for (auto& t : threads) t.join();
  c.inc(5);
  EXPECT_EQ(c.value(), 800005u);
}

TEST(Gauge, SetsAddsAndSubtracts) {
  gauge g;
  g.set(10);
  g.add(2.5);
  g.sub(1);
  EXPECT_DOUBLE_EQ(g.value(), 11.5);
}

TEST(Histogram, CountsIntoInclusiveUpperBounds) {
  histogram h(make_buckets({1, 2, 5}));
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 5.0, 7.0, 100.0}) h.observe(v);
  auto s = h.read();
  ASSERT_EQ(s.counts.size(), 4u);
  EXPECT_EQ(s.counts[0], 2u);  // 0.5, 1
  EXPECT_EQ(s.counts[1], 2u);  // 1.5, 2
  EXPECT_EQ(s.counts[2], 2u);  // 4, 5
  EXPECT_EQ(s.counts[3], 2u);  // +Inf: 7, 100
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 121.0);
}

TEST(Histogram, ObservesDurationsInSeconds) {
  histogram h(latency_buckets());
  h.observe(std::chrono::milliseconds(3));
  auto s = h.read();
  EXPECT_DOUBLE_EQ(s.sum, 0.003);
  EXPECT_EQ(s.count, 1u);
}

TEST(Histogram, SumIsExactAcrossThreads) {
  histogram h(make_buckets({1}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.observe(0.5);
    });
  for (auto& t : threads) t.join();
  auto s = h.read();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 20000.0);
}

TEST(Buckets, RejectUnorderedOrInfiniteBounds) {
  EXPECT_THROW(make_buckets({1, 1}), std::invalid_argument);
  EXPECT_THROW(make_buckets({2, 1}), std::invalid_argument);
  EXPECT_THROW(make_buckets({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
  auto e = exponential_buckets(1, 2, 4);
  EXPECT_EQ(*e, (std::vector<double>{1, 2, 4, 8}));
}

TEST(Family, WithReturnsTheSameSeriesForTheSameValues) {
  registry r;
  auto& f = r.counter_family("test_requests_total", "h", {"api"});
  f.with({"Produce"}).inc();
  f.with({"Produce"}).inc(2);
  f.with({"Fetch"}).inc();
  EXPECT_EQ(f.with({"Produce"}).value(), 3u);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_THROW(f.with({}), std::invalid_argument);
  EXPECT_THROW(f.with({"a", "b"}), std::invalid_argument);
}

TEST(Family, ScopedSeriesDisappearWithTheirLastHandle) {
  registry r;
  auto& f = r.counter_family("test_topic_bytes_total", "h", {"topic"});
  {
    auto a = f.scoped_with({"orders"});
    auto b = f.scoped_with({"orders"});
    a->inc(10);
    EXPECT_EQ(b->value(), 10u);
    EXPECT_EQ(f.size(), 1u);
    a.reset();
    EXPECT_EQ(f.size(), 1u);  // b still holds it
    auto moved = std::move(b);
    EXPECT_EQ(f.size(), 1u);
  }
  EXPECT_EQ(f.size(), 0u);
  EXPECT_EQ(r.expose(), "");
  // A new series for the same values starts from zero.
  auto c = f.scoped_with({"orders"});
  EXPECT_EQ(c->value(), 0u);
}

TEST(Family, PinnedSeriesOutliveScopedHandles) {
  registry r;
  auto& f = r.gauge_family("test_g", "h", {"k"});
  f.with({"x"}).set(1);
  { auto s = f.scoped_with({"x"}); }
  EXPECT_EQ(f.size(), 1u);
}

TEST(Family, StaysBoundedByFoldingNewValuesIntoOverflow) {
  registry r;
  auto& f = r.counter_family("test_bounded_total", "h", {"topic"}, 3);
  for (int i = 0; i < 10; ++i) f.with({"t" + std::to_string(i)}).inc();
  EXPECT_EQ(f.size(), 4u);  // three, plus the overflow series
  EXPECT_EQ(f.with({"_overflow"}).value(), 7u);
  EXPECT_EQ(f.with({"t0"}).value(), 1u);
}

TEST(Registry, SameShapeReturnsTheSameFamily) {
  registry r;
  auto& a = r.counter_family("test_x_total", "h", {"a"});
  auto& b = r.counter_family("test_x_total", "other help", {"a"});
  EXPECT_EQ(&a, &b);
  auto& h1 = r.histogram("test_h_seconds", "h", latency_buckets());
  auto& h2 = r.histogram("test_h_seconds", "h", latency_buckets());
  EXPECT_EQ(&h1, &h2);
}

TEST(Registry, DifferentShapeUnderOneNameThrows) {
  registry r;
  r.counter_family("test_x_total", "h", {"a"});
  EXPECT_THROW(r.counter_family("test_x_total", "h", {"b"}), std::logic_error);
  EXPECT_THROW(r.gauge_family("test_x_total", "h", {"a"}), std::logic_error);
  r.histogram("test_h_seconds", "h", make_buckets({1, 2}));
  EXPECT_THROW(r.histogram("test_h_seconds", "h", make_buckets({1, 3})), std::logic_error);
}

TEST(Registry, RejectsInvalidNames) {
  registry r;
  EXPECT_THROW(r.counter("1abc", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("a-b", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter_family("ok_total", "h", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.counter_family("ok2_total", "h", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.histogram_family("ok_seconds", "h", {"le"}, latency_buckets()),
               std::invalid_argument);
}

TEST(Registry, CollectorsRunAtScrapeAndStopWithTheirHandle) {
  registry r;
  int runs = 0;
  auto h = r.add_collector([&runs](sample_sink& s) {
    ++runs;
    s.gauge("test_collected", "h", {{"k", "v"}}, 42);
  });
  auto fams = r.collect();
  ASSERT_EQ(fams.size(), 1u);
  EXPECT_EQ(fams[0].name, "test_collected");
  EXPECT_EQ(fams[0].samples[0].value, 42);
  EXPECT_EQ(runs, 1);
  h.reset();
  EXPECT_TRUE(r.collect().empty());
  EXPECT_EQ(runs, 1);
}

TEST(Registry, ASeriesEmittedTwiceKeepsItsFirstValue) {
  registry r;
  auto a = r.add_collector([](sample_sink& s) { s.gauge("test_dup", "h", {{"k", "v"}}, 1); });
  auto b = r.add_collector([](sample_sink& s) {
    s.gauge("test_dup", "h", {{"k", "v"}}, 2);
    s.gauge("test_dup", "h", {{"k", "w"}}, 3);
  });
  EXPECT_EQ(r.expose(),
            "# HELP test_dup h\n# TYPE test_dup gauge\ntest_dup{k=\"v\"} 1\ntest_dup{k=\"w\"} 3\n");
}

TEST(Registry, CollectorCannotShadowARegisteredFamily) {
  registry r;
  r.counter("test_shadow_total", "h").inc();
  auto h = r.add_collector([](sample_sink& s) { s.counter("test_shadow_total", "h", {}, 99); });
  auto fams = r.collect();
  ASSERT_EQ(fams.size(), 1u);
  EXPECT_EQ(fams[0].samples[0].value, 1);
}

TEST(Registry, GlobalCarriesProcessMetrics) {
  auto text = metrics().expose();
  EXPECT_NE(text.find("\nprocess_cpu_seconds_total "), std::string::npos) << text;
  EXPECT_NE(text.find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("\nprocess_open_fds "), std::string::npos);
  EXPECT_NE(text.find("\nprocess_start_time_seconds "), std::string::npos);
  EXPECT_NE(text.find("runnel_build_info{version=\""), std::string::npos);
}

}  // namespace
}  // namespace runnel::observe
