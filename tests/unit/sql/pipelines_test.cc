// Work sharing's pure parts (sql/group/pipelines.h): pipelines as connected
// components of the dependency graph, the leader's sticky and balanced
// assignment, and the member metadata and plan as they travel.
#include <gtest/gtest.h>

#include "sql/group/pipelines.h"

namespace runnel::sql {
namespace {

TEST(pipelines, a_view_joins_what_it_reads_into_one_pipeline) {
  // 1, 2: sources; 3 over 1; 4 joins 2 and 5 (a table); 6 reads nothing.
  auto p = pipeline_of({{1, {}}, {2, {}}, {3, {1}}, {4, {5, 2}}, {5, {}}, {6, {}}, {7, {3, 999}}});
  EXPECT_EQ(p[1], 1u);
  EXPECT_EQ(p[3], 1u);
  EXPECT_EQ(p[7], 1u);  // 999: a system table, not a relation
  EXPECT_EQ(p[2], 2u);
  EXPECT_EQ(p[4], 2u);
  EXPECT_EQ(p[5], 2u);
  EXPECT_EQ(p[6], 6u);
}

TEST(pipelines, assignment_is_balanced_and_covers_every_pipeline) {
  std::vector<member_state> m{{"b", "h:2", {}}, {"a", "h:1", {}}, {"c", "h:3", {}}};
  auto a = assign_pipelines({1, 2, 3, 4, 5, 6, 7}, m);
  ASSERT_EQ(a.size(), 7u);
  std::map<std::string, int> load;
  for (const auto& [p, who] : a) ++load[who];
  EXPECT_EQ(load.size(), 3u);
  for (const auto& [who, n] : load) EXPECT_TRUE(n == 2 || n == 3) << who << " " << n;
  EXPECT_TRUE(assign_pipelines({1}, {}).empty());
}

TEST(pipelines, assignment_keeps_pipelines_where_they_run) {
  // c ran 1 and 2 before a and b joined: it keeps its share (ceil(4/3) = 2).
  std::vector<member_state> m{{"a", "h:1", {}}, {"b", "h:2", {3}}, {"c", "h:3", {1, 2, 4}}};
  auto a = assign_pipelines({1, 2, 3, 4}, m);
  EXPECT_EQ(a[1], "c");
  EXPECT_EQ(a[2], "c");
  EXPECT_EQ(a[3], "b");
  EXPECT_EQ(a[4], "a");  // over c's share: moved to the least loaded
  // Two members claiming one pipeline (a rebalance raced a move): one gets it.
  auto twice = assign_pipelines({9}, {{"x", "h:1", {9}}, {"y", "h:2", {9}}});
  EXPECT_EQ(twice.size(), 1u);
}

TEST(pipelines, metadata_and_plan_round_trip_and_refuse_other_versions) {
  auto m = decode_member("id-1", encode_member({"ignored", "127.0.0.1:4566", {3, 9}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->member_id, "id-1");
  EXPECT_EQ(m->address, "127.0.0.1:4566");
  EXPECT_EQ(m->running, (std::vector<uint64_t>{3, 9}));
  EXPECT_FALSE(decode_member("x", R"({"version":2,"address":"a","running":[]})"));
  EXPECT_FALSE(decode_member("x", "not json"));

  group_plan p;
  p.generation = 4;
  p.leader = "id-1";
  p.address = {{"id-1", "h:1"}, {"id-2", "h:2"}};
  p.owner = {{1, "id-2"}, {7, "id-1"}};
  auto q = decode_plan(encode_plan(p));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->generation, 4);
  EXPECT_EQ(q->leader, "id-1");
  EXPECT_EQ(q->address, p.address);
  EXPECT_EQ(q->owner, p.owner);
  EXPECT_FALSE(decode_plan(R"({"version":1,"generation":"x"})"));
  EXPECT_FALSE(decode_plan("[]"));
}

}  // namespace
}  // namespace runnel::sql
