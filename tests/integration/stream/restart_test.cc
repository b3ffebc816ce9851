// Restarts against a real broker: an app with a count stops cleanly and
// starts again on the same state directory, then on a wiped one (its state
// restored from the changelog topic); the counts continue with no update
// lost or repeated.
#include <gtest/gtest.h>

#include <map>

#include "broker_fixture.h"

namespace runnel::stream::it {
namespace {

class restart : public broker_fixture {};

topology counting(const std::string& in, const std::string& out) {
  builder b;
  b.stream<std::string, std::string>(in)
      .group_by_key()
      .count(materialized<int64_t>{"counts", std::nullopt})
      .to_stream()
      .to(out);
  return b.build();
}

TEST_F(restart, counts_continue_after_a_clean_restart_and_from_the_changelog) {
  std::string in = unique("in"), out = unique("out"), id = unique("app");
  create_topic(in);
  create_topic(out);
  const int64_t t0 = base_time();
  int64_t ts = t0;
  auto records = [&](std::vector<std::string> keys) {
    std::vector<input> r;
    for (auto& k : keys) r.push_back({in, k, "v", ++ts, 0});
    return r;
  };
  auto c = config(id);

  {
    running_app app(counting(in, out), c);
    produce(records({"a", "a", "b", "a", "a", "b", "a", "b"}));
    wait_caught_up(id, {in});
    ASSERT_TRUE(app.stop());
  }
  {
    running_app app(counting(in, out), c);  // same state dir: from the checkpoint
    produce(records({"a", "c", "a"}));
    wait_caught_up(id, {in});
    ASSERT_TRUE(app.stop());
  }
  std::filesystem::remove_all(c.state_dir);
  {
    running_app app(counting(in, out), c);  // no local state: from the changelog
    produce(records({"a", "b", "c"}));
    wait_caught_up(id, {in});
    ASSERT_TRUE(app.stop());
  }

  // Every update exactly once, in order: 1..n per key.
  std::map<std::string, std::vector<int64_t>> seen;
  for (const auto& o : read_all(out)) {
    auto n = serdes::int64().deserialize(o.value.value_or(""), nullptr);
    ASSERT_TRUE(n);
    seen[o.key.value_or("")].push_back(*n);
  }
  EXPECT_EQ(seen["a"], (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(seen["b"], (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(seen["c"], (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace runnel::stream::it
