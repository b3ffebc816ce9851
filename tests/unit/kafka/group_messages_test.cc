// Consumer-group API codecs (FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups,
// OffsetCommit, OffsetFetch, OffsetDelete).
//
// Three kinds of check:
//  - every message at every version in api.h round-trips a struct with a
//    non-default value in each field present at that version, consumes all
//    bytes, and fails on every strict prefix;
//  - a struct with every field of every version populated, encoded at v,
//    decodes to the struct populated for v. The makers
//    below encode the spec's version ranges independently of the codecs, so
//    a codec that sends a field at the wrong version fails here even though
//    its own round trip is symmetric;
//  - golden bytes written by hand from the spec, for the mistakes no round
//    trip can see (field order, classic vs compact widths).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "kafka/api.h"
#include "kafka/header.h"
#include "kafka/messages/delete_groups.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/heartbeat.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/list_groups.h"
#include "kafka/messages/offset_commit.h"
#include "kafka/messages/offset_delete.h"
#include "kafka/messages/offset_fetch.h"
#include "kafka/messages/sync_group.h"
#include "kafka/wire.h"
#include "message_checks.h"

namespace runnel::kafka {
namespace {

using namespace checks;

// Whether a field present in versions [from, to] is there at v.
bool has(int16_t v, int from, int to = 0x7fff) {
  return v == every_version || (v >= from && v <= to);
}

// Runs both checks for one message type at every version api.h advertises.
template <class M>
void expect_all_versions(api_key k, const std::function<M(int16_t)>& make) {
  const api_info& a = api(k);
  const M everything = make(every_version);
  for (int16_t v = a.min_version; v <= a.max_version; ++v) {
    expect_round_trip(make(v), k, v);
    SCOPED_TRACE(std::string(a.name) + " all-fields struct at v" + std::to_string(v));
    std::vector<std::byte> buf = encode(everything, k, v);
    reader r(buf);
    M got;
    ASSERT_TRUE(decode_body(r, got, v, a.flexible(v)));
    EXPECT_TRUE(got == make(v));
  }
}

// Checks `m` encodes to exactly `want` at `v`, and `want` decodes to `m`.
template <class M>
void expect_golden(const M& m, api_key k, int16_t v, std::vector<std::byte> want) {
  SCOPED_TRACE(std::string(api(k).name) + " v" + std::to_string(v));
  EXPECT_EQ(encode(m, k, v), want);
  reader r(want);
  M got;
  ASSERT_TRUE(decode_body(r, got, v, api(k).flexible(v)));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(got == m);
}

// ---- makers: a non-default value in every field present at v ----

find_coordinator_request make_find_coordinator_request(int16_t v) {
  find_coordinator_request m;
  if (has(v, 0, 3)) m.key = "group-a";
  if (has(v, 1)) m.key_type = 1;
  if (has(v, 4)) m.coordinator_keys = {"group-a", "group-b", ""};
  return m;
}

find_coordinator_response make_find_coordinator_response(int16_t v) {
  find_coordinator_response m;
  if (has(v, 1)) m.throttle_time_ms = 12;
  if (has(v, 0, 3)) {
    m.error_code = 15;
    if (has(v, 1)) m.error_message = "not available";
    m.node_id = 3;
    m.host = "broker-3";
    m.port = 9093;
  }
  if (has(v, 4)) {
    m.coordinators = {{"group-a", 1, "broker-1", 9091, 0, "ok"},
                      {"group-b", 2, "broker-2", 9092, 16, "not coordinator"}};
  }
  return m;
}

join_group_request make_join_group_request(int16_t v) {
  join_group_request m;
  m.group_id = "group-a";
  m.session_timeout_ms = 45000;
  if (has(v, 1)) m.rebalance_timeout_ms = 300000;
  m.member_id = "member-1";
  if (has(v, 5)) m.group_instance_id = "instance-1";
  m.protocol_type = "consumer";
  m.protocols = {{"range", bytes_of({0, 1, 2})}, {"roundrobin", bytes_of({9})}};
  return m;
}

join_group_response make_join_group_response(int16_t v) {
  join_group_response m;
  if (has(v, 2)) m.throttle_time_ms = 7;
  m.error_code = 27;
  m.generation_id = 4;
  if (has(v, 7)) m.protocol_type = "consumer";
  m.protocol_name = "range";
  m.leader = "member-1";
  m.member_id = "member-2";
  m.members = {{"member-1", std::nullopt, bytes_of({1, 2})},
               {"member-2", std::nullopt, bytes_of({3})}};
  if (has(v, 5)) m.members[0].group_instance_id = "instance-1";
  if (has(v, 5)) m.members[1].group_instance_id = "instance-2";
  return m;
}

sync_group_request make_sync_group_request(int16_t v) {
  sync_group_request m;
  m.group_id = "group-a";
  m.generation_id = 4;
  m.member_id = "member-1";
  if (has(v, 3)) m.group_instance_id = "instance-1";
  if (has(v, 5)) m.protocol_type = "consumer";
  if (has(v, 5)) m.protocol_name = "range";
  m.assignments = {{"member-1", bytes_of({0, 1})}, {"member-2", bytes_of({2})}};
  return m;
}

sync_group_response make_sync_group_response(int16_t v) {
  sync_group_response m;
  if (has(v, 1)) m.throttle_time_ms = 8;
  m.error_code = 22;
  if (has(v, 5)) m.protocol_type = "consumer";
  if (has(v, 5)) m.protocol_name = "range";
  m.assignment = bytes_of({0, 1, 0, 0, 0, 0});
  return m;
}

heartbeat_request make_heartbeat_request(int16_t v) {
  heartbeat_request m;
  m.group_id = "group-a";
  m.generation_id = 4;
  m.member_id = "member-1";
  if (has(v, 3)) m.group_instance_id = "instance-1";
  return m;
}

heartbeat_response make_heartbeat_response(int16_t v) {
  heartbeat_response m;
  if (has(v, 1)) m.throttle_time_ms = 9;
  m.error_code = 27;
  return m;
}

leave_group_request make_leave_group_request(int16_t v) {
  leave_group_request m;
  m.group_id = "group-a";
  if (has(v, 0, 2)) m.member_id = "member-1";
  if (has(v, 3)) m.members = {{"member-1", "instance-1"}, {"member-2", std::nullopt}};
  return m;
}

leave_group_response make_leave_group_response(int16_t v) {
  leave_group_response m;
  if (has(v, 1)) m.throttle_time_ms = 10;
  m.error_code = 25;
  if (has(v, 3)) m.members = {{"member-1", "instance-1", 25}, {"member-2", std::nullopt, 82}};
  return m;
}

describe_groups_request make_describe_groups_request(int16_t v) {
  describe_groups_request m;
  m.groups = {"group-a", "group-b"};
  if (has(v, 3)) m.include_authorized_operations = true;
  return m;
}

describe_groups_response make_describe_groups_response(int16_t v) {
  describe_groups_response m;
  if (has(v, 1)) m.throttle_time_ms = 11;
  describe_groups_response::member mem;
  mem.member_id = "member-1";
  if (has(v, 4)) mem.group_instance_id = "instance-1";
  mem.client_id = "client-1";
  mem.client_host = "/10.0.0.1";
  mem.member_metadata = bytes_of({0, 1, 2});
  mem.member_assignment = bytes_of({3, 4});
  describe_groups_response::described_group g;
  g.error_code = 29;
  g.group_id = "group-a";
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "range";
  g.members = {mem};
  if (has(v, 3)) g.authorized_operations = 0x0f00;
  m.groups = {g, {}};
  m.groups[1].group_id = "group-b";
  m.groups[1].error_code = 69;
  if (has(v, 3)) m.groups[1].authorized_operations = 0;
  return m;
}

list_groups_request make_list_groups_request(int16_t v) {
  list_groups_request m;
  if (has(v, 4)) m.states_filter = {"Stable", "Empty"};
  return m;
}

list_groups_response make_list_groups_response(int16_t v) {
  list_groups_response m;
  if (has(v, 1)) m.throttle_time_ms = 13;
  m.error_code = 14;
  m.groups = {{"group-a", "consumer", ""}, {"group-b", "connect", ""}};
  if (has(v, 4)) m.groups[0].group_state = "Stable";
  if (has(v, 4)) m.groups[1].group_state = "Empty";
  return m;
}

delete_groups_request make_delete_groups_request(int16_t) {
  delete_groups_request m;
  m.groups_names = {"group-a", "group-b"};
  return m;
}

delete_groups_response make_delete_groups_response(int16_t) {
  delete_groups_response m;
  m.throttle_time_ms = 14;
  m.results = {{"group-a", 0}, {"group-b", 68}};
  return m;
}

offset_commit_request make_offset_commit_request(int16_t v) {
  offset_commit_request m;
  m.group_id = "group-a";
  if (has(v, 1)) m.generation_id_or_member_epoch = 4;
  if (has(v, 1)) m.member_id = "member-1";
  if (has(v, 7)) m.group_instance_id = "instance-1";
  if (has(v, 2, 4)) m.retention_time_ms = 86400000;
  offset_commit_request::partition p0;
  p0.partition_index = 0;
  p0.committed_offset = 1234567890123;
  if (has(v, 6)) p0.committed_leader_epoch = 5;
  if (has(v, 1, 1)) p0.commit_timestamp = 1700000000000;
  p0.committed_metadata = "meta";
  offset_commit_request::partition p1 = p0;
  p1.partition_index = 7;
  p1.committed_metadata = std::nullopt;
  m.topics = {{"topic-a", {p0, p1}}, {"topic-b", {p0}}};
  return m;
}

offset_commit_response make_offset_commit_response(int16_t v) {
  offset_commit_response m;
  if (has(v, 3)) m.throttle_time_ms = 15;
  m.topics = {{"topic-a", {{0, 0}, {7, 12}}}, {"topic-b", {{1, 25}}}};
  return m;
}

offset_fetch_request make_offset_fetch_request(int16_t v) {
  offset_fetch_request m;
  m.group_id = "group-a";
  m.topics = std::vector<offset_fetch_request::topic>{{"topic-a", {0, 1, 2}}, {"topic-b", {5}}};
  if (has(v, 7)) m.require_stable = true;
  return m;
}

offset_fetch_response make_offset_fetch_response(int16_t v) {
  offset_fetch_response m;
  if (has(v, 3)) m.throttle_time_ms = 16;
  offset_fetch_response::partition p;
  p.partition_index = 2;
  p.committed_offset = 99;
  if (has(v, 5)) p.committed_leader_epoch = 3;
  p.metadata = "meta";
  p.error_code = 88;
  m.topics = {{"topic-a", {p}}, {"topic-b", {}}};
  if (has(v, 2)) m.error_code = 16;
  return m;
}

offset_delete_request make_offset_delete_request(int16_t) {
  offset_delete_request m;
  m.group_id = "group-a";
  m.topics = {{"topic-a", {{0}, {3}}}, {"topic-b", {{1}}}};
  return m;
}

offset_delete_response make_offset_delete_response(int16_t) {
  offset_delete_response m;
  m.error_code = 30;
  m.throttle_time_ms = 17;
  m.topics = {{"topic-a", {{0, 0}, {3, 86}}}, {"topic-b", {{1, 3}}}};
  return m;
}

// ---- every version ----

TEST(group_messages, find_coordinator_every_version) {
  expect_all_versions<find_coordinator_request>(api_key::find_coordinator,
                                                make_find_coordinator_request);
  expect_all_versions<find_coordinator_response>(api_key::find_coordinator,
                                                 make_find_coordinator_response);
}

TEST(group_messages, join_group_every_version) {
  expect_all_versions<join_group_request>(api_key::join_group, make_join_group_request);
  expect_all_versions<join_group_response>(api_key::join_group, make_join_group_response);
}

TEST(group_messages, sync_group_every_version) {
  expect_all_versions<sync_group_request>(api_key::sync_group, make_sync_group_request);
  expect_all_versions<sync_group_response>(api_key::sync_group, make_sync_group_response);
}

TEST(group_messages, heartbeat_every_version) {
  expect_all_versions<heartbeat_request>(api_key::heartbeat, make_heartbeat_request);
  expect_all_versions<heartbeat_response>(api_key::heartbeat, make_heartbeat_response);
}

TEST(group_messages, leave_group_every_version) {
  expect_all_versions<leave_group_request>(api_key::leave_group, make_leave_group_request);
  expect_all_versions<leave_group_response>(api_key::leave_group, make_leave_group_response);
}

TEST(group_messages, describe_groups_every_version) {
  expect_all_versions<describe_groups_request>(api_key::describe_groups,
                                               make_describe_groups_request);
  expect_all_versions<describe_groups_response>(api_key::describe_groups,
                                                make_describe_groups_response);
}

TEST(group_messages, list_groups_every_version) {
  expect_all_versions<list_groups_request>(api_key::list_groups, make_list_groups_request);
  expect_all_versions<list_groups_response>(api_key::list_groups, make_list_groups_response);
}

TEST(group_messages, delete_groups_every_version) {
  expect_all_versions<delete_groups_request>(api_key::delete_groups, make_delete_groups_request);
  expect_all_versions<delete_groups_response>(api_key::delete_groups, make_delete_groups_response);
}

TEST(group_messages, offset_commit_every_version) {
  expect_all_versions<offset_commit_request>(api_key::offset_commit, make_offset_commit_request);
  expect_all_versions<offset_commit_response>(api_key::offset_commit, make_offset_commit_response);
}

TEST(group_messages, offset_fetch_every_version) {
  expect_all_versions<offset_fetch_request>(api_key::offset_fetch, make_offset_fetch_request);
  expect_all_versions<offset_fetch_response>(api_key::offset_fetch, make_offset_fetch_response);
}

TEST(group_messages, offset_delete_every_version) {
  expect_all_versions<offset_delete_request>(api_key::offset_delete, make_offset_delete_request);
  expect_all_versions<offset_delete_response>(api_key::offset_delete, make_offset_delete_response);
}

// ---- nulls, where the spec allows them ----

TEST(group_messages, nullable_fields_round_trip_as_null) {
  for (int16_t v = 1; v <= 3; ++v) {
    auto m = make_find_coordinator_response(v);
    m.error_message = std::nullopt;
    expect_round_trip(m, api_key::find_coordinator, v);
  }
  {
    auto m = make_find_coordinator_response(4);
    m.coordinators[0].error_message = std::nullopt;
    expect_round_trip(m, api_key::find_coordinator, 4);
  }
  for (int16_t v = 5; v <= 7; ++v) {
    auto req = make_join_group_request(v);
    req.group_instance_id = std::nullopt;
    expect_round_trip(req, api_key::join_group, v);
  }
  {
    auto resp = make_join_group_response(7);
    resp.protocol_type = std::nullopt;
    resp.protocol_name = std::nullopt;
    expect_round_trip(resp, api_key::join_group, 7);
  }
  for (int16_t v = 3; v <= 5; ++v) {
    auto req = make_sync_group_request(v);
    req.group_instance_id = std::nullopt;
    req.protocol_type = std::nullopt;
    req.protocol_name = std::nullopt;
    expect_round_trip(req, api_key::sync_group, v);
  }
  for (int16_t v = 3; v <= 4; ++v) {
    auto hb = make_heartbeat_request(v);
    hb.group_instance_id = std::nullopt;
    expect_round_trip(hb, api_key::heartbeat, v);
  }
  for (int16_t v = 2; v <= 7; ++v) {
    auto req = make_offset_fetch_request(v);
    req.topics = std::nullopt;  // all topics
    expect_round_trip(req, api_key::offset_fetch, v);
    auto resp = make_offset_fetch_response(v);
    resp.topics[0].partitions[0].metadata = std::nullopt;
    expect_round_trip(resp, api_key::offset_fetch, v);
  }
}

// Versions that cannot express null send the spec's stand-in instead.
TEST(group_messages, null_is_sent_as_empty_where_the_version_cannot_say_null) {
  join_group_response resp;
  resp.protocol_name = std::nullopt;
  // v0: error_code, generation_id, protocol_name "", leader "", member_id "", members [].
  EXPECT_EQ(encode(resp, api_key::join_group, 0),
            bytes_of({0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  offset_fetch_request req;
  req.group_id = "g";
  req.topics = std::nullopt;
  // v1: group_id "g", topics [] (int32 count 0, not -1).
  EXPECT_EQ(encode(req, api_key::offset_fetch, 1), bytes_of({0, 1, 'g', 0, 0, 0, 0}));
}

// ---- golden bytes, derived by hand from the JSON schemas ----

TEST(group_messages, join_group_request_v5_golden) {
  // v5: classic encoding; group_instance_id present and nullable.
  join_group_request m;
  m.group_id = "g";
  m.session_timeout_ms = 30000;
  m.rebalance_timeout_ms = 60000;
  m.member_id = "";
  m.group_instance_id = std::nullopt;
  m.protocol_type = "consumer";
  m.protocols = {{"range", bytes_of({1, 2})}};
  expect_golden(m, api_key::join_group, 5,
                cat({bytes_of({0, 1, 'g'}),                // group_id: int16 length
                     bytes_of({0, 0, 0x75, 0x30}),         // session_timeout_ms 30000
                     bytes_of({0, 0, 0xea, 0x60}),         // rebalance_timeout_ms 60000
                     bytes_of({0, 0}),                     // member_id ""
                     bytes_of({0xff, 0xff}),               // group_instance_id null
                     bytes_of({0, 8}), ascii("consumer"),  // protocol_type
                     bytes_of({0, 0, 0, 1}),               // protocols: int32 count
                     bytes_of({0, 5}), ascii("range"),     // name
                     bytes_of({0, 0, 0, 2, 1, 2})}));      // metadata: int32 length
}

TEST(group_messages, join_group_request_v6_golden) {
  // v6: first flexible version; compact lengths are length+1 varints.
  join_group_request m;
  m.group_id = "g";
  m.session_timeout_ms = 30000;
  m.rebalance_timeout_ms = 60000;
  m.member_id = "m";
  m.group_instance_id = "i";
  m.protocol_type = "consumer";
  m.protocols = {{"range", bytes_of({1, 2})}};
  expect_golden(m, api_key::join_group, 6,
                cat({bytes_of({2, 'g'}),                // group_id
                     bytes_of({0, 0, 0x75, 0x30}),      // session_timeout_ms
                     bytes_of({0, 0, 0xea, 0x60}),      // rebalance_timeout_ms
                     bytes_of({2, 'm'}),                // member_id
                     bytes_of({2, 'i'}),                // group_instance_id
                     bytes_of({9}), ascii("consumer"),  // protocol_type
                     bytes_of({2}),                     // protocols: 1 element
                     bytes_of({6}), ascii("range"),     // name
                     bytes_of({3, 1, 2}),               // metadata
                     bytes_of({0}),                     // protocol tags
                     bytes_of({0})}));                  // request tags
}

TEST(group_messages, join_group_response_v7_golden) {
  // v7 adds protocol_type before protocol_name, both nullable.
  join_group_response m;
  m.throttle_time_ms = 0;
  m.error_code = 0;
  m.generation_id = 5;
  m.protocol_type = "consumer";
  m.protocol_name = std::nullopt;
  m.leader = "m";
  m.member_id = "m";
  m.members = {{"m", std::nullopt, {}}};
  expect_golden(m, api_key::join_group, 7,
                cat({bytes_of({0, 0, 0, 0}),            // throttle_time_ms
                     bytes_of({0, 0}),                  // error_code
                     bytes_of({0, 0, 0, 5}),            // generation_id
                     bytes_of({9}), ascii("consumer"),  // protocol_type
                     bytes_of({0}),                     // protocol_name null
                     bytes_of({2, 'm'}),                // leader
                     bytes_of({2, 'm'}),                // member_id
                     bytes_of({2}),                     // members: 1 element
                     bytes_of({2, 'm'}),                // member_id
                     bytes_of({0}),                     // group_instance_id null
                     bytes_of({1}),                     // metadata: empty
                     bytes_of({0}),                     // member tags
                     bytes_of({0})}));                  // response tags
}

TEST(group_messages, offset_commit_request_v2_golden) {
  // v2: retention_time_ms present; no leader epoch, no commit timestamp.
  offset_commit_request m;
  m.group_id = "g";
  m.generation_id_or_member_epoch = 3;
  m.member_id = "m";
  m.retention_time_ms = -1;
  m.topics = {{"t", {{0, 100, -1, -1, std::nullopt}}}};
  expect_golden(m, api_key::offset_commit, 2,
                cat({bytes_of({0, 1, 'g'}),                                       // group_id
                     bytes_of({0, 0, 0, 3}),                                      // generation_id
                     bytes_of({0, 1, 'm'}),                                       // member_id
                     bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),  // retention
                     bytes_of({0, 0, 0, 1}),                                      // topics
                     bytes_of({0, 1, 't'}),                                       // name
                     bytes_of({0, 0, 0, 1}),                                      // partitions
                     bytes_of({0, 0, 0, 0}),                                      // partition_index
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 100}),  // committed_offset
                     bytes_of({0xff, 0xff})}));             // metadata null
}

TEST(group_messages, offset_commit_request_v8_golden) {
  // v8: flexible; group_instance_id (v7+) and leader epoch (v6+), no retention.
  offset_commit_request m;
  m.group_id = "g";
  m.generation_id_or_member_epoch = 3;
  m.member_id = "m";
  m.group_instance_id = std::nullopt;
  m.topics = {{"t", {{0, 100, 7, -1, "x"}}}};
  expect_golden(m, api_key::offset_commit, 8,
                cat({bytes_of({2, 'g'}),                    // group_id
                     bytes_of({0, 0, 0, 3}),                // generation_id
                     bytes_of({2, 'm'}),                    // member_id
                     bytes_of({0}),                         // group_instance_id null
                     bytes_of({2}),                         // topics
                     bytes_of({2, 't'}),                    // name
                     bytes_of({2}),                         // partitions
                     bytes_of({0, 0, 0, 0}),                // partition_index
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 100}),  // committed_offset
                     bytes_of({0, 0, 0, 7}),                // committed_leader_epoch
                     bytes_of({2, 'x'}),                    // committed_metadata
                     bytes_of({0, 0, 0})}));                // partition, topic, request tags
}

