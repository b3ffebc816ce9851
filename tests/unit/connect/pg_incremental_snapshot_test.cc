// Incremental snapshots of the PostgreSQL CDC connector, the parts without
// a server: the progress in the source offset (Debezium's keys), the
// signals' data, table names, the chunk's SQL and the config keys. The
// watermark algorithm itself runs against a real PostgreSQL in
// tests/integration/test_postgres_incremental_snapshot.py.
#include <gtest/gtest.h>

#include "connect/postgres/cdc_offset.h"
#include "connect/postgres/connector_config.h"
#include "connect/postgres/incremental_snapshot.h"
#include "connect/postgres/xid_snapshot.h"

namespace runnel::connect::postgres {
namespace {

TEST(PgIncrementalSnapshot, ProgressRoundTripsThroughTheOffset) {
  cdc_offset o{.commit_lsn = lsn{100}, .change_lsn = lsn{120}, .events = 3};
  o.incremental.collections = {{.id = "public.a", .condition = "color = 'blue'"},
                               {.id = "public.b", .condition = std::nullopt}};
  o.incremental.last_key = std::vector<std::string>{"7", "x y"};
  o.incremental.maximum_key = std::vector<std::string>{"900", "zz"};
  auto j = o.to_json();
  // Debezium's keys, the collections in Debezium's JSON text.
  ASSERT_TRUE(j["incremental_snapshot_collections"].is_string());
  auto list = data::parse(j["incremental_snapshot_collections"].get<std::string>());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["incremental_snapshot_collections_id"], "public.a");
  EXPECT_EQ(list[0]["incremental_snapshot_collections_additional_condition"], "color = 'blue'");
  EXPECT_TRUE(list[1]["incremental_snapshot_collections_additional_condition"].is_null());
  EXPECT_EQ(j["incremental_snapshot_primary_key"], R"(["7","x y"])");
  EXPECT_EQ(j["incremental_snapshot_maximum_key"], R"(["900","zz"])");

  auto back = cdc_offset::from_json(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->incremental, o.incremental);
  EXPECT_EQ(back->events, 3);
}

TEST(PgIncrementalSnapshot, NoProgressNoKeys) {
  cdc_offset o{.commit_lsn = lsn{1}, .change_lsn = lsn{1}};
  auto j = o.to_json();
  EXPECT_FALSE(j.contains("incremental_snapshot_collections"));
  EXPECT_FALSE(j.contains("incremental_snapshot_primary_key"));
  std::string warning;
  EXPECT_FALSE(incremental_progress::from_offset(j, warning).running());
  EXPECT_TRUE(warning.empty());
}

TEST(PgIncrementalSnapshot, DebeziumsHexKeyRestartsTheTableWithAWarning) {
  data j = data::object();
  j["lsn"] = 5;
  j["incremental_snapshot_collections"] =
      R"([{"incremental_snapshot_collections_id":"public.t",)"
      R"("incremental_snapshot_collections_additional_condition":null,)"
      R"("incremental_snapshot_collections_surrogate_key":null}])";
  j["incremental_snapshot_primary_key"] = "aced0005757200135b4c6a6176612e6c616e672e4f626a656374";
  j["incremental_snapshot_maximum_key"] = "aced0005757200135b4c6a6176612e6c616e672e4f626a656374";
  std::string warning;
  auto p = incremental_progress::from_offset(j, warning);
  ASSERT_EQ(p.collections.size(), 1u);
  EXPECT_EQ(p.collections[0].id, "public.t");
  EXPECT_FALSE(p.last_key);
  EXPECT_FALSE(p.maximum_key);
  EXPECT_NE(warning.find("first chunk"), std::string::npos) << warning;
}

TEST(PgIncrementalSnapshot, SnapshotTextParses) {
  auto s = xid_snapshot::parse("745:760:750,747");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->xmin, 745u);
  EXPECT_EQ(s->xmax, 760u);
  EXPECT_EQ(s->xip, (std::vector<std::uint64_t>{747, 750}));
  auto empty = xid_snapshot::parse("800:800:");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->xip.empty());
  for (const char* bad : {"", "1", "1:2", "5:4:", "1:2:x", "1:2:3,", "a:2:", "1:2:3,,4"}) {
    EXPECT_FALSE(xid_snapshot::parse(bad)) << bad;
  }
}

