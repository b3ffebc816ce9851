// The DSL's graph without a broker: window membership, sub-topology
// grouping, internal topics and stores a topology declares.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "plan.h"
#include "runnel/stream.h"

namespace rs = runnel::stream;
using namespace std::chrono_literals;

TEST(window_starts, tumbling_has_one_window) {
  EXPECT_EQ(rs::detail::window_starts(125, 100, 100), (std::vector<int64_t>{100}));
  EXPECT_EQ(rs::detail::window_starts(100, 100, 100), (std::vector<int64_t>{100}));
  EXPECT_EQ(rs::detail::window_starts(99, 100, 100), (std::vector<int64_t>{0}));
}

TEST(window_starts, hopping_has_size_over_advance_windows) {
  EXPECT_EQ(rs::detail::window_starts(125, 100, 25), (std::vector<int64_t>{50, 75, 100, 125}));
  EXPECT_EQ(rs::detail::window_starts(124, 100, 25), (std::vector<int64_t>{25, 50, 75, 100}));
}

TEST(window_starts, negative_times_floor) {
  EXPECT_EQ(rs::detail::window_starts(-1, 100, 100), (std::vector<int64_t>{-100}));
  EXPECT_EQ(rs::detail::window_starts(-100, 100, 50), (std::vector<int64_t>{-150, -100}));
}

TEST(topology, independent_streams_are_separate_subtopologies) {
  rs::builder b;
  b.stream<std::string, std::string>("a").to("out-a");
  b.stream<std::string, std::string>("b").to("out-b");
  auto t = b.build();
  auto p = rs::runtime::group_sources(rs::detail::access::graph_of(t), "app");
  ASSERT_EQ(p.subtopologies.size(), 2u);
  EXPECT_EQ(p.topic_subtopology.at("a"), 0);
  EXPECT_EQ(p.topic_subtopology.at("b"), 1);
}

TEST(topology, joins_and_merges_share_a_subtopology) {
  rs::builder b;
  auto a = b.stream<std::string, std::string>("a");
  auto c = b.stream<std::string, std::string>("c");
  auto users = b.table<std::string, std::string>("users");
  a.merge(c)
      .join(users, [](const std::string& v, const std::string& u) { return v + u; })
      .to("out");
  auto p = rs::runtime::group_sources(rs::detail::access::graph_of(b.build()), "app");
  ASSERT_EQ(p.subtopologies.size(), 1u);
  EXPECT_EQ(p.subtopologies[0].topics.size(), 3u);
  ASSERT_EQ(p.subtopologies[0].stores.size(), 1u);
  EXPECT_EQ(p.changelog_topic(p.subtopologies[0].stores[0]->name),
            "app-" + p.subtopologies[0].stores[0]->name + "-changelog");
}

TEST(topology, rekeying_before_grouping_goes_through_a_repartition_topic) {
  rs::builder b;
  b.stream<std::string, std::string>("in")
      .select_key([](const std::string&, const std::string& v) { return v; })
      .group_by_key()
      .count()
      .to_stream()
      .to("counts");
  auto t = b.build();
  ASSERT_EQ(rs::detail::access::graph_of(t).internal_topics.size(), 1u);
  auto p = rs::runtime::group_sources(rs::detail::access::graph_of(t), "app");
  ASSERT_EQ(p.subtopologies.size(), 2u);
  // The aggregate's store belongs to the sub-topology that reads the
  // repartition topic, not to the one reading "in".
  EXPECT_TRUE(p.subtopologies[0].stores.empty());
  EXPECT_EQ(p.subtopologies[1].stores.size(), 1u);
  EXPECT_TRUE(p.subtopologies[1].sources[0]->internal);
  EXPECT_NE(t.describe().find("repartition topic <application.id>-"), std::string::npos);
}

TEST(topology, grouping_by_an_unchanged_key_does_not_repartition) {
  rs::builder b;
  b.stream<std::string, std::string>("in")
      .filter([](const std::string& v) { return !v.empty(); })
      .group_by_key()
      .windowed_by(rs::tumbling_window(1min).grace(10s))
      .count();
  EXPECT_TRUE(rs::detail::access::graph_of(b.build()).internal_topics.empty());
}

TEST(topology, names_are_deterministic) {
  auto make = [] {
    rs::builder b;
    b.stream<std::string, std::string>("in").group_by_key().count();
    return b.build().describe();
  };
  EXPECT_EQ(make(), make());
}

// The DSL's types come from the user's functions, as in Kafka Streams.
TEST(dsl, aggregate_and_process_deduce_their_types) {
  rs::builder b;
  auto s = b.stream<std::string, std::string>("in");
  auto sum = s.group_by_key().aggregate(
      [] { return 0.0; },
      [](const std::string&, const std::string& v, double a) { return a + double(v.size()); });
  static_assert(std::is_same_v<decltype(sum), rs::table<std::string, double>>);
  auto windowed =
      s.group_by_key()
          .windowed_by(rs::tumbling_window(1min))
          .aggregate([] { return int32_t{0}; },
                     [](const std::string&, const std::string&, int32_t n) { return n + 1; });
  static_assert(std::is_same_v<decltype(windowed), rs::table<rs::windowed<std::string>, int32_t>>);
  auto sessions =
      s.group_by_key()
          .windowed_by(rs::session_window(1min))
          .aggregate([] { return std::string(); },
                     [](const std::string&, const std::string& v, std::string a) { return a + v; },
                     [](const std::string&, std::string a, std::string b) { return a + b; });
  static_assert(
      std::is_same_v<decltype(sessions), rs::table<rs::windowed<std::string>, std::string>>);

  struct length : rs::processor<std::string, std::string, std::string, int64_t> {
    void process(rs::record<std::string, std::string>&&) override {}
  };
  auto lengths = s.process([] { return std::make_unique<length>(); });
  static_assert(std::is_same_v<decltype(lengths), rs::stream<std::string, int64_t>>);
}

TEST(dsl, split_names_branches_like_kafka_streams) {
  rs::builder b;
  auto s = b.stream<std::string, std::string>("in");
  auto yes = [](const std::string& v) { return !v.empty(); };
  int chained = 0;
  auto named = s.split("x-")
                   .branch(yes, "a")
                   .branch(yes)
                   .branch(yes, [&](rs::stream<std::string, std::string>) { ++chained; })
                   .default_branch();
  EXPECT_EQ(chained, 1);
  std::vector<std::string> names;
  for (const auto& [name, branch] : named) names.push_back(name);
  // Unnamed branches by their number from 1, the default branch "0"; a
  // branch handed to a function is not in the map.
  EXPECT_EQ(names, (std::vector<std::string>{"x-0", "x-2", "x-a"}));
  auto without = s.split().branch(yes).no_default_branch();
  EXPECT_EQ(without.size(), 1u);
  EXPECT_TRUE(without.count("1"));
}
