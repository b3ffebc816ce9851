// Per-connection ordering (handlers.h, connection.cc): requests pipelined on
// one connection take effect in the order they were sent and are answered
// in that order, even when they hop to other shards and wait for topics to
// be created. Kafka clients rely on it: an idempotent producer pipelines up
// to five Produce requests and numbers their batches in sequence.
#include <gtest/gtest.h>

#include "broker_harness.h"

namespace runnel::broker::testing {
namespace {

TEST(request_order, pipelined_idempotent_produces_are_answered_and_stored_in_order) {
  auto cfg = small_config();
  cfg.shards = 4;
  in_process_broker b(cfg);
  b.start();
  kafka_client c(b.port());
  auto [pid, epoch] = c.init_producer_id();
  ASSERT_GE(pid, 0);

  // Request i carries batch i (sequence i) for partition 0 of "ordered",
  // which none of them finds existing. The first one also creates three
  // other topics before it gets there, so without the ordering gate the
  // later requests would create "ordered" and append first.
  constexpr int n = 5;
  std::vector<bytes> batches;
  std::vector<bytes> fillers;
  for (int i = 0; i < n; ++i)
    batches.push_back(make_batch("seq" + std::to_string(i), 1, 0, std::tuple{pid, epoch, i}));
  for (int i = 0; i < 3 + n; ++i) fillers.push_back(make_batch("f" + std::to_string(i), 1));
  std::vector<kafka::produce_request> reqs(n);
  for (int i = 0; i < n; ++i) {
    auto& req = reqs[i];
    req.acks = -1;
    req.timeout_ms = 30000;
    auto add = [&req](const std::string& topic, bytes& batch) {
      auto& t = req.topics.emplace_back();
      t.name = topic;
      auto& p = t.partitions.emplace_back();
      p.index = 0;
      p.records.null = false;
      p.records.bytes = batch;
    };
    if (i == 0)
      for (int j = 0; j < 3; ++j) add("first-" + std::to_string(j), fillers[size_t(j)]);
    add("ordered", batches[size_t(i)]);
    // And a topic of its own, created on the way (on some shard).
    add("own-" + std::to_string(i), fillers[size_t(3 + i)]);
  }
  std::vector<int32_t> ids;
  for (auto& req : reqs)
    ids.push_back(c.send(kafka::api_key::produce, kafka_client::produce_version, req));

  for (int i = 0; i < n; ++i) {
    auto resp =
        c.receive<kafka::produce_response>(kafka::api_key::produce, kafka_client::produce_version);
    EXPECT_EQ(resp.correlation_id, ids[size_t(i)]) << "response " << i << " out of order";
    for (const auto& t : resp.body.topics)
      for (const auto& p : t.partitions) {
        EXPECT_EQ(p.error_code, 0) << "request " << i << ", topic " << t.name;
        if (t.name == "ordered") {
          EXPECT_EQ(p.base_offset, i) << "request " << i;
        }
      }
  }
  auto [recs, err] = c.fetch_all("ordered", 0);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(recs.size(), size_t(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(recs[size_t(i)].offset, i);
    EXPECT_EQ(recs[size_t(i)].value, value_of("seq" + std::to_string(i), 0));
  }
}

// A long-polling Fetch ends its ordered stage before it waits: a Produce
// pipelined behind it on the same connection is handled at once and wakes
// it, and the answers still leave in order.
TEST(request_order, a_waiting_fetch_does_not_hold_up_the_next_request) {
  in_process_broker b;
  b.start();
  kafka_client c(b.port());
  ASSERT_EQ(c.create_topic("poll", 1), 0);

  kafka::fetch_request fetch;
  fetch.max_wait_ms = 20000;  // far longer than the test waits for the produce
  fetch.min_bytes = 1;
  auto& t = fetch.topics.emplace_back();
  t.topic = "poll";
  auto& p = t.partitions.emplace_back();
  p.partition = 0;
  p.partition_max_bytes = 1 << 20;
  const int32_t fetch_id = c.send(kafka::api_key::fetch, kafka_client::fetch_version, fetch);
  auto batch = make_batch("woken", 1);
  auto produce = kafka_client::produce_request("poll", 0, batch, -1);
  const int32_t produce_id =
      c.send(kafka::api_key::produce, kafka_client::produce_version, produce);

  auto f = c.receive<kafka::fetch_response>(kafka::api_key::fetch, kafka_client::fetch_version);
  EXPECT_EQ(f.correlation_id, fetch_id);
  ASSERT_EQ(f.body.responses.size(), 1u);
  EXPECT_GT(f.body.responses[0].partitions[0].records.bytes.size(), 0u)
      << "the fetch was not woken by the produce behind it (it answered empty at max_wait_ms)";
  auto r =
      c.receive<kafka::produce_response>(kafka::api_key::produce, kafka_client::produce_version);
  EXPECT_EQ(r.correlation_id, produce_id);
}

}  // namespace
}  // namespace runnel::broker::testing
