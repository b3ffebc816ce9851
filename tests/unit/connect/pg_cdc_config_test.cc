// The PostgreSQL CDC connector's configuration (Debezium's keys and
// defaults), its offsets (where a restart resumes) and its table filter.
#include <gtest/gtest.h>

#include "connect/api/plugins.h"
#include "connect/postgres/catalog.h"
#include "connect/postgres/cdc_offset.h"
#include "connect/postgres/connector_config.h"

namespace runnel::connect::postgres {
namespace {

config_map debezium_example() {
  // The example config of Debezium's PostgreSQL connector documentation.
  return {{"connector.class", "io.debezium.connector.postgresql.PostgresConnector"},
          {"database.hostname", "192.168.99.100"},
          {"database.port", "5432"},
          {"database.user", "postgres"},
          {"database.password", "postgres"},
          {"database.dbname", "postgres"},
          {"topic.prefix", "fulfillment"},
          {"table.include.list", "public.inventory"},
          {"plugin.name", "pgoutput"}};
}

TEST(PgCdcConfig, DebeziumsExampleParsesWithItsDefaults) {
  auto c = connector_config::parse(debezium_example());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().hostname, "192.168.99.100");
  EXPECT_EQ(c.value().port, 5432);
  EXPECT_EQ(c.value().topic_prefix, "fulfillment");
  EXPECT_EQ(c.value().slot_name, "debezium");
  EXPECT_EQ(c.value().publication_name, "dbz_publication");
  EXPECT_EQ(c.value().snapshot, snapshot_mode::initial);
  EXPECT_EQ(c.value().skipped_operations, "t");
  EXPECT_TRUE(c.value().tombstones_on_delete);
  EXPECT_EQ(c.value().heartbeat_interval.count(), 0);
  EXPECT_EQ(c.value().heartbeat_topic(), "__debezium-heartbeat.fulfillment");
  EXPECT_EQ(c.value().table_include, (std::vector<std::string>{"public.inventory"}));
  EXPECT_NE(c.value().conninfo().find("password='postgres'"), std::string::npos);
}

TEST(PgCdcConfig, RefusesWhatItCannotDo) {
  auto props = debezium_example();
  props["plugin.name"] = "decoderbufs";
  auto c = connector_config::parse(props);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("plugin.name"), std::string::npos) << c.error().message;

  props = debezium_example();
  props["skipped.operations"] = "c,x";
  c = connector_config::parse(props);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("skipped.operations"), std::string::npos);

  props = debezium_example();
  props.erase("topic.prefix");
  EXPECT_FALSE(connector_config::parse(props));

  props = debezium_example();
  props["skipped.operations"] = "none";
  props["snapshot.mode"] = "never";  // Debezium's older name of no_data
  c = connector_config::parse(props);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().skipped_operations, "");
  EXPECT_EQ(c.value().snapshot, snapshot_mode::no_data);
}

TEST(PgCdcConfig, FoundByDebeziumsClassName) {
  const auto& reg = plugin_registry::builtin();
  const auto* p = reg.find("io.debezium.connector.postgresql.PostgresConnector");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->class_name, "runnel.connect.postgres.PostgresConnector");
  EXPECT_EQ(reg.find("PostgresConnector"), p);
  EXPECT_NE(p->config().find("database.hostname"), nullptr);
}

TEST(PgCdcOffset, RoundTripsAndSaysWhatWasDelivered) {
  cdc_offset o{.commit_lsn = lsn{1000},
               .change_lsn = lsn{900},
               .tx_id = 7,
               .ts_usec = 5,
               .events = 3,
               .tx_complete = false};
  auto back = cdc_offset::from_json(o.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->commit_lsn, lsn{1000});
  EXPECT_EQ(back->events, 3);
  EXPECT_EQ(o.to_json()["lsn"], 900);
  EXPECT_EQ(back->delivered_of(lsn{999}), -1);  // an earlier transaction: all delivered
  EXPECT_EQ(back->delivered_of(lsn{1000}), 3);  // this one: the first three messages
  EXPECT_EQ(back->delivered_of(lsn{1001}), 0);  // a later one: nothing yet
  o.tx_complete = true;
  EXPECT_EQ(cdc_offset::from_json(o.to_json())->delivered_of(lsn{1000}), -1);
  EXPECT_FALSE(cdc_offset::from_json(data{{"position", 1}}));
}

TEST(PgTableFilter, IncludeThenExcludeOnWholeNames) {
  auto f = table_filter::make({"public\\..*", "sales\\.orders"}, {"public\\.tmp_.*"});
  ASSERT_TRUE(f);
  EXPECT_TRUE(f.value().admits("public", "customers"));
  EXPECT_FALSE(f.value().admits("public", "tmp_x"));
  EXPECT_TRUE(f.value().admits("sales", "orders"));
  EXPECT_FALSE(f.value().admits("sales", "orders2"));  // the whole name must match
  auto all = table_filter::make({}, {});
  EXPECT_TRUE(all.value().admits("any", "thing"));
  auto bad = table_filter::make({"("}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, errc::invalid_config);
}

}  // namespace
}  // namespace runnel::connect::postgres