// A committed transaction is in a snapshot when it is below xmin, or below
// xmax and not in progress; one that committed in the WAL but was still in
// the ProcArray (in xip), or began after the snapshot (xmax and up), is not.
TEST(PgIncrementalSnapshot, SnapshotSeesWhatCommittedBeforeIt) {
  auto s = *xid_snapshot::parse("745:760:747,750");
  EXPECT_TRUE(s.sees(700));
  EXPECT_TRUE(s.sees(744));
  EXPECT_TRUE(s.sees(745));
  EXPECT_TRUE(s.sees(746));
  EXPECT_FALSE(s.sees(747));
  EXPECT_TRUE(s.sees(748));
  EXPECT_FALSE(s.sees(750));
  EXPECT_TRUE(s.sees(759));
  EXPECT_FALSE(s.sees(760));
  EXPECT_FALSE(s.sees(761));
}

// pgoutput sends 32-bit ids; pg_current_snapshot() 64-bit ones (epoch in
// the high half). Near an epoch boundary the 32-bit id is widened to the
// nearer epoch.
TEST(PgIncrementalSnapshot, SnapshotWidensThirtyTwoBitIds) {
  const std::uint64_t e = std::uint64_t{1} << 32;
  xid_snapshot s{.xmin = 3 * e - 10, .xmax = 3 * e + 5, .xip = {3 * e - 5, 3 * e + 2}};
  EXPECT_TRUE(s.sees(static_cast<std::uint32_t>(-11)));  // epoch 2, below xmin
  EXPECT_FALSE(s.sees(static_cast<std::uint32_t>(-5)));  // epoch 2, in progress
  EXPECT_TRUE(s.sees(static_cast<std::uint32_t>(-4)));
  EXPECT_TRUE(s.sees(1));   // epoch 3, committed before
  EXPECT_FALSE(s.sees(2));  // epoch 3, in progress
  EXPECT_FALSE(s.sees(5));  // epoch 3, after
  xid_snapshot first{.xmin = 100, .xmax = 200, .xip = {}};
  EXPECT_FALSE(first.sees(static_cast<std::uint32_t>(-1)));  // no epoch below 0: after
}

TEST(PgIncrementalSnapshot, NextTableForgetsTheKeys) {
  incremental_progress p;
  p.collections = {{.id = "public.a", .condition = std::nullopt},
                   {.id = "public.b", .condition = std::nullopt}};
  p.last_key = std::vector<std::string>{"1"};
  p.maximum_key = std::vector<std::string>{"2"};
  p.next_table();
  ASSERT_EQ(p.collections.size(), 1u);
  EXPECT_EQ(p.collections[0].id, "public.b");
  EXPECT_FALSE(p.last_key);
  EXPECT_FALSE(p.maximum_key);
  p.next_table();
  EXPECT_FALSE(p.running());
}

TEST(PgIncrementalSnapshot, ParsesDebeziumsSignalData) {
  auto s = parse_snapshot_signal(
      R"({"data-collections": ["public.a", "public.b"], "type": "INCREMENTAL",
          "additional-conditions": [{"data-collection": "public.b", "filter": "id > 10"}]})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value().collections, (std::vector<std::string>{"public.a", "public.b"}));
  EXPECT_EQ(s.value().type, "incremental");
  EXPECT_EQ(s.value().condition("public.b"), "id > 10");
  EXPECT_FALSE(s.value().condition("public.a"));

  auto old = parse_snapshot_signal(
      R"({"data-collections": ["public.a"], "additional-condition": "x = 1"})");
  ASSERT_TRUE(old);
  EXPECT_EQ(old.value().type, "incremental");
  EXPECT_EQ(old.value().condition("public.a"), "x = 1");

  auto stop_all = parse_snapshot_signal(std::nullopt);
  ASSERT_TRUE(stop_all);
  EXPECT_TRUE(stop_all.value().collections.empty());

  EXPECT_FALSE(parse_snapshot_signal(std::string("not json")));
  EXPECT_FALSE(parse_snapshot_signal(std::string(R"({"data-collections": "public.a"})")));
  EXPECT_FALSE(parse_snapshot_signal(std::string(R"({"data-collections": [1]})")));
  EXPECT_FALSE(parse_snapshot_signal(
      std::string(R"({"data-collections": ["a.b"], "additional-conditions": [{"x": 1}]})")));
}

