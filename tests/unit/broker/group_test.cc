// The I/O-free rules of a consumer group (group.h): protocol agreement and
// voting, who has rejoined, leadership on removal, subscriptions.
#include "broker/group.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

namespace runnel::broker {
namespace {

std::vector<std::byte> sub(std::vector<std::string> topics) {
  std::vector<std::byte> out{std::byte(0), std::byte(1)};  // version 1
  auto i32 = [&](int32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(std::byte((v >> s) & 0xff));
  };
  i32(int32_t(topics.size()));
  for (auto& t : topics) {
    out.push_back(std::byte(0));
    out.push_back(std::byte(t.size()));
    for (char c : t) out.push_back(std::byte(c));
  }
  i32(-1);  // user data
  i32(0);   // owned partitions (v1)
  return out;
}

class GroupTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  group g{"g", io.get_executor(), 1};

  group_member& add(std::string id, protocol_list protocols,
                    std::optional<std::string> instance = std::nullopt) {
    auto m = std::make_unique<group_member>();
    m->id = id;
    m->instance_id = instance;
    m->protocol_type = "consumer";
    m->protocols = std::move(protocols);
    auto& ref = *m;
    g.add(std::move(m));
    return ref;
  }
};

TEST_F(GroupTest, FirstMemberSetsTypeAndLeads) {
  EXPECT_TRUE(g.supports_protocols("consumer", {{"range", {}}}));
  EXPECT_FALSE(g.supports_protocols("", {{"range", {}}}));
  EXPECT_FALSE(g.supports_protocols("consumer", {}));
  add("a", {{"range", {}}});
  EXPECT_EQ(g.protocol_type, "consumer");
  EXPECT_EQ(g.leader, "a");
  EXPECT_FALSE(g.supports_protocols("connect", {{"range", {}}}));
  EXPECT_FALSE(g.supports_protocols("consumer", {{"sticky", {}}}));
  EXPECT_TRUE(g.supports_protocols("consumer", {{"sticky", {}}, {"range", {}}}));
}

TEST_F(GroupTest, SelectProtocolByVotesAmongCommonOnes) {
  add("a", {{"roundrobin", {}}, {"range", {}}, {"sticky", {}}});
  add("b", {{"range", {}}, {"roundrobin", {}}});
  add("c", {{"range", {}}, {"roundrobin", {}}});
  EXPECT_EQ(g.select_protocol(), "range");  // sticky is not common; range 2 votes to 1
}

TEST_F(GroupTest, AllJoinedNeedsEveryMemberAndNoPending) {
  auto& a = add("a", {{"range", {}}});
  auto& b = add("b", {{"range", {}}});
  EXPECT_FALSE(g.all_members_joined());
  a.awaiting_join = std::make_shared<completion<join_outcome>>(io.get_executor());
  EXPECT_FALSE(g.all_members_joined());
  b.awaiting_join = std::make_shared<completion<join_outcome>>(io.get_executor());
  EXPECT_TRUE(g.all_members_joined());
  g.pending_members["p"] = std::make_unique<asio::steady_timer>(io);
  EXPECT_FALSE(g.all_members_joined());
}

TEST_F(GroupTest, RemovingTheLeaderPassesLeadershipOn) {
  add("a", {{"range", {}}}, "inst-a");
  add("b", {{"range", {}}});
  EXPECT_EQ(g.static_member_id(std::string("inst-a")), "a");
  EXPECT_TRUE(g.static_member_fenced("old", std::string("inst-a")));
  EXPECT_FALSE(g.static_member_fenced("a", std::string("inst-a")));
  EXPECT_TRUE(g.remove("a"));
  EXPECT_EQ(g.leader, "b");
  EXPECT_FALSE(g.static_member_id(std::string("inst-a")));
  EXPECT_TRUE(g.remove("b"));
  EXPECT_FALSE(g.leader);
  EXPECT_FALSE(g.remove("b"));
}

TEST_F(GroupTest, SubscribedTopicsFromConsumerMetadata) {
  add("a", {{"range", sub({"orders", "users"})}});
  add("b", {{"range", sub({"orders"})}});
  g.protocol_name = "range";
  g.subscribed_topics = g.compute_subscribed_topics();
  EXPECT_TRUE(g.is_subscribed("orders"));
  EXPECT_TRUE(g.is_subscribed("users"));
  EXPECT_FALSE(g.is_subscribed("other"));
  // Metadata that does not parse: subscriptions unknown.
  add("c", {{"range", {std::byte(0)}}});
  EXPECT_FALSE(g.compute_subscribed_topics());
}

TEST(GroupState, NamesParseCaseInsensitively) {
  EXPECT_EQ(state_name(group_state::completing_rebalance), "CompletingRebalance");
  EXPECT_EQ(parse_state("stable"), group_state::stable);
  EXPECT_EQ(parse_state("PREPARINGREBALANCE"), group_state::preparing_rebalance);
  EXPECT_FALSE(parse_state("Rebalancing"));
}

}  // namespace
}  // namespace runnel::broker