TEST(group_messages, find_coordinator_v0_and_v4_golden) {
  find_coordinator_request v0;
  v0.key = "a";
  expect_golden(v0, api_key::find_coordinator, 0, bytes_of({0, 1, 'a'}));

  // v4: no key; key_type then the compact array of keys.
  find_coordinator_request req;
  req.key_type = 0;
  req.coordinator_keys = {"a", "b"};
  expect_golden(req, api_key::find_coordinator, 4,
                cat({bytes_of({0}),                                 // key_type
                     bytes_of({3}),                                 // coordinator_keys: 2 elements
                     bytes_of({2, 'a', 2, 'b'}), bytes_of({0})}));  // tags

  // v4: throttle then the coordinators array; no top-level error/node/host/port.
  find_coordinator_response resp;
  resp.throttle_time_ms = 0;
  resp.coordinators = {{"a", 1, "h", 9092, 0, std::nullopt}};
  expect_golden(resp, api_key::find_coordinator, 4,
                cat({bytes_of({0, 0, 0, 0}),        // throttle_time_ms
                     bytes_of({2}),                 // coordinators: 1 element
                     bytes_of({2, 'a'}),            // key
                     bytes_of({0, 0, 0, 1}),        // node_id
                     bytes_of({2, 'h'}),            // host
                     bytes_of({0, 0, 0x23, 0x84}),  // port 9092
                     bytes_of({0, 0}),              // error_code
                     bytes_of({0}),                 // error_message null
                     bytes_of({0}),                 // coordinator tags
                     bytes_of({0})}));              // response tags
}

