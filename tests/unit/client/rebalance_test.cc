// consumer_options::on_rebalance against a real broker: the order of hook
// and (un)assignment, committing from inside a revoke, eager (range) and
// cooperative (cooperative-sticky) protocols, and the revoke on close.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client_test_env.h"
#include "runnel/client/consumer.h"

namespace runnel::test {
namespace {

using namespace std::chrono_literals;
using client::rebalance_event;
using kind = client::rebalance_event::kind;

std::set<int32_t> ids(const std::vector<client::topic_partition>& v) {
  std::set<int32_t> out;
  for (const auto& tp : v) out.insert(tp.partition());
  return out;
}

// One group member, with what its hook saw. Held by unique_ptr: the hook
// points at it.
struct member {
  std::optional<client::consumer> c;
  std::vector<rebalance_event> events;           // non-empty ones, in order
  std::vector<std::string> problems;             // what the hook found wrong
  std::map<int32_t, std::vector<int64_t>> seen;  // since the last revoke
  // What to do on revoke, before the partitions go.
  std::function<void(member&, const rebalance_event&)> on_revoke;

  // Closing runs the revoke hook, which uses the fields above: close while
  // they still exist.
  ~member() {
    if (c) (void)c->close();
  }

  void hook(const rebalance_event& e) {
    auto assigned = c->assignment();
    if (!assigned) {
      problems.push_back("assignment(): " + assigned.error().message);
      return;
    }
    const auto now = ids(assigned.value());
    for (int32_t p : ids(e.partitions)) {
      // assigned: assign ran before the hook; revoked: unassign runs after.
      if (!now.count(p))
        problems.push_back("partition " + std::to_string(p) + " not assigned in hook");
    }
    if (e.what != kind::assigned) {
      if (on_revoke) on_revoke(*this, e);
      for (const auto& tp : e.partitions) seen.erase(tp.partition());
    }
    if (!e.partitions.empty()) events.push_back(e);
  }

  void poll() {
    auto r = c->poll_batch(100ms, 500, [this](const client::message_view& m) {
      seen[m.partition()].push_back(m.offset());
    });
    if (!r) problems.push_back("poll_batch: " + r.error().message);
  }

