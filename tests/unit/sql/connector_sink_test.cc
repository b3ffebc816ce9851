// CREATE SINK to connectors (connector/connector_sink.h): RisingWave's
// options become the Kafka Connect config of the connector that reads the
// sink's topic. The connectors themselves run in
// tests/integration/test_sql_connector_sinks.py.
#include <gtest/gtest.h>

#include "sql/connector/connector_sink.h"

namespace runnel::sql {
namespace {

statement parsed(std::string_view sql) {
  auto r = parse_sql(sql);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r.value().at(0) : statement{};
}

result<connector_sink_options> options_of(std::string_view sql) {
  return read_connector_sink_options(parsed(sql), "default:9092");
}

TEST(ConnectorSink, JdbcUpsertWithRisingWavesNames) {
  auto o = options_of(
      "CREATE SINK s FROM v WITH (connector = 'jdbc', jdbc.url = "
      "'jdbc:postgresql://h:5432/db', user = 'u', password = 'p', table.name = 't', "
      "schema.name = 'app', type = 'upsert', primary_key = 'a,b', auto.create = 'false')");
  ASSERT_TRUE(o) << o.error().message;
  auto& c = o.value().config;
  EXPECT_EQ(o.value().connector_name, "sql-s");
  EXPECT_EQ(o.value().kafka.topic, "_runnel_sql_sink_s");
  EXPECT_TRUE(o.value().kafka.upsert);
  EXPECT_TRUE(o.value().kafka.create_topic);
  EXPECT_EQ(o.value().kafka.client.brokers, "default:9092");
  EXPECT_EQ(c.at("connector.class"), "io.confluent.connect.jdbc.JdbcSinkConnector");
  EXPECT_EQ(c.at("connection.url"), "jdbc:postgresql://h:5432/db");
  EXPECT_EQ(c.at("connection.user"), "u");
  EXPECT_EQ(c.at("connection.password"), "p");
  EXPECT_EQ(c.at("table.name.format"), "app.t");
  EXPECT_EQ(c.at("insert.mode"), "upsert");
  EXPECT_EQ(c.at("pk.mode"), "record_key");
  EXPECT_EQ(c.at("delete.enabled"), "true");
  EXPECT_EQ(c.at("topics"), "_runnel_sql_sink_s");
  EXPECT_EQ(c.at("auto.create"), "false");  // the connector's own keys pass through
  EXPECT_EQ(c.at("value.converter.schemas.enable"), "false");
  EXPECT_FALSE(c.count("jdbc.url"));
  finish_connector_config(o.value(), {"a", "b"});
  EXPECT_EQ(c.at("pk.fields"), "a,b");
}

TEST(ConnectorSink, S3AndDirectoryAreAppendOnlyFiles) {
  auto o = options_of(
      "CREATE SINK s AS SELECT 1 AS x WITH (connector = 's3', s3.region_name = 'eu-west-1', "
      "s3.bucket_name = 'b', s3.path = 'out', s3.endpoint_url = 'http://127.0.0.1:9000', "
      "s3.credentials.access = 'ak', s3.credentials.secret = 'sk', topic = 'mine', "
      "type = 'append-only') FORMAT PLAIN ENCODE JSON");
  ASSERT_TRUE(o) << o.error().message;
  auto& c = o.value().config;
  EXPECT_EQ(c.at("connector.class"), "runnel.connect.objstore.S3SinkConnector");
  EXPECT_EQ(c.at("s3.bucket.name"), "b");
  EXPECT_EQ(c.at("s3.region"), "eu-west-1");
  EXPECT_EQ(c.at("store.url"), "http://127.0.0.1:9000");
  EXPECT_EQ(c.at("s3.path.style.access.enabled"), "true");
  EXPECT_EQ(c.at("aws.access.key.id"), "ak");
  EXPECT_EQ(c.at("aws.secret.access.key"), "sk");
  EXPECT_EQ(c.at("topics.dir"), "out");
  EXPECT_EQ(c.at("topics"), "mine");
  EXPECT_EQ(c.at("rotate.schedule.interval.ms"), "1000");
  EXPECT_FALSE(o.value().kafka.upsert);

  auto f = options_of(
      "CREATE SINK d FROM v WITH (connector = 'file', fs.path = '/tmp/x', "
      "flush.size = '10')");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f.value().config.at("connector.class"),
            "runnel.connect.objstore.DirectorySinkConnector");
  EXPECT_EQ(f.value().config.at("output.path"), "/tmp/x");
  EXPECT_EQ(f.value().config.at("flush.size"), "10");
  EXPECT_FALSE(f.value().config.count("rotate.schedule.interval.ms"));

  EXPECT_FALSE(
      options_of("CREATE SINK s FROM v WITH (connector = 's3', s3.bucket_name = 'b', "
                 "type = 'upsert')"));
}

TEST(ConnectorSink, KafkaConnectPassesTheConnectorsKeys) {
  auto o = options_of(
      "CREATE SINK h FROM v WITH (connector = 'kafka-connect', connector.class = 'HttpSink', "
      "http.api.url = 'http://x/', type = 'upsert')");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o.value().config.at("connector.class"), "HttpSink");
  EXPECT_EQ(o.value().config.at("http.api.url"), "http://x/");
  EXPECT_EQ(o.value().config.at("tasks.max"), "1");
}

TEST(ConnectorSink, ClearErrors) {
  for (const char* bad : {
           "CREATE SINK s FROM v WITH (connector = 'nosuch')",
           "CREATE SINK s FROM v WITH (connector = 'jdbc', table.name = 't', type = 'upsert')",
           "CREATE SINK s FROM v WITH (connector = 'jdbc', jdbc.url = 'jdbc:postgresql://h/d', "
           "table.name = 't')",  // RisingWave wants the type
           "CREATE SINK s FROM v WITH (connector = 'jdbc', jdbc.url = 'u', table.name = 't', "
           "type = 'merge')",
           "CREATE SINK s FROM v WITH (connector = 'fs')",
           "CREATE SINK s FROM v WITH (connector = 'kafka-connect')",
           "CREATE SINK s FROM v WITH (connector = 'kafka-connect', connector.class = 'X', "
           "topics = 'other')",
           "CREATE SINK s FROM v WITH (connector = 'fs', fs.path = '/x') FORMAT PLAIN ENCODE CSV",
       }) {
    auto r = options_of(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_TRUE(is_connector_sink(parsed("CREATE SINK s FROM v WITH (connector = 'JDBC')")));
  EXPECT_FALSE(is_connector_sink(parsed("CREATE SINK s FROM v WITH (connector = 'kafka')")));
}

}  // namespace
}  // namespace runnel::sql
