// Restoring state without falling out of the group: a store whose restore
// takes longer than max.poll.interval.ms is restored while the app keeps
// polling its group consumer, so the member is never expelled (which would
// cause another rebalance and another restore), and the app reports the
// restore's progress in state() and metrics().
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "broker_fixture.h"

namespace runnel::stream::it {
namespace {

class restore : public broker_fixture {};

using std::chrono::milliseconds;

topology counting(const std::string& in, const std::string& out) {
  builder b;
  b.stream<std::string, std::string>(in)
      .group_by_key()
      .count(materialized<int64_t>{"counts", std::nullopt})
      .to_stream()
      .to(out);
  return b.build();
}

std::string int64_bytes(int64_t v) {
  std::string s;
  serdes::int64().serialize(v, s);
  return s;
}

TEST_F(restore, a_restore_longer_than_max_poll_interval_keeps_the_member_in_its_group) {
  std::string in = unique("in"), out = unique("out"), id = unique("app");
  create_topic(in);
  create_topic(out);
  // The store's changelog as an earlier run of the app left it: key k<i>
  // counted i times, in `batches` record batches (one produce each).
  const std::string changelog = id + "-counts-changelog";
  create_topic(changelog);
  const int batches = 30, per_batch = 100;
  for (int b = 0; b < batches; ++b) {
    std::vector<input> records;
    for (int i = b * per_batch; i < (b + 1) * per_batch; ++i)
      records.push_back({changelog, "k" + std::to_string(i), int64_bytes(i), base_time(), 0});
    produce(records);
  }
  const int64_t restored_records = batches * per_batch;

  // Every fetch of one batch (max.partition.fetch.bytes) waits the whole
  // fetch.wait.max.ms for bytes it cannot get (fetch.min.bytes): the
  // restore takes about batches x 400 ms = 12 s, on any machine, twice
  // max.poll.interval.ms. Before the restore was stepped from the poll loop,
  // librdkafka left the group after 6 s without a poll and the app failed
  // ("Application maximum poll interval exceeded").
  const int64_t max_poll_ms = 6000;
  auto c = config(id);
  c.client_properties = {{"session.timeout.ms", std::to_string(max_poll_ms)},
                         {"heartbeat.interval.ms", "500"},
                         {"max.poll.interval.ms", std::to_string(max_poll_ms)},
                         {"max.partition.fetch.bytes", "1"},
                         {"fetch.min.bytes", "10000000"},
                         {"fetch.wait.max.ms", "400"}};
  running_app app(counting(in, out), c);

  // While it restores, state() says so and metrics() show the progress.
  bool saw_partial_progress = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (app.get().state() != app_state::running && std::chrono::steady_clock::now() < deadline) {
    ASSERT_NE(app.get().state(), app_state::failed);
    auto m = app.get().metrics();
    if (app.get().state() == app_state::restoring && m.restores.size() == 1 &&
        !m.restores[0].done && m.restores[0].position > 0 &&
        m.restores[0].position < m.restores[0].end_offset)
      saw_partial_progress = true;
    std::this_thread::sleep_for(milliseconds(50));  // sampling what the app reports
  }
  ASSERT_EQ(app.get().state(), app_state::running);
  EXPECT_TRUE(saw_partial_progress);

  // The restored counts go on: k7 was counted 7 times before.
  const int64_t t0 = base_time();
  produce({{in, "k7", "v", t0, 0}, {in, "new", "v", t0 + 1, 0}, {in, "k7", "v", t0 + 2, 0}});
  auto got = read_until(out, 3, std::chrono::seconds(120));
  ASSERT_EQ(got.size(), 3u);
  std::map<std::string, std::vector<int64_t>> seen;
  for (const auto& o : got)
    seen[o.key.value_or("")].push_back(
        serdes::int64().deserialize(o.value.value_or(""), nullptr).value_or(-1));
  EXPECT_EQ(seen["k7"], (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(seen["new"], (std::vector<int64_t>{1}));

  // The metrics snapshot refreshes every second.
  app_metrics m;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    std::this_thread::sleep_for(milliseconds(100));
    m = app.get().metrics();
  } while ((m.restores.empty() || m.commits == 0) && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(m.restores.size(), 1u);
  const auto& r = m.restores[0];
  EXPECT_EQ(r.store, "counts");
  EXPECT_EQ(r.changelog, changelog);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.start_offset, 0);
  EXPECT_EQ(r.end_offset, restored_records);
  EXPECT_EQ(r.records_restored, static_cast<uint64_t>(restored_records));
  // The test tests something only if the restore outlasted max.poll.interval.ms.
  EXPECT_GT(r.duration_ms, max_poll_ms);
  // One assignment, never expelled: no second rebalance.
  EXPECT_EQ(m.rebalances, 1u);
  auto stopped = app.stop();
  ASSERT_TRUE(stopped) << stopped.error().message;
}

}  // namespace
}  // namespace runnel::stream::it
