// Kafka Connect's group protocol "default" (v0) byte for byte, and the
// round-robin assignment the leader computes from it.
#include "connect/distributed/connect_protocol.h"

#include <gtest/gtest.h>

#include <cstring>

namespace runnel::connect {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(std::byte(b));
  return out;
}

TEST(ConnectProtocol, MemberMetadataIsJavasConnectProtocolV0) {
  // version 0, url "http://a:1/" (int16 length), config offset 5.
  auto m = encode_member_metadata("http://a:1/", 5);
  auto want = bytes(
      {0, 0, 0, 11, 'h', 't', 't', 'p', ':', '/', '/', 'a', ':', '1', '/', 0, 0, 0, 0, 0, 0, 0, 5});
  EXPECT_EQ(m, want);
  auto back = decode_member_metadata("m-1", m);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->member_id, "m-1");
  EXPECT_EQ(back->url, "http://a:1/");
  EXPECT_EQ(back->config_offset, 5);
}

TEST(ConnectProtocol, AssignmentListsConnectorsAsTaskMinusOne) {
  work_assignment a;
  a.leader = "http://l:2/";
  a.config_offset = 7;
  a.connectors = {"c"};
  a.tasks = {{"c", 0}};
  auto enc = encode_assignment(a, "L");
  auto want =
      bytes({0,    0,                                                              // version
             0,    0,                                                              // error
             0,    1,    'L',                                                      // leader id
             0,    11,   'h',  't',  't', 'p', ':', '/', '/', 'l', ':', '2', '/',  // leader url
             0,    0,    0,    0,    0,   0,   0,   7,                             // config offset
             0,    0,    0,    1,                                                  // one connector
             0,    1,    'c',  0,    0,   0,   2,  // "c": two entries
             0xff, 0xff, 0xff, 0xff,               // -1: the connector
             0,    0,    0,    0});                // task 0
  EXPECT_EQ(enc, want);
  auto back = decode_assignment(enc, 3);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->second, "L");
  EXPECT_EQ(back->first.generation, 3);
  EXPECT_EQ(back->first.leader, "http://l:2/");
  EXPECT_EQ(back->first.config_offset, 7);
  EXPECT_EQ(back->first.connectors, std::set<std::string>{"c"});
  EXPECT_EQ(back->first.tasks, (std::set<task_id>{{"c", 0}}));
}

TEST(ConnectProtocol, TruncatedOrErrorAssignmentsAreRefused) {
  work_assignment a;
  a.connectors = {"c"};
  auto enc = encode_assignment(a, "L");
  for (size_t n = 0; n < enc.size(); ++n) {
    std::vector<std::byte> cut(enc.begin(), enc.begin() + long(n));
    EXPECT_FALSE(decode_assignment(cut, 1)) << n;
  }
  EXPECT_FALSE(decode_assignment(encode_assignment(a, "L", 1), 1));  // CONFIG_MISMATCH
}

TEST(ConnectProtocol, RoundRobinSpreadsConnectorsThenTasks) {
  config_snapshot snap;
  snap.offset = 9;
  snap.connectors["a"].tasks.resize(2);
  snap.connectors["b"].tasks.resize(1);
  snap.connectors["s"].target = target_state::stopped;
  snap.connectors["s"].tasks.resize(1);  // stopped: its tasks run nowhere
  std::vector<member_info> members{{"m2", "http://2/", 0}, {"m1", "http://1/", 0}};
  auto plan = round_robin_assignment(snap, members, 4, "http://1/");
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan["m1"].connectors, (std::set<std::string>{"a", "s"}));
  EXPECT_EQ(plan["m2"].connectors, (std::set<std::string>{"b"}));
  EXPECT_EQ(plan["m2"].tasks, (std::set<task_id>{{"a", 0}, {"b", 0}}));
  EXPECT_EQ(plan["m1"].tasks, (std::set<task_id>{{"a", 1}}));
  EXPECT_EQ(plan["m1"].config_offset, 9);
}

}  // namespace
}  // namespace runnel::connect
