// consumer::poll_batch, pause/resume, committed and position against a real
// broker.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "client_test_env.h"
#include "runnel/client/consumer.h"
#include "runnel/client/error.h"

namespace runnel::test {
namespace {

using namespace std::chrono_literals;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

client::consumer make_consumer(const std::string& group = "", bool partition_end = false) {
  client::consumer_options o;
  o.client = config();
  o.group_id = group;
  o.auto_commit = false;
  o.auto_offset_reset = "earliest";
  o.report_partition_end = partition_end;
  auto c = client::consumer::create(o);
  EXPECT_TRUE(c) << c.error().message;
  return std::move(c).value();
}

std::vector<client::partition_assignment> from_beginning(const std::string& topic,
                                                         int32_t partitions) {
  std::vector<client::partition_assignment> out;
  for (int32_t p = 0; p < partitions; ++p) {
    out.push_back({topic, runnel::partition_id{p}, client::start_position::beginning()});
  }
  return out;
}

std::vector<client::topic_partition> all_partitions(const std::string& topic, int32_t n) {
  std::vector<client::topic_partition> out;
  for (int32_t p = 0; p < n; ++p) out.push_back({topic, runnel::partition_id{p}});
  return out;
}

std::vector<int64_t> offsets_of(const std::vector<client::topic_partition_offset>& v) {
  std::vector<int64_t> out;
  for (const auto& o : v) out.push_back(o.offset());
  return out;
}

TEST(PollBatch, DeliversEveryMessageWithItsFieldsAndServesPartitionEnds) {
  const std::string topic = unique_topic("batch");
  constexpr int32_t partitions = 3;
  constexpr int n = 3000;
  // Recent timestamps: the broker's retention (7 days) would delete
  // segments of older ones while the test reads.
  const int64_t base_ts = now_ms() - 60000;
  create_topic(topic, partitions);
  std::vector<client::outgoing_message> out;
  for (int i = 0; i < n; ++i) {
    client::outgoing_message m;
    m.topic = topic;
    m.partition = runnel::partition_id{i % partitions};
    m.key = "k" + std::to_string(i);
    m.value = "value-" + std::to_string(i);
    m.timestamp = runnel::timestamp{base_ts + i};
    if (i % 100 == 0) m.headers = {{"h", "x" + std::to_string(i)}, {"null", std::nullopt}};
    out.push_back(std::move(m));
  }
  produce(out);

  auto c = make_consumer("", true);
  ASSERT_TRUE(c.assign(from_beginning(topic, partitions)));
  std::set<int> seen;
  std::map<int32_t, int64_t> end_at;
  size_t returned = 0, calls = 0;
  constexpr size_t max = 256;
  const bool done = poll_until([&] {
    size_t in_call = 0;
    auto r = c.poll_batch(
        200ms, max,
        [&](const client::message_view& m) {
          ++in_call;
          ASSERT_TRUE(m.key);
          const int i = std::stoi(std::string(m.key->substr(1)));
          EXPECT_TRUE(seen.insert(i).second) << "message " << i << " seen twice";
          EXPECT_EQ(m.topic, topic);
          EXPECT_EQ(m.partition(), i % partitions);
          EXPECT_EQ(m.offset(), i / partitions);  // one producer, in order
          EXPECT_EQ(m.value, std::optional<std::string_view>("value-" + std::to_string(i)));
          EXPECT_EQ(m.timestamp(), base_ts + i);
          EXPECT_EQ(m.ts_type, client::timestamp_type::create_time);
          const auto headers = m.headers();
          if (i % 100 == 0) {
            const std::vector<client::header> want = {{"h", "x" + std::to_string(i)},
                                                      {"null", std::nullopt}};
            EXPECT_EQ(headers, want);
            const client::message copy = m.copy();
            EXPECT_EQ(copy.key, std::optional<std::string>("k" + std::to_string(i)));
            EXPECT_EQ(copy.offset, m.offset);
            EXPECT_EQ(copy.headers, want);
          } else {
            EXPECT_TRUE(headers.empty());
          }
        },
        [&](const client::partition_end& e) {
          EXPECT_EQ(e.topic, topic);
          end_at[e.partition()] = e.offset();
        });
    EXPECT_TRUE(r) << r.error().message;
    if (r) {
      EXPECT_EQ(r.value(), in_call);
      EXPECT_LE(r.value(), max);
      returned += r.value();
    }
    ++calls;
    return seen.size() == n && end_at.size() == partitions && end_at[0] == n / partitions &&
           end_at[1] == n / partitions && end_at[2] == n / partitions;
  });
  EXPECT_TRUE(done) << seen.size() << " of " << n << " messages, " << end_at.size() << " ends";
  EXPECT_EQ(returned, size_t{n});
  // Batches, not one message per call.
  EXPECT_LT(calls, size_t{n / 4});

  // Everything consumed: positions are at the ends.
  auto pos = c.position(all_partitions(topic, partitions));
  ASSERT_TRUE(pos) << pos.error().message;
  EXPECT_EQ(offsets_of(pos.value()), (std::vector<int64_t>{1000, 1000, 1000}));
}

TEST(PollBatch, TimesOutWithNothingAndZeroMaxReturnsAtOnce) {
  const std::string topic = unique_topic("empty");
  create_topic(topic, 1);
  auto c = make_consumer();
  ASSERT_TRUE(c.assign(from_beginning(topic, 1)));
  int calls = 0;
  auto fn = [&](const client::message_view&) { ++calls; };
  auto r = c.poll_batch(300ms, 100, fn);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), 0u);
  auto z = c.poll_batch(0ms, 0, fn);
  ASSERT_TRUE(z);
  EXPECT_EQ(z.value(), 0u);
  EXPECT_EQ(calls, 0);
}