TEST(PgIncrementalSnapshot, TableNames) {
  EXPECT_EQ(split_table_name("public.t"), std::make_pair(std::string("public"), std::string("t")));
  EXPECT_EQ(split_table_name("db.public.t"),
            std::make_pair(std::string("public"), std::string("t")));
  EXPECT_EQ(split_table_name(R"("My.Schema"."T")"),
            std::make_pair(std::string("My.Schema"), std::string("T")));
  EXPECT_FALSE(split_table_name("t"));
  EXPECT_FALSE(split_table_name("a..b"));
  EXPECT_FALSE(split_table_name("a.b.c.d"));
}

TEST(PgIncrementalSnapshot, ChunkQueryOrdersByTheWholeKey) {
  auto q = chunk_query("public", "t", {"a", "b", "v"}, {"a", "b"}, {"integer", "text"}, true,
                       std::string("v <> 'x'"), 50);
  EXPECT_EQ(
      q,
      "SELECT \"a\", \"b\", \"v\" FROM \"public\".\"t\" WHERE (v <> 'x') AND (\"a\", \"b\") > "
      "($1::integer, $2::text) AND (\"a\", \"b\") <= ($3::integer, $4::text) ORDER BY "
      "\"a\", \"b\" LIMIT 50");
  auto first = chunk_query("public", "t", {"id"}, {"id"}, {"bigint"}, false, std::nullopt, 1024);
  EXPECT_EQ(first,
            "SELECT \"id\" FROM \"public\".\"t\" WHERE (\"id\") <= ($1::bigint) ORDER BY \"id\" "
            "LIMIT 1024");
  EXPECT_EQ(maximum_key_query("public", "t", {"a", "b"}, std::nullopt),
            "SELECT \"a\", \"b\" FROM \"public\".\"t\" ORDER BY \"a\" DESC, \"b\" DESC LIMIT 1");
}

TEST(PgIncrementalSnapshot, ChunkIdsAreUuids) {
  auto a = new_chunk_id(), b = new_chunk_id();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, b);
}

config_map base() {
  return {{"database.hostname", "h"},
          {"database.dbname", "d"},
          {"topic.prefix", "p"},
          {"signal.data.collection", "public.debezium_signal"}};
}

TEST(PgIncrementalSnapshot, ConfigKeys) {
  auto c = connector_config::parse(base());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().signal_schema, "public");
  EXPECT_EQ(c.value().signal_table, "debezium_signal");
  EXPECT_EQ(c.value().incremental_chunk_size, 1024);

  auto props = base();
  props["incremental.snapshot.chunk.size"] = "0";
  EXPECT_FALSE(connector_config::parse(props));

  props = base();
  props["signal.enabled.channels"] = "source,kafka";
  props["signal.kafka.topic"] = "signals";
  auto k = connector_config::parse(props);
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("only the source channel"), std::string::npos);

  props = base();
  props["incremental.snapshot.allow.schema.changes"] = "true";
  auto s = connector_config::parse(props);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not supported"), std::string::npos);

  props = base();
  props["incremental.snapshot.watermarking.strategy"] = "insert_delete";
  EXPECT_FALSE(connector_config::parse(props));
  props["incremental.snapshot.watermarking.strategy"] = "insert_insert";
  EXPECT_TRUE(connector_config::parse(props));

  props = base();
  props["signal.data.collection"] = "nodot";
  auto n = connector_config::parse(props);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("signal.data.collection"), std::string::npos);
}

}  // namespace
}  // namespace runnel::connect::postgres