TEST(group_messages, offset_fetch_response_v2_golden) {
  // The group-level error_code (v2+) comes after the topics array.
  offset_fetch_response m;
  m.topics = {{"t", {{0, 5, -1, "", 0}}}};
  m.error_code = 16;
  expect_golden(m, api_key::offset_fetch, 2,
                cat({bytes_of({0, 0, 0, 1}),              // topics
                     bytes_of({0, 1, 't'}),               // name
                     bytes_of({0, 0, 0, 1}),              // partitions
                     bytes_of({0, 0, 0, 0}),              // partition_index
                     bytes_of({0, 0, 0, 0, 0, 0, 0, 5}),  // committed_offset
                     bytes_of({0, 0}),                    // metadata ""
                     bytes_of({0, 0}),                    // partition error_code
                     bytes_of({0, 16})}));                // group error_code
}

TEST(group_messages, offset_delete_response_golden) {
  // error_code before throttle_time_ms, unlike the other responses.
  offset_delete_response m;
  m.error_code = 0;
  m.throttle_time_ms = 100;
  m.topics = {{"t", {{2, 3}}}};
  expect_golden(m, api_key::offset_delete, 0,
                cat({bytes_of({0, 0}),          // error_code
                     bytes_of({0, 0, 0, 100}),  // throttle_time_ms
                     bytes_of({0, 0, 0, 1}),    // topics
                     bytes_of({0, 1, 't'}),     // name
                     bytes_of({0, 0, 0, 1}),    // partitions
                     bytes_of({0, 0, 0, 2}),    // partition_index
                     bytes_of({0, 3})}));       // error_code
}

TEST(group_messages, leave_group_v3_request_golden) {
  // v3 drops the single member_id for the members batch (still classic).
  leave_group_request m;
  m.group_id = "g";
  m.members = {{"m", "i"}};
  expect_golden(m, api_key::leave_group, 3,
                cat({bytes_of({0, 1, 'g'}),     // group_id
                     bytes_of({0, 0, 0, 1}),    // members
                     bytes_of({0, 1, 'm'}),     // member_id
                     bytes_of({0, 1, 'i'})}));  // group_instance_id
}

}  // namespace
}  // namespace runnel::kafka
