// pgoutput decoding, on bytes a real PostgreSQL 15.18 sent: captured with
//   SELECT encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes(
//     's', NULL, NULL, 'proto_version', '1', 'publication_names', 'p',
//     'messages', 'true')
// after CREATE TABLE public.items (id int PRIMARY KEY, name text,
// price numeric(10,2), big text), an insert, an update, an update of the
// key, a delete, a truncate and pg_logical_emit_message(true, 'runnel',
// 'hello'). tests/integration/test_postgres_cdc.py checks the same against
// a live server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "connect/postgres/pgoutput.h"

namespace runnel::connect::postgres {
namespace {

std::vector<std::byte> unhex(std::string_view hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <class T>
T decode_as(std::string_view hex) {
  auto bytes = unhex(hex);
  auto m = decode(bytes);
  EXPECT_TRUE(m.has_value()) << (m.has_value() ? "" : m.error().message);
  EXPECT_TRUE(std::holds_alternative<T>(m.value()));
  return std::get<T>(m.value());
}

constexpr std::string_view begin_hex = "420000000001526f98000304b828556e2f000002d6";
constexpr std::string_view relation_hex =
    "52000040007075626c6963006974656d73006400040169640000000017ffffffff006e616d650000000019ffff"
    "ffff00707269636500000006a4000a0006006269670000000019ffffffff";
constexpr std::string_view insert_hex =
    "49000040004e000474000000013174000000056170706c657400000004312e35306e";
constexpr std::string_view commit_hex = "43000000000001526f980000000001526fc8000304b828556e2f";
constexpr std::string_view update_hex =
    "55000040004e000474000000013174000000056170706c657400000004322e30306e";
constexpr std::string_view key_update_hex =
    "55000040004b00047400000001316e6e6e4e000474000000013274000000056170706c657400000004322e3030"
    "6e";
constexpr std::string_view delete_hex = "44000040004b00047400000001326e6e6e";
constexpr std::string_view truncate_hex = "54000000010000004000";
constexpr std::string_view message_hex = "4d010000000001527ec872756e6e656c000000000568656c6c6f";

TEST(Pgoutput, BeginAndCommit) {
  auto b = decode_as<begin_msg>(begin_hex);
  EXPECT_EQ(b.final_lsn.to_string(), "0/1526F98");
  EXPECT_EQ(b.xid, 726u);
  auto c = decode_as<commit_msg>(commit_hex);
  EXPECT_EQ(c.commit_lsn, b.final_lsn);
  EXPECT_EQ(c.end_lsn.to_string(), "0/1526FC8");
  EXPECT_EQ(c.commit_time.micros_since_2000, b.commit_time.micros_since_2000);
  // Captured on 2026-12-03: the commit time lands on that day.
  auto days = c.commit_time.unix_millis() / 86'400'000;
  EXPECT_EQ(days, 20'790);
}

TEST(Pgoutput, Relation) {
  auto r = decode_as<relation>(relation_hex);
  EXPECT_EQ(r.oid, 16384u);
  EXPECT_EQ(r.schema, "public");
  EXPECT_EQ(r.name, "items");
  EXPECT_EQ(r.identity, replica_identity::default_);
  ASSERT_EQ(r.columns.size(), 4u);
  EXPECT_EQ(r.columns[0].name, "id");
  EXPECT_TRUE(r.columns[0].part_of_key);
  EXPECT_EQ(r.columns[0].type_oid, 23u);  // int4
  EXPECT_EQ(r.columns[1].name, "name");
  EXPECT_FALSE(r.columns[1].part_of_key);
  EXPECT_EQ(r.columns[1].type_oid, 25u);    // text
  EXPECT_EQ(r.columns[2].type_oid, 1700u);  // numeric
  // numeric(10,2): ((10 << 16) | 2) + 4
  EXPECT_EQ(r.columns[2].type_modifier, (10 << 16) + 2 + 4);
  EXPECT_EQ(r.columns[3].type_modifier, -1);
}

TEST(Pgoutput, InsertCarriesTextAndNull) {
  auto i = decode_as<insert_msg>(insert_hex);
  EXPECT_EQ(i.relation_oid, 16384u);
  ASSERT_EQ(i.new_tuple.size(), 4u);
  EXPECT_EQ(i.new_tuple[0].what, value::kind::text);
  EXPECT_EQ(i.new_tuple[0].data, "1");
  EXPECT_EQ(i.new_tuple[1].data, "apple");
  EXPECT_EQ(i.new_tuple[2].data, "1.50");
  EXPECT_EQ(i.new_tuple[3].what, value::kind::null);
}

TEST(Pgoutput, UpdateWithAndWithoutTheOldKey) {
  auto u = decode_as<update_msg>(update_hex);
  EXPECT_FALSE(u.old_tuple.has_value());
  EXPECT_EQ(u.new_tuple[2].data, "2.00");

  auto k = decode_as<update_msg>(key_update_hex);
  EXPECT_EQ(k.old_kind, 'K');
  ASSERT_TRUE(k.old_tuple.has_value());
  EXPECT_EQ((*k.old_tuple)[0].data, "1");
  // Only key columns are sent in a 'K' tuple; the others are nulls.
  EXPECT_EQ((*k.old_tuple)[1].what, value::kind::null);
  EXPECT_EQ(k.new_tuple[0].data, "2");
}

TEST(Pgoutput, DeleteTruncateAndLogicalMessage) {
  auto d = decode_as<delete_msg>(delete_hex);
  EXPECT_EQ(d.old_kind, 'K');
  EXPECT_EQ(d.old_tuple[0].data, "2");

  auto t = decode_as<truncate_msg>(truncate_hex);
  EXPECT_EQ(t.relation_oids, std::vector<std::uint32_t>{16384u});
  EXPECT_FALSE(t.cascade);
  EXPECT_FALSE(t.restart_identity);

  auto m = decode_as<logical_msg>(message_hex);
  EXPECT_TRUE(m.transactional);
  EXPECT_EQ(m.prefix, "runnel");
  EXPECT_EQ(m.content, "hello");
  EXPECT_EQ(m.message_lsn.to_string(), "0/1527EC8");
}

TEST(Pgoutput, EveryTruncationIsAnErrorNotACrash) {
  for (auto hex : {begin_hex, relation_hex, insert_hex, commit_hex, key_update_hex, delete_hex,
                   truncate_hex, message_hex}) {
    auto bytes = unhex(hex);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto m = decode(std::span(bytes.data(), n));
      EXPECT_FALSE(m.has_value()) << hex << " cut at " << n;
      if (!m.has_value()) {
        EXPECT_EQ(m.error().kind, errc::data);
      }
    }
  }
}

TEST(Pgoutput, TrailingBytesAndUnknownTypesAreRefused) {
  auto bytes = unhex(delete_hex);
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(decode(bytes).has_value());
  auto unknown = unhex("5a00");
  auto m = decode(unknown);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("unknown message type 'Z'"), std::string::npos);
}

TEST(Pgoutput, LsnTextForm) {
  EXPECT_EQ(lsn{0x16B374D848}.to_string(), "16/B374D848");
  EXPECT_EQ(lsn::parse("16/B374D848"), lsn{0x16B374D848});
  EXPECT_EQ(lsn::parse("0/0"), lsn{0});
  EXPECT_FALSE(lsn::parse("16B374D848").has_value());
  EXPECT_FALSE(lsn::parse("1/").has_value());
  EXPECT_FALSE(lsn::parse("x/1").has_value());
}

TEST(Pgoutput, RelationCacheKeepsTheLatestDefinition) {
  relation_cache cache;
  EXPECT_EQ(cache.find(1), nullptr);
  cache.put(relation{.oid = 1, .schema = "public", .name = "a"});
  cache.put(relation{.oid = 1, .schema = "public", .name = "b"});
  ASSERT_NE(cache.find(1), nullptr);
  EXPECT_EQ(cache.find(1)->name, "b");
}

}  // namespace
}  // namespace runnel::connect::postgres
