// The text exposition format, byte for byte: what Prometheus parses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "observe/exposition.h"
#include "observe/registry.h"

namespace runnel::observe {
namespace {

TEST(Exposition, GoldenText) {
  registry r;
  auto& req = r.counter_family("runnel_requests_total", "Kafka requests handled, by API.", {"api"});
  req.with({"Produce"}).inc(1027);
  req.with({"Fetch"}).inc(3);
  r.gauge("runnel_connections", "Open client connections.").set(2);
  auto& lat = r.histogram_family("runnel_request_latency_seconds", "Request latency.", {"api"},
                                 make_buckets({0.001, 0.01, 0.5}));
  lat.with({"Produce"}).observe(0.0005);
  lat.with({"Produce"}).observe(0.002);
  lat.with({"Produce"}).observe(0.25);
  lat.with({"Produce"}).observe(3.0);
  auto h = r.add_collector([](sample_sink& s) {
    s.gauge("runnel_partition_high_watermark", "Offset after the last record.",
            {{"topic", "orders"}, {"partition", "0"}}, 42);
    s.gauge("runnel_partition_high_watermark", "ignored: the first help wins",
            {{"topic", "orders"}, {"partition", "1"}}, 7);
  });

  EXPECT_EQ(r.expose(),
            "# HELP runnel_connections Open client connections.\n"
            "# TYPE runnel_connections gauge\n"
            "runnel_connections 2\n"
            "# HELP runnel_partition_high_watermark Offset after the last record.\n"
            "# TYPE runnel_partition_high_watermark gauge\n"
            "runnel_partition_high_watermark{topic=\"orders\",partition=\"0\"} 42\n"
            "runnel_partition_high_watermark{topic=\"orders\",partition=\"1\"} 7\n"
            "# HELP runnel_request_latency_seconds Request latency.\n"
            "# TYPE runnel_request_latency_seconds histogram\n"
            "runnel_request_latency_seconds_bucket{api=\"Produce\",le=\"0.001\"} 1\n"
            "runnel_request_latency_seconds_bucket{api=\"Produce\",le=\"0.01\"} 2\n"
            "runnel_request_latency_seconds_bucket{api=\"Produce\",le=\"0.5\"} 3\n"
            "runnel_request_latency_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 4\n"
            "runnel_request_latency_seconds_sum{api=\"Produce\"} 3.2525\n"
            "runnel_request_latency_seconds_count{api=\"Produce\"} 4\n"
            "# HELP runnel_requests_total Kafka requests handled, by API.\n"
            "# TYPE runnel_requests_total counter\n"
            "runnel_requests_total{api=\"Fetch\"} 3\n"
            "runnel_requests_total{api=\"Produce\"} 1027\n");
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  family_snapshot f{"x_total", "a \\ back\nslash", metric_type::counter, {}};
  f.samples.push_back({"", {{"path", "C:\\dir \"q\"\nnext"}}, 1});
  EXPECT_EQ(render_text({f}),
            "# HELP x_total a \\\\ back\\nslash\n"
            "# TYPE x_total counter\n"
            "x_total{path=\"C:\\\\dir \\\"q\\\"\\nnext\"} 1\n");
}

TEST(Exposition, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(1e15), "1000000000000000");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e300), "1e+300");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(Exposition, EmptyFamiliesAreLeftOut) {
  registry r;
  r.counter_family("runnel_unused_total", "No series yet.", {"topic"});
  EXPECT_EQ(r.expose(), "");
}

}  // namespace
}  // namespace runnel::observe
