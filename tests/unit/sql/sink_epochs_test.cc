// Exactly-once Kafka sinks (engine/sink_epochs.h): the epoch marker's
// format both ways, and the errors of CREATE SINK ... is_exactly_once where
// the process cannot keep the promise. The kill -9 behaviour is tested
// against a real broker in tests/integration/test_sql_exactly_once.py.
#include <gtest/gtest.h>

#include "sql/engine/engine.h"
#include "sql/engine/sink_epochs.h"

namespace runnel::sql {
namespace {

TEST(SinkEpochs, MarkerRoundTrips) {
  epoch_marker m;
  m.epoch = 42;
  m.sources[3] = {{0, 17}, {1, 0}, {2, 1234567890123}};
  m.sources[9] = {};
  std::string v = encode_epoch_marker(m);
  EXPECT_EQ(v, R"({"epoch":42,"sources":[{"id":3,"offsets":[[0,17],[1,0],[2,1234567890123]]},)"
               R"({"id":9,"offsets":[]}],"version":1})");
  auto back = decode_epoch_marker(v);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->epoch, 42u);
  EXPECT_EQ(back->sources, m.sources);
}

TEST(SinkEpochs, MarkerRefusesWhatItCannotRead) {
  for (const char* bad :
       {"", "null", "[]", "{\"version\":2,\"epoch\":1,\"sources\":[]}",
        "{\"version\":1,\"sources\":[]}", "{\"version\":1,\"epoch\":-1,\"sources\":[]}",
        "{\"version\":1,\"epoch\":1,\"sources\":[{\"id\":1}]}",
        "{\"version\":1,\"epoch\":1,\"sources\":[{\"id\":1,\"offsets\":[[0]]}]}",
        "{\"version\":1,\"epoch\":1,\"sources\":[{\"id\":1,\"offsets\":[[0,\"x\"]]}]}"})
    EXPECT_FALSE(decode_epoch_marker(bad)) << bad;
}

TEST(SinkEpochs, NamesComeFromTheCatalogTopic) {
  EXPECT_EQ(sink_epochs::marker_topic("_sql_catalog"), "_sql_catalog_sink_epochs");
  EXPECT_EQ(sink_epochs::transactional_id("_sql_catalog"), "runnel-sql:_sql_catalog");
}

// Without a state directory and a catalog there is nothing to resume a
// transaction's epoch from: refused before anything reaches a cluster.
TEST(SinkEpochs, NeedsADurableProcess) {
  engine e;
  ASSERT_TRUE(e.execute("CREATE TABLE t (a INT)"));
  auto r = e.execute(
      "CREATE SINK s FROM t WITH (connector = 'kafka', topic = 'out', force_append_only = 'true', "
      "is_exactly_once = 'true')");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is_exactly_once needs a durable SQL process"),
            std::string::npos)
      << r.error().message;
  auto bad = e.execute(
      "CREATE SINK s FROM t WITH (connector = 'kafka', topic = 'out', force_append_only = 'true', "
      "is_exactly_once = 'yes')");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "is_exactly_once is 'true' or 'false', not 'yes'");
}

}  // namespace
}  // namespace runnel::sql
