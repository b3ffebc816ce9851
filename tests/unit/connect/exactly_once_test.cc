// Exactly-once sources (KIP-618) without a broker: the worker and connector
// keys and their checks, and the books of a source task's transaction
// (boundaries, newest offset per source partition, acknowledgements after
// the commit). tests/integration/test_connect_exactly_once.py runs the
// transactions against a broker.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "connect/api/plugins.h"
#include "connect/runtime/connector_config.h"
#include "connect/runtime/source_transaction.h"
#include "connect/runtime/worker_config.h"

namespace runnel::connect {
namespace {

using namespace std::chrono_literals;

// The errors REST validation gives for `key`.
std::vector<std::string> errors_of(const data& answer, const std::string& key) {
  for (const auto& c : answer["configs"])
    if (c["value"]["name"] == key) return c["value"]["errors"].get<std::vector<std::string>>();
  ADD_FAILURE() << "no " << key << " in the answer";
  return {};
}

config_map file_source(config_map extra = {}) {
  config_map c{{"name", "f"},
               {"connector.class", "FileStreamSource"},
               {"file", "/tmp/in.txt"},
               {"topic", "t"}};
  for (auto& [k, v] : extra) c[k] = v;
  return c;
}

TEST(ExactlyOnceConfig, WorkerNeedsAnOffsetsTopic) {
  auto w = worker_config::parse({{"exactly.once.source.support", "enabled"}});
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("needs offset.storage.topic"), std::string::npos)
      << w.error().message;
  auto bad = worker_config::parse({{"exactly.once.source.support", "always"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("Invalid value always"), std::string::npos);

  auto ok = worker_config::parse(
      {{"exactly.once.source.support", "Enabled"}, {"offset.storage.topic", "offs"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(ok.value().exactly_once_source());
  // Standalone: the offsets topic names the worker.
  EXPECT_EQ(ok.value().transactional_id("files", 2), "offs-files-2");
  auto grouped = worker_config::parse({{"exactly.once.source.support", "enabled"},
                                       {"offset.storage.topic", "offs"},
                                       {"group.id", "cluster"}});
  ASSERT_TRUE(grouped);
  // Kafka Connect's ${groupId}-${connector}-${taskId}.
  EXPECT_EQ(grouped.value().transactional_id("files", 0), "cluster-files-0");
  // Preparing (Kafka's rolling-upgrade step) is not enabled.
  auto preparing = worker_config::parse(
      {{"exactly.once.source.support", "preparing"}, {"offset.storage.topic", "offs"}});
  ASSERT_TRUE(preparing);
  EXPECT_FALSE(preparing.value().exactly_once_source());
}

TEST(ExactlyOnceConfig, RequiredNeedsTheWorkerAndTheConnector) {
  const auto& plugins = plugin_registry::builtin();
  auto required = file_source({{"exactly.once.support", "required"}});
  auto v = validate_connector_config(required, plugins, false);
  EXPECT_EQ(v["error_count"], 1);
  EXPECT_EQ(errors_of(v, "exactly.once.support"),
            std::vector<std::string>{"This worker does not have exactly-once source support "
                                     "enabled (exactly.once.source.support=enabled in the "
                                     "worker config)."});
  EXPECT_EQ(validate_connector_config(required, plugins, true)["error_count"], 0);
  EXPECT_TRUE(check_connector_config(required, plugins, true));

  // FileStreamSource reading stdin cannot be replayed: unsupported.
  auto stdin_source = required;
  stdin_source.erase("file");
  auto e = check_connector_config(stdin_source, plugins, true);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("The connector does not support exactly-once semantics with "
                                   "the provided configuration."),
            std::string::npos)
      << e.error().message;
  // requested: no preflight check.
  stdin_source["exactly.once.support"] = "requested";
  EXPECT_TRUE(check_connector_config(stdin_source, plugins, true));

  // The directory source declares support.
  config_map dir{{"name", "d"},
                 {"connector.class", "DirectorySource"},
                 {"input.path", "/tmp"},
                 {"topic", "t"},
                 {"exactly.once.support", "REQUIRED"}};
  auto dv = validate_connector_config(dir, plugins, true);
  EXPECT_EQ(dv["error_count"], 0) << dv.dump();
}

TEST(ExactlyOnceConfig, ConnectorBoundaryOnlyWhereTheConnectorDefinesThem) {
  const auto& plugins = plugin_registry::builtin();
  for (bool eos : {false, true}) {
    auto v = validate_connector_config(file_source({{"transaction.boundary", "connector"}}),
                                       plugins, eos);
    EXPECT_EQ(v["error_count"], 1);
    auto errs = errors_of(v, "transaction.boundary");
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_NE(errs[0].find("does not support connector-defined transaction boundaries"),
              std::string::npos);
  }
  EXPECT_TRUE(check_connector_config(file_source({{"transaction.boundary", "interval"},
                                                  {"transaction.boundary.interval.ms", "500"}}),
                                     plugins, true));
  auto bad =
      check_connector_config(file_source({{"transaction.boundary", "sometimes"}}), plugins, true);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("transaction.boundary"), std::string::npos);

  auto cc = connector_config::parse(file_source({{"transaction.boundary", " Interval "},
                                                 {"transaction.boundary.interval.ms", "250"}}),
                                    plugins);
  ASSERT_TRUE(cc) << cc.error().message;
  EXPECT_EQ(cc.value().transaction_boundary, "interval");
  EXPECT_EQ(cc.value().transaction_boundary_interval_ms.value_or(-1), 250);
}

source_record rec(const std::string& file, int64_t pos) {
  source_record r;
  r.topic = "t";
  r.value = file + "@" + std::to_string(pos);
  r.source_partition = data{{"filename", file}};
  r.source_offset = data{{"position", pos}};
  return r;
}

TEST(SourceTransaction, PollBoundaryCommitsAfterEveryNonEmptyPoll) {
  source_transaction t(source_transaction::boundary::poll, 1000ms);
  const auto now = source_transaction::clock::now();
  EXPECT_EQ(t.after_poll(false, now), source_transaction::action::none);
  t.begin(now);
  t.add(rec("a", 1));
  EXPECT_EQ(t.after_poll(false, now), source_transaction::action::none);
  EXPECT_EQ(t.after_poll(true, now), source_transaction::action::commit);
}

TEST(SourceTransaction, IntervalBoundaryCommitsOnceTheIntervalPassed) {
  source_transaction t(source_transaction::boundary::interval, 1000ms);
  const auto now = source_transaction::clock::now();
  t.begin(now);
  t.add(rec("a", 1));
  EXPECT_EQ(t.after_poll(true, now + 999ms), source_transaction::action::none);
  EXPECT_EQ(t.after_poll(false, now + 1000ms), source_transaction::action::commit);
}

TEST(SourceTransaction, KeepsTheNewestOffsetPerPartitionAndAcknowledgesInPollOrder) {
  source_transaction t(source_transaction::boundary::poll, 1000ms);
  t.begin(source_transaction::clock::now());
  const auto s0 = t.add(rec("a", 10));
  const auto s1 = t.add(rec("b", 5));
  const auto s2 = t.add(rec("a", 20));
  source_record none;  // Kafka Connect's null partition: no offset
  none.topic = "t";
  none.source_partition = nullptr;
  none.source_offset = nullptr;
  t.add(none);
  auto offsets = t.offsets();
  ASSERT_EQ(offsets.size(), 2u);
  std::map<std::string, int64_t> newest;
  for (auto& [p, o] : offsets)
    newest[p["filename"].get<std::string>()] = (*o)["position"].get<int64_t>();
  EXPECT_EQ(newest, (std::map<std::string, int64_t>{{"a", 20}, {"b", 5}}));

  // Reports arrive in any order; finish() hands them back in poll order.
  t.delivered(s2, {"t", 0, 7, 1});
  t.delivered(s0, {"t", 0, 5, 1});
  EXPECT_TRUE(t.current(s1));
  auto done = t.finish();
  ASSERT_EQ(done.size(), 4u);
  EXPECT_EQ(done[0].first.value, "a@10");
  EXPECT_EQ(done[0].second->offset, 5);
  EXPECT_FALSE(done[1].second);
  EXPECT_EQ(done[2].second->offset, 7);
  EXPECT_FALSE(t.open());
  EXPECT_TRUE(t.offsets().empty());
  // A late report of the finished transaction (a purged message) is not
  // the next transaction's.
  EXPECT_FALSE(t.current(s1));
  t.begin(source_transaction::clock::now());
  const auto s4 = t.add(rec("a", 30));
  t.delivered(s1, {"t", 0, 99, 1});
  auto next = t.finish();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_FALSE(next[0].second);
  EXPECT_GT(s4, s2);
}

TEST(SourceTransaction, ConnectorBoundariesWhereTheTaskAsks) {
  source_transaction t(source_transaction::boundary::connector, 1000ms);
  transaction_context& ctx = t;
  const auto now = source_transaction::clock::now();
  // Inside poll(): commit after the second record, abort after the batch.
  auto a = rec("a", 1), b = rec("a", 2), c = rec("a", 3);
  ctx.commit_transaction(b);
  EXPECT_EQ(t.at_record(a), source_transaction::action::none);
  EXPECT_EQ(t.at_record(b), source_transaction::action::commit);
  EXPECT_EQ(t.at_record(b), source_transaction::action::none);  // once
  t.begin(now);
  t.add(c);
  EXPECT_EQ(t.after_poll(true, now), source_transaction::action::none);  // no request
  ctx.abort_transaction();
  EXPECT_EQ(t.after_poll(true, now), source_transaction::action::abort);
  EXPECT_EQ(t.after_poll(true, now), source_transaction::action::none);
  ctx.abort_transaction(c);
  EXPECT_EQ(t.at_record(rec("a", 3)), source_transaction::action::abort);
}

}  // namespace
}  // namespace runnel::connect