  size_t seen_count() const {
    size_t n = 0;
    for (const auto& [p, v] : seen) n += v.size();
    return n;
  }
};

std::unique_ptr<member> join(const std::string& group, const std::string& topic,
                             const std::string& strategy) {
  auto m = std::make_unique<member>();
  client::consumer_options o;
  o.client = config();
  o.client.properties = {{"partition.assignment.strategy", strategy},
                         {"heartbeat.interval.ms", "300"}};
  o.group_id = group;
  o.auto_commit = false;
  o.auto_offset_reset = "earliest";
  member* self = m.get();
  o.on_rebalance = [self](const rebalance_event& e) { self->hook(e); };
  auto c = client::consumer::create(o);
  EXPECT_TRUE(c) << c.error().message;
  m->c.emplace(std::move(c).value());
  EXPECT_TRUE(m->c->subscribe({topic}));
  return m;
}

void fill(const std::string& topic, int32_t partitions, int per_partition) {
  std::vector<client::outgoing_message> out;
  for (int32_t p = 0; p < partitions; ++p) {
    for (int i = 0; i < per_partition; ++i) {
      client::outgoing_message m;
      m.topic = topic;
      m.partition = runnel::partition_id{p};
      m.value = std::to_string(i);
      out.push_back(std::move(m));
    }
  }
  produce(out);
}

// Revoke hook of the tests below: commit offset 7 in every revoked
// partition, synchronously, from inside the hook.
void commit_seven(member& m, const rebalance_event& e) {
  std::vector<client::topic_partition_offset> offsets;
  for (const auto& tp : e.partitions)
    offsets.push_back({tp.topic, tp.partition, runnel::offset{7}});
  if (auto r = m.c->commit(offsets); !r)
    m.problems.push_back("commit in revoke: " + r.error().message);
}

TEST(Rebalance, EagerRangeRevokesCommitsThenSplitsPartitions) {
  const std::string topic = unique_topic("eager");
  const std::string group = unique_topic("eager-group");
  create_topic(topic, 4);
  fill(topic, 4, 10);

  auto a = join(group, topic, "range");
  a->on_revoke = commit_seven;
  ASSERT_TRUE(poll_until([&] {
    a->poll();
    return a->seen_count() == 40;
  })) << a->seen_count();
  ASSERT_EQ(a->events.size(), 1u);
  EXPECT_EQ(a->events[0].what, kind::assigned);
  EXPECT_EQ(ids(a->events[0].partitions), (std::set<int32_t>{0, 1, 2, 3}));

  // A second member: the group rebalances. Eager: a revokes all four (and
  // commits 7 in each), then each member gets two.
  auto b = join(group, topic, "range");
  b->on_revoke = commit_seven;
  ASSERT_TRUE(poll_until([&] {
    a->poll();
    b->poll();
    return a->events.size() >= 3 && b->events.size() >= 1 && a->seen_count() >= 6 &&
           b->seen_count() >= 6;
  })) << a->events.size()
      << " " << b->events.size();
  EXPECT_EQ(a->problems, std::vector<std::string>{});
  EXPECT_EQ(b->problems, std::vector<std::string>{});

  ASSERT_EQ(a->events.size(), 3u);
  EXPECT_EQ(a->events[1].what, kind::revoked);
  EXPECT_EQ(ids(a->events[1].partitions), (std::set<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(a->events[2].what, kind::assigned);
  ASSERT_EQ(b->events.size(), 1u);
  EXPECT_EQ(b->events[0].what, kind::assigned);
  const auto mine = ids(a->events[2].partitions), theirs = ids(b->events[0].partitions);
  EXPECT_EQ(mine.size(), 2u);
  EXPECT_EQ(theirs.size(), 2u);
  std::set<int32_t> both = mine;
  both.insert(theirs.begin(), theirs.end());
  EXPECT_EQ(both, (std::set<int32_t>{0, 1, 2, 3}));

  // Both start from what a committed inside its revoke hook: offset 7.
  const std::vector<int64_t> tail = {7, 8, 9};
  for (int32_t p : mine) EXPECT_EQ(a->seen[p], tail) << "partition " << p;
  for (int32_t p : theirs) EXPECT_EQ(b->seen[p], tail) << "partition " << p;

  std::vector<client::topic_partition> all;
  for (int32_t p = 0; p < 4; ++p) all.push_back({topic, runnel::partition_id{p}});
  auto committed = b->c->committed(all, 10s);
  ASSERT_TRUE(committed) << committed.error().message;
  for (const auto& o : committed.value()) EXPECT_EQ(o.offset(), 7) << o.partition();
}

TEST(Rebalance, CooperativeStickyMovesOnlyWhatChangesOwner) {
  const std::string topic = unique_topic("coop");
  const std::string group = unique_topic("coop-group");
  create_topic(topic, 4);
  fill(topic, 4, 10);

  auto a = join(group, topic, "cooperative-sticky");
  a->on_revoke = commit_seven;
  ASSERT_TRUE(poll_until([&] {
    a->poll();
    return a->seen_count() == 40;
  })) << a->seen_count();

  auto b = join(group, topic, "cooperative-sticky");
  ASSERT_TRUE(poll_until([&] {
    a->poll();
    b->poll();
    return a->events.size() >= 2 && b->events.size() >= 1 && b->seen_count() >= 6;
  })) << a->events.size()
      << " " << b->events.size();
  EXPECT_EQ(a->problems, std::vector<std::string>{});
  EXPECT_EQ(b->problems, std::vector<std::string>{});

  // a gives up just the two partitions b takes, and keeps reading the rest
  // without a revoke (so without re-reading them).
  ASSERT_EQ(a->events.size(), 2u);
  EXPECT_EQ(a->events[0].what, kind::assigned);
  EXPECT_EQ(ids(a->events[0].partitions), (std::set<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(a->events[1].what, kind::revoked);
  ASSERT_EQ(b->events.size(), 1u);
  EXPECT_EQ(b->events[0].what, kind::assigned);
  EXPECT_EQ(ids(a->events[1].partitions), ids(b->events[0].partitions));
  EXPECT_EQ(ids(b->events[0].partitions).size(), 2u);

  auto kept = a->c->assignment();
  ASSERT_TRUE(kept);
  std::set<int32_t> both = ids(kept.value());
  EXPECT_EQ(both.size(), 2u);
  for (int32_t p : ids(b->events[0].partitions)) {
    EXPECT_EQ(both.count(p), 0u);
    both.insert(p);
    EXPECT_EQ(b->seen[p], (std::vector<int64_t>{7, 8, 9})) << "partition " << p;
  }
  EXPECT_EQ(both, (std::set<int32_t>{0, 1, 2, 3}));
  for (int32_t p : ids(kept.value())) EXPECT_EQ(a->seen[p].size(), 10u) << "partition " << p;
}

TEST(Rebalance, CloseRunsTheRevokeHookWhichMayCommit) {
  const std::string topic = unique_topic("close");
  const std::string group = unique_topic("close-group");
  create_topic(topic, 2);
  fill(topic, 2, 5);

  auto a = join(group, topic, "range");
  // What a stream task does on revoke: commit how far it got.
  a->on_revoke = [](member& m, const rebalance_event& e) {
    auto pos = m.c->position(e.partitions);
    if (!pos) {
      m.problems.push_back("position: " + pos.error().message);
      return;
    }
    if (auto r = m.c->commit(pos.value()); !r) m.problems.push_back("commit: " + r.error().message);
  };
  ASSERT_TRUE(poll_until([&] {
    a->poll();
    return a->seen_count() == 10;
  }));
  ASSERT_TRUE(a->c->close());
  EXPECT_EQ(a->problems, std::vector<std::string>{});
  ASSERT_EQ(a->events.size(), 2u);
  EXPECT_EQ(a->events[1].what, kind::revoked);

  client::consumer_options o;
  o.client = config();
  o.group_id = group;
  auto other = client::consumer::create(o);
  ASSERT_TRUE(other);
  auto committed = other.value().committed(
      {{topic, runnel::partition_id{0}}, {topic, runnel::partition_id{1}}}, 10s);
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(committed.value()[0].offset(), 5);
  EXPECT_EQ(committed.value()[1].offset(), 5);
}

}  // namespace
}  // namespace runnel::test

namespace runnel::test {
namespace {

// A rebalance while plenty is fetched and queued: whichever call serves it
// (poll_batch's wait or its batch), no message of a partition is handed out
// while the member does not own it, the revoke hook's positions count every
// message handed out before it, and together the members read everything.
TEST(Rebalance, NoMessageOfAPartitionOutsideItsOwnershipUnderLoad) {
  const std::string topic = unique_topic("load");
  const std::string group = unique_topic("load-group");
  constexpr int32_t partitions = 4;
  constexpr int per_partition = 20000;
  create_topic(topic, partitions);
  fill(topic, partitions, per_partition);

  struct owner_state {
    std::set<int32_t> owned;
    std::map<int32_t, int64_t> next;  // offset after the last one handed out
    std::vector<std::string> problems;
  };
  std::map<int32_t, std::set<int64_t>> read;  // by anyone
  auto make = [&](owner_state& st) {
    client::consumer_options o;
    o.client = config();
    o.client.properties = {{"partition.assignment.strategy", "range"},
                           {"heartbeat.interval.ms", "300"}};
    o.group_id = group;
    o.auto_commit = false;
    o.auto_offset_reset = "earliest";
    auto holder = std::make_shared<client::consumer*>(nullptr);
    o.on_rebalance = [&st, holder](const rebalance_event& e) {
      for (const auto& tp : e.partitions) {
        const int32_t p = tp.partition();
        if (e.what == kind::assigned) {
          st.owned.insert(p);
          st.next.erase(p);
          continue;
        }
        st.owned.erase(p);
      }
      if (e.what == kind::assigned) return;
      auto pos = (*holder)->position(e.partitions);
      if (!pos) {
        st.problems.push_back(pos.error().message);
        return;
      }
      std::vector<client::topic_partition_offset> commit;
      for (const auto& o : pos.value()) {
        auto it = st.next.find(o.partition());
        if (it == st.next.end()) continue;
        if (o.offset() != it->second) {
          st.problems.push_back("position " + std::to_string(o.offset()) + " != next " +
                                std::to_string(it->second) + " in hook");
        }
        commit.push_back(o);
      }
      if (!commit.empty()) {
        if (auto r = (*holder)->commit(commit); !r) st.problems.push_back(r.error().message);
      }
    };
    auto c = client::consumer::create(o);
    EXPECT_TRUE(c) << c.error().message;
    auto owned = std::make_unique<client::consumer>(std::move(c).value());
    *holder = owned.get();
    EXPECT_TRUE(owned->subscribe({topic}));
    return owned;
  };
  auto poll = [&](client::consumer& c, owner_state& st) {
    auto r = c.poll_batch(50ms, 300, [&](const client::message_view& m) {
      const int32_t p = m.partition();
      if (!st.owned.count(p))
        st.problems.push_back("message of unowned partition " + std::to_string(p));
      st.next[p] = m.offset() + 1;
      read[p].insert(m.offset());
    });
    if (!r) st.problems.push_back(r.error().message);
  };
  auto total = [&] {
    size_t n = 0;
    for (const auto& [p, s] : read) n += s.size();
    return n;
  };

  owner_state sa, sb;
  auto a = make(sa);
  ASSERT_TRUE(poll_until([&] {
    poll(*a, sa);
    return total() >= 2000;
  }));
  auto b = make(sb);
  ASSERT_TRUE(poll_until([&] {
    poll(*a, sa);
    poll(*b, sb);
    return total() == size_t{partitions} * per_partition;
  })) << total();
  EXPECT_EQ(sa.problems, std::vector<std::string>{});
  EXPECT_EQ(sb.problems, std::vector<std::string>{});
  EXPECT_EQ(sa.owned.size(), 2u);
  EXPECT_EQ(sb.owned.size(), 2u);
  a.reset();
  b.reset();
}

}  // namespace
}  // namespace runnel::test