TEST(PauseResume, PauseStopsDeliveryAndResumeRestartsIt) {
  const std::string topic = unique_topic("pause");
  create_topic(topic, 2);
  auto batch = [&](int first, int count) {
    std::vector<client::outgoing_message> out;
    for (int i = first; i < first + count; ++i) {
      client::outgoing_message m;
      m.topic = topic;
      m.partition = runnel::partition_id{i % 2};
      m.value = std::to_string(i);
      out.push_back(std::move(m));
    }
    return out;
  };
  produce(batch(0, 10));
  auto c = make_consumer();
  ASSERT_TRUE(c.assign(from_beginning(topic, 2)));
  const auto tps = all_partitions(topic, 2);

  auto pos = c.position(tps);
  ASSERT_TRUE(pos);
  EXPECT_EQ(offsets_of(pos.value()), (std::vector<int64_t>{-1, -1}));  // nothing handed out yet

  std::vector<std::pair<int32_t, int64_t>> got;
  auto take = [&](const client::message_view& m) { got.push_back({m.partition(), m.offset()}); };
  // One poll_batch; true once `want` messages were taken.
  auto until_got = [&](size_t want) {
    return [&c, &got, &take, want] {
      auto r = c.poll_batch(200ms, 100, take);
      EXPECT_TRUE(r) << r.error().message;
      return got.size() >= want;
    };
  };
  ASSERT_TRUE(poll_until(until_got(10)));
  EXPECT_EQ(got.size(), 10u);
  pos = c.position(tps);
  ASSERT_TRUE(pos);
  EXPECT_EQ(offsets_of(pos.value()), (std::vector<int64_t>{5, 5}));

  // Paused: partition 0's new messages are not handed out; partition 1's are.
  ASSERT_TRUE(c.pause({tps[0]}));
  produce(batch(10, 10));
  got.clear();
  ASSERT_TRUE(poll_until(until_got(5)));
  // A bounded look for stragglers of the paused partition: it has had more
  // than enough time to deliver them (partition 1's arrived already).
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) ASSERT_TRUE(c.poll_batch(100ms, 100, take));
  ASSERT_EQ(got.size(), 5u);
  for (const auto& [p, o] : got) EXPECT_EQ(p, 1);
  pos = c.position(tps);
  ASSERT_TRUE(pos);
  EXPECT_EQ(offsets_of(pos.value()), (std::vector<int64_t>{5, 10}));

  // Resumed: it picks up where it stopped.
  ASSERT_TRUE(c.resume({tps[0]}));
  got.clear();
  ASSERT_TRUE(poll_until(until_got(5)));
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, 0);
    EXPECT_EQ(got[i].second, static_cast<int64_t>(5 + i));
  }
}

