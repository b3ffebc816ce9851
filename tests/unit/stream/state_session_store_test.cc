// session_store: (key, start, end) state with an end-time index, its
// changelog, expiry, restore and reopen.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "state_temp_dir.h"
#include "stream/state/changelog_codec.h"
#include "stream/state/errc.h"
#include "stream/state/session_store.h"

namespace runnel::stream::state {
namespace {

using testing::change;
using testing::temp_dir;
using session = std::tuple<std::string, int64_t, int64_t, std::string>;  // key, start, end, value
using sessions = std::vector<session>;

constexpr int64_t min_time = std::numeric_limits<int64_t>::min();
constexpr int64_t max_time = std::numeric_limits<int64_t>::max();

change_logger capture(std::vector<change>& into) {
  return [&into](std::string_view k, std::optional<std::string_view> v) {
    into.push_back({std::string(k), v ? std::optional<std::string>(*v) : std::nullopt});
  };
}

std::unique_ptr<session_store> open(const std::filesystem::path& dir, change_logger log = {}) {
  auto r = open_session_store(dir, std::move(log));
  EXPECT_TRUE(r) << r.error().message();
  return r ? std::move(r.value()) : nullptr;
}

sessions find(session_store& s, std::string_view key, int64_t earliest_end = min_time,
              int64_t latest_start = max_time) {
  sessions out;
  s.find(key, earliest_end, latest_start, [&](int64_t start, int64_t end, std::string_view v) {
    out.emplace_back(std::string(key), start, end, std::string(v));
    return true;
  });
  return out;
}

sessions fetch_ended(session_store& s, int64_t from = min_time, int64_t to = max_time) {
  sessions out;
  s.fetch_ended(from, to, [&](std::string_view k, int64_t start, int64_t end, std::string_view v) {
    out.emplace_back(std::string(k), start, end, std::string(v));
    return true;
  });
  return out;
}

TEST(state_session_store, find_returns_overlapping_sessions_by_end) {
  temp_dir tmp;
  auto s = open(tmp / "s");
  ASSERT_TRUE(s);
  s->put("k", 40, 50, "c");
  s->put("k", 0, 10, "a");
  s->put("k", 20, 30, "b");
  s->put("k", -30, -20, "neg");
  s->put("k2", 0, 100, "other key");
  s->put("", 5, 5, "empty key");

  // A record at time 25 with a 5 ms gap merges sessions ending at >= 20 and
  // starting at <= 30.
  EXPECT_EQ(find(*s, "k", 20, 30), (sessions{{"k", 20, 30, "b"}}));
  EXPECT_EQ(find(*s, "k", 15, 45), (sessions{{"k", 20, 30, "b"}, {"k", 40, 50, "c"}}));
  EXPECT_EQ(find(*s, "k", -25, 0), (sessions{{"k", -30, -20, "neg"}, {"k", 0, 10, "a"}}));
  EXPECT_EQ(
      find(*s, "k"),
      (sessions{
          {"k", -30, -20, "neg"}, {"k", 0, 10, "a"}, {"k", 20, 30, "b"}, {"k", 40, 50, "c"}}));
  EXPECT_TRUE(find(*s, "k", 51, max_time).empty());
  EXPECT_TRUE(find(*s, "k", min_time, -31).empty());
  EXPECT_EQ(find(*s, "k2", 50, 50), (sessions{{"k2", 0, 100, "other key"}}));
  EXPECT_EQ(find(*s, ""), (sessions{{"", 5, 5, "empty key"}}));
  EXPECT_TRUE(find(*s, "missing").empty());
}

TEST(state_session_store, merging_replaces_sessions) {
  temp_dir tmp;
  std::vector<change> log;
  auto s = open(tmp / "s", capture(log));
  ASSERT_TRUE(s);
  s->put("k", 0, 10, "2");
  s->put("k", 14, 20, "3");
  // A record at 12 bridges both: the processor removes them and puts the merge.
  for (const auto& [k, start, end, v] : find(*s, "k", 12 - 5, 12 + 5)) s->remove(k, start, end);
  s->put("k", 0, 20, "6");
  EXPECT_EQ(find(*s, "k"), (sessions{{"k", 0, 20, "6"}}));
  EXPECT_EQ(fetch_ended(*s), (sessions{{"k", 0, 20, "6"}}));
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[2], (change{encode_session_key({"k", 0, 10}), std::nullopt}));
  EXPECT_EQ(log[3], (change{encode_session_key({"k", 14, 20}), std::nullopt}));
  EXPECT_EQ(log[4], (change{encode_session_key({"k", 0, 20}), "6"}));
}

TEST(state_session_store, fetch_ended_orders_by_end_across_keys) {
  temp_dir tmp;
  auto s = open(tmp / "s");
  ASSERT_TRUE(s);
  s->put("b", 0, 10, "b10");
  s->put("a", 5, 10, "a10");
  s->put("a", 1, 10, "a10early");
  s->put("c", -9, -5, "c-5");
  s->put("a", 20, 30, "a30");
  EXPECT_EQ(fetch_ended(*s), (sessions{{"c", -9, -5, "c-5"},
                                       {"a", 1, 10, "a10early"},
                                       {"a", 5, 10, "a10"},
                                       {"b", 0, 10, "b10"},
                                       {"a", 20, 30, "a30"}}));
  EXPECT_EQ(fetch_ended(*s, 10, 29),
            (sessions{{"a", 1, 10, "a10early"}, {"a", 5, 10, "a10"}, {"b", 0, 10, "b10"}}));
  EXPECT_EQ(fetch_ended(*s, 11, max_time), (sessions{{"a", 20, 30, "a30"}}));
  EXPECT_TRUE(fetch_ended(*s, 31, max_time).empty());
}

TEST(state_session_store, expire_drops_ended_sessions_locally_only) {
  temp_dir tmp;
  std::vector<change> log;
  auto s = open(tmp / "s", capture(log));
  ASSERT_TRUE(s);
  s->put("a", -10, -1, "old");
  s->put("a", 0, 100, "long");  // started early, ends late: kept
  s->put("b", 5, 9, "short");
  const size_t logged = log.size();
  s->expire(10);
  EXPECT_EQ(log.size(), logged);
  EXPECT_EQ(find(*s, "a"), (sessions{{"a", 0, 100, "long"}}));
  EXPECT_TRUE(find(*s, "b").empty());
  EXPECT_EQ(fetch_ended(*s), (sessions{{"a", 0, 100, "long"}}));
  s->expire(10);
  s->expire(100);
  EXPECT_EQ(fetch_ended(*s).size(), 1u);
  s->expire(101);
  EXPECT_TRUE(fetch_ended(*s).empty());
  EXPECT_TRUE(s->flush());
}

TEST(state_session_store, restore_rebuilds_primary_and_index) {
  temp_dir tmp;
  std::vector<change> log;
  {
    auto s = open(tmp / "a", capture(log));
    ASSERT_TRUE(s);
    for (int i = 0; i < 200; ++i) {
      const std::string key = "user" + std::to_string(i % 7);
      const int64_t start = (i % 17 - 8) * 100;
      s->put(key, start, start + (i % 5) * 10, "v" + std::to_string(i));
      if (i % 4 == 0) s->remove(key, start, start + (i % 5) * 10);
    }
    ASSERT_TRUE(s->close());
  }
  auto original = open(tmp / "a");
  ASSERT_TRUE(original);
  const sessions expected = fetch_ended(*original);
  ASSERT_FALSE(expected.empty());

  std::vector<change> relogged;
  auto restored = open(tmp / "b", capture(relogged));
  ASSERT_TRUE(restored);
  for (const auto& c : log) ASSERT_TRUE(restored->restore(c.key, c.value));
  EXPECT_TRUE(relogged.empty());
  EXPECT_EQ(fetch_ended(*restored), expected);
  for (int k = 0; k < 7; ++k) {
    const std::string key = "user" + std::to_string(k);
    EXPECT_EQ(find(*restored, key), find(*original, key)) << key;
  }
}

TEST(state_session_store, malformed_changelog_key_is_an_error) {
  temp_dir tmp;
  auto s = open(tmp / "s");
  ASSERT_TRUE(s);
  auto r = s->restore(encode_window_key({"k", 1, 0}), "v");  // a window key is 4 bytes short
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), state_errc::bad_changelog_key);
  EXPECT_FALSE(s->restore("x", std::nullopt));
  EXPECT_TRUE(fetch_ended(*s).empty());
  ASSERT_TRUE(s->restore(encode_session_key({"k", 1, 2}), "v"));
  EXPECT_EQ(find(*s, "k"), (sessions{{"k", 1, 2, "v"}}));
}

TEST(state_session_store, reopen_keeps_sessions) {
  temp_dir tmp;
  {
    auto s = open(tmp / "s");
    ASSERT_TRUE(s);
    s->put("a", -5, 5, "x");
    s->put("b", 1, 2, "y");
    ASSERT_TRUE(s->close());
  }
  auto s = open(tmp / "s");
  ASSERT_TRUE(s);
  EXPECT_EQ(fetch_ended(*s), (sessions{{"b", 1, 2, "y"}, {"a", -5, 5, "x"}}));
  EXPECT_EQ(find(*s, "a", 0, 0), (sessions{{"a", -5, 5, "x"}}));
}

}  // namespace
}  // namespace runnel::stream::state