TEST(Offsets, CommittedAndPositionFollowConsumingAndCommits) {
  const std::string topic = unique_topic("offsets");
  const std::string group = unique_topic("offsets-group");
  create_topic(topic, 2);
  std::vector<client::outgoing_message> out;
  for (int i = 0; i < 10; ++i) {
    client::outgoing_message m;
    m.topic = topic;
    m.partition = runnel::partition_id{i % 2};
    m.value = "v";
    out.push_back(std::move(m));
  }
  produce(out);
  const auto tps = all_partitions(topic, 2);

  auto c = make_consumer(group);
  ASSERT_TRUE(c.assign(from_beginning(topic, 2)));
  auto committed = c.committed(tps, 10s);
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(offsets_of(committed.value()), (std::vector<int64_t>{-1, -1}));
  EXPECT_EQ(committed.value()[1].topic, topic);
  EXPECT_EQ(committed.value()[1].partition(), 1);

  size_t n = 0;
  ASSERT_TRUE(poll_until([&] {
    n += c.poll_batch(200ms, 100, [](const client::message_view&) {}).value();
    return n >= 10;
  }));
  auto pos = c.position(tps);
  ASSERT_TRUE(pos);
  EXPECT_EQ(offsets_of(pos.value()), (std::vector<int64_t>{5, 5}));

  // commit() takes the offsets poll_batch stored as it handed messages out.
  ASSERT_TRUE(c.commit());
  committed = c.committed(tps, 10s);
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(offsets_of(committed.value()), (std::vector<int64_t>{5, 5}));

  ASSERT_TRUE(c.commit({{topic, runnel::partition_id{0}, runnel::offset{2}}}));
  committed = c.committed(tps, 10s);
  ASSERT_TRUE(committed);
  EXPECT_EQ(offsets_of(committed.value()), (std::vector<int64_t>{2, 5}));
}

// A coordinator that never answers: commit gives up after
// default_api_timeout with a timeout error (Kafka's commitSync throws a
// TimeoutException), instead of holding the caller (a revoke hook inside
// the poll loop, say) until the broker comes back.
TEST(Offsets, CommitGivesUpAfterTheDefaultApiTimeout) {
  const std::string topic = unique_topic("commit-timeout");
  const std::string group = unique_topic("commit-timeout-group");
  create_topic(topic, 1);
  client::consumer_options o;
  o.client = config();
  o.group_id = group;
  o.auto_commit = false;
  o.default_api_timeout = 2s;
  auto made = client::consumer::create(o);
  ASSERT_TRUE(made) << made.error().message;
  auto c = std::move(made).value();
  ASSERT_TRUE(c.assign(from_beginning(topic, 1)));
  // The coordinator is known and answers.
  const std::vector<client::topic_partition_offset> offsets = {
      {topic, runnel::partition_id{0}, runnel::offset{0}}};
  auto first = c.commit(offsets);
  ASSERT_TRUE(first) << first.error().message;

  suspend_broker();
  struct resume_at_exit {
    ~resume_at_exit() { resume_broker(); }
  } resume;
  auto pending = std::async(std::launch::async, [&] { return c.commit(offsets); });
  // Well past the 2 s bound: a commit still waiting then is unbounded. The
  // broker is resumed either way, so the commit returns and the test ends.
  const bool returned = pending.wait_for(60s) == std::future_status::ready;
  resume_broker();
  auto r = pending.get();
  ASSERT_TRUE(returned) << "commit still waiting 60 s after default_api_timeout (2 s)";
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::error_code(-185, client::kafka_category()))  // __TIMED_OUT
      << r.error().message;
  EXPECT_NE(r.error().message.find("default_api_timeout"), std::string::npos) << r.error().message;

  // Once the broker answers again, commits work.
  ASSERT_TRUE(poll_until([&] { return bool(c.commit(offsets)); }));
}

TEST(Offsets, NonPositiveDefaultApiTimeoutIsRefused) {
  client::consumer_options o;
  o.client = config();
  o.default_api_timeout = 0ms;
  auto c = client::consumer::create(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, std::make_error_code(std::errc::invalid_argument));
}

TEST(Offsets, CommittedNeedsAGroup) {
  auto c = make_consumer();
  auto r = c.committed({{"any", runnel::partition_id{0}}}, 1s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::make_error_code(std::errc::invalid_argument));
}

}  // namespace
}  // namespace runnel::test
