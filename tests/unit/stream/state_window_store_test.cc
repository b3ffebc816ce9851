// window_store: (key, time, seq) state with a time index, its changelog,
// expiry, restore and reopen.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "state_temp_dir.h"
#include "stream/state/changelog_codec.h"
#include "stream/state/errc.h"
#include "stream/state/window_store.h"

namespace runnel::stream::state {
namespace {

using testing::change;
using testing::temp_dir;
using entry = std::tuple<std::string, int64_t, uint32_t, std::string>;  // key, time, seq, value
using entries = std::vector<entry>;

constexpr int64_t min_time = std::numeric_limits<int64_t>::min();
constexpr int64_t max_time = std::numeric_limits<int64_t>::max();

change_logger capture(std::vector<change>& into) {
  return [&into](std::string_view k, std::optional<std::string_view> v) {
    into.push_back({std::string(k), v ? std::optional<std::string>(*v) : std::nullopt});
  };
}

std::unique_ptr<window_store> open(const std::filesystem::path& dir, change_logger log = {}) {
  auto r = open_window_store(dir, std::move(log));
  EXPECT_TRUE(r) << r.error().message();
  return r ? std::move(r.value()) : nullptr;
}

entries fetch(window_store& s, std::string_view key, int64_t from = min_time,
              int64_t to = max_time) {
  entries out;
  s.fetch(key, from, to, [&](int64_t t, uint32_t seq, std::string_view v) {
    out.emplace_back(std::string(key), t, seq, std::string(v));
    return true;
  });
  return out;
}

entries fetch_all(window_store& s, int64_t from = min_time, int64_t to = max_time) {
  entries out;
  s.fetch_all(from, to, [&](std::string_view k, int64_t t, uint32_t seq, std::string_view v) {
    out.emplace_back(std::string(k), t, seq, std::string(v));
    return true;
  });
  return out;
}

TEST(state_window_store, fetch_by_key_orders_negative_times_first) {
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  for (int64_t t : std::initializer_list<int64_t>{5000, -1, 0, -5000, 1, min_time, max_time})
    s->put("a", t, "a@" + std::to_string(t));
  // "ab" starts with "a" and "" is empty: neither may leak into fetch("a").
  s->put("ab", 0, "ab@0");
  s->put("", 0, "empty@0");
  s->put("b", -1, "b@-1");

  EXPECT_EQ(fetch(*s, "a", -1, 1),
            (entries{{"a", -1, 0, "a@-1"}, {"a", 0, 0, "a@0"}, {"a", 1, 0, "a@1"}}));
  const entries all_a = fetch(*s, "a");
  ASSERT_EQ(all_a.size(), 7u);
  std::vector<int64_t> times;
  for (const auto& e : all_a) times.push_back(std::get<1>(e));
  EXPECT_EQ(times, (std::vector<int64_t>{min_time, -5000, -1, 0, 1, 5000, max_time}));
  EXPECT_EQ(fetch(*s, "ab"), (entries{{"ab", 0, 0, "ab@0"}}));
  EXPECT_EQ(fetch(*s, ""), (entries{{"", 0, 0, "empty@0"}}));
  EXPECT_TRUE(fetch(*s, "a", 2, 4999).empty());
  EXPECT_TRUE(fetch(*s, "a", 1, 0).empty());
  EXPECT_TRUE(fetch(*s, "c").empty());

  EXPECT_EQ(s->get("a", -5000), "a@-5000");
  EXPECT_EQ(s->get("a", -5001), std::nullopt);
  EXPECT_EQ(s->get("a", -5000, 1), std::nullopt);
}

TEST(state_window_store, seq_keeps_entries_with_the_same_key_and_time_apart) {
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  s->put("k", 10, "second", 1);
  s->put("k", 10, "first", 0);
  s->put("k", 10, "third", 2);
  s->put("k", 9, "earlier", 7);
  EXPECT_EQ(fetch(*s, "k", 10, 10),
            (entries{{"k", 10, 0, "first"}, {"k", 10, 1, "second"}, {"k", 10, 2, "third"}}));
  EXPECT_EQ(s->get("k", 10, 2), "third");
  s->remove("k", 10, 1);
  EXPECT_EQ(fetch(*s, "k"),
            (entries{{"k", 9, 7, "earlier"}, {"k", 10, 0, "first"}, {"k", 10, 2, "third"}}));
  EXPECT_EQ(fetch_all(*s), fetch(*s, "k"));
}

TEST(state_window_store, fetch_all_orders_by_time_then_key_then_seq) {
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  s->put("bb", 0, "bb0");
  s->put("c", 0, "c0");
  s->put("a", 0, "a0s1", 1);
  s->put("a", 0, "a0");
  s->put("z", -10, "z-10");
  s->put("a", 10, "a10");
  s->put("a", max_time, "amax");
  // Same time: shorter keys first (the index is key-length | key), then
  // bytes, then seq.
  EXPECT_EQ(fetch_all(*s), (entries{{"z", -10, 0, "z-10"},
                                    {"a", 0, 0, "a0"},
                                    {"a", 0, 1, "a0s1"},
                                    {"c", 0, 0, "c0"},
                                    {"bb", 0, 0, "bb0"},
                                    {"a", 10, 0, "a10"},
                                    {"a", max_time, 0, "amax"}}));
  EXPECT_EQ(fetch_all(*s, -10, -10), (entries{{"z", -10, 0, "z-10"}}));
  EXPECT_EQ(fetch_all(*s, 1, 10), (entries{{"a", 10, 0, "a10"}}));
  EXPECT_EQ(fetch_all(*s, 11, max_time), (entries{{"a", max_time, 0, "amax"}}));
  EXPECT_TRUE(fetch_all(*s, 1, 9).empty());

  int visited = 0;
  s->fetch_all(min_time, max_time, [&](std::string_view, int64_t, uint32_t, std::string_view) {
    return ++visited < 3;
  });
  EXPECT_EQ(visited, 3);
}

TEST(state_window_store, read_modify_write_keeps_the_index) {
  // put() after a get() that found the entry skips rewriting the index
  // entry; every write in between must make it write the index again.
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  const entries expected_4{{"k", 1, 0, "4"}};
  s->put("k", 1, "1");
  ASSERT_EQ(s->get("k", 1), "1");
  s->put("k", 1, "2");
  EXPECT_EQ(fetch_all(*s), (entries{{"k", 1, 0, "2"}}));

  ASSERT_TRUE(s->get("k", 1));
  s->remove("k", 1);
  s->put("k", 1, "3");
  EXPECT_EQ(fetch_all(*s), (entries{{"k", 1, 0, "3"}}));

  ASSERT_TRUE(s->get("k", 1));
  s->expire(2);
  s->put("k", 1, "4");
  EXPECT_EQ(fetch_all(*s), expected_4);

  ASSERT_TRUE(s->get("k", 1));
  ASSERT_TRUE(s->restore(encode_window_key({"k", 1, 0}), std::nullopt));
  s->put("k", 1, "4");
  EXPECT_EQ(fetch_all(*s), expected_4);
}

TEST(state_window_store, emit_final_scan_may_remove_what_it_visits) {
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  for (int64_t t = 0; t < 5; ++t) s->put("k" + std::to_string(t % 2), t * 10, "v");
  int visited = 0;
  s->fetch_all(0, 20, [&](std::string_view k, int64_t t, uint32_t seq, std::string_view) {
    ++visited;
    s->remove(k, t, seq);
    s->remove("k1", 10);  // also one that the scan has yet to reach
    return true;
  });
  EXPECT_EQ(visited, 3);  // a scan sees the store as it was when it began
  EXPECT_EQ(fetch_all(*s), (entries{{"k1", 30, 0, "v"}, {"k0", 40, 0, "v"}}));
  EXPECT_TRUE(s->flush());
}

TEST(state_window_store, expire_drops_old_entries_locally_only) {
  temp_dir tmp;
  std::vector<change> log;
  auto s = open(tmp / "w", capture(log));
  ASSERT_TRUE(s);
  for (int64_t t = -3; t <= 3; ++t) s->put("k", t, std::to_string(t));
  const size_t logged = log.size();

  s->expire(0);
  EXPECT_EQ(log.size(), logged);  // expiry is not logged
  EXPECT_EQ(fetch(*s, "k"),
            (entries{{"k", 0, 0, "0"}, {"k", 1, 0, "1"}, {"k", 2, 0, "2"}, {"k", 3, 0, "3"}}));
  EXPECT_EQ(fetch_all(*s), fetch(*s, "k"));
  EXPECT_EQ(s->get("k", -1), std::nullopt);

  s->expire(0);   // nothing old enough
  s->expire(-5);  // behind what was already expired
  EXPECT_EQ(fetch_all(*s).size(), 4u);

  // An entry older than the last expiry (a late write) is still found and
  // expired later.
  s->put("late", -100, "late");
  EXPECT_EQ(fetch_all(*s, min_time, -1), (entries{{"late", -100, 0, "late"}}));
  s->expire(2);
  EXPECT_EQ(fetch_all(*s), (entries{{"k", 2, 0, "2"}, {"k", 3, 0, "3"}}));
  EXPECT_EQ(fetch(*s, "late"), entries{});
  EXPECT_TRUE(s->flush());
}

TEST(state_window_store, expire_spanning_several_batches) {
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  for (int64_t t = 0; t < 3000; ++t) s->put("k" + std::to_string(t % 7), t, "v");
  s->expire(2500);
  EXPECT_EQ(fetch_all(*s).size(), 500u);
  EXPECT_EQ(fetch(*s, "k0", 0, 2499), entries{});
  EXPECT_EQ(std::get<1>(fetch_all(*s).front()), 2500);
  // Batches end at 1023 and 2047: nothing around the seams survives or is
  // lost, in the index or the primary.
  for (int64_t t : {1022, 1023, 1024, 2047, 2048, 2499})
    EXPECT_EQ(s->get("k" + std::to_string(t % 7), t), std::nullopt);
  EXPECT_EQ(fetch(*s, "k0", 2500, 3000).size(), 71u);  // 2506, 2513, ..., 2996
  s->put("k0", 1023, "back");
  EXPECT_EQ(fetch_all(*s, 0, 2499), (entries{{"k0", 1023, 0, "back"}}));
  EXPECT_TRUE(s->flush());  // no index entry without its value
}

TEST(state_window_store, logger_sees_decodable_puts_and_tombstones) {
  temp_dir tmp;
  std::vector<change> log;
  auto s = open(tmp / "w", capture(log));
  ASSERT_TRUE(s);
  s->put("k", -7, "v1", 3);
  s->remove("k", -7, 3);
  (void)s->get("k", -7, 3);
  (void)fetch_all(*s);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].key, encode_window_key({"k", -7, 3}));
  EXPECT_EQ(log[0].value, "v1");
  EXPECT_EQ(log[1].key, log[0].key);
  EXPECT_EQ(log[1].value, std::nullopt);
  EXPECT_EQ(decode_window_key(log[0].key), (window_key{"k", -7, 3}));
}

TEST(state_window_store, restore_rebuilds_primary_and_index) {
  temp_dir tmp;
  std::vector<change> log;
  {
    auto s = open(tmp / "a", capture(log));
    ASSERT_TRUE(s);
    for (int i = 0; i < 300; ++i) {
      const std::string key = "user" + std::to_string(i % 11);
      const int64_t time = (i % 13 - 6) * 1000;  // negative and positive windows
      s->put(key, time, "count" + std::to_string(i), static_cast<uint32_t>(i % 3));
      if (i % 5 == 0) s->remove(key, time, static_cast<uint32_t>(i % 3));
    }
    ASSERT_TRUE(s->close());
  }
  auto original = open(tmp / "a");
  ASSERT_TRUE(original);
  const entries expected = fetch_all(*original);
  ASSERT_FALSE(expected.empty());

  std::vector<change> relogged;
  auto restored = open(tmp / "b", capture(relogged));
  ASSERT_TRUE(restored);
  for (const auto& c : log) ASSERT_TRUE(restored->restore(c.key, c.value));
  EXPECT_TRUE(relogged.empty());
  EXPECT_EQ(fetch_all(*restored), expected);  // through the index
  for (int k = 0; k < 11; ++k) {              // through the primary keys
    const std::string key = "user" + std::to_string(k);
    EXPECT_EQ(fetch(*restored, key), fetch(*original, key)) << key;
  }

  // A compacted changelog (last record per key, tombstones dropped) restores
  // the same store.
  std::map<std::string, std::optional<std::string>> compacted;
  for (const auto& c : log) compacted[c.key] = c.value;
  auto from_compacted = open(tmp / "c");
  ASSERT_TRUE(from_compacted);
  for (const auto& [k, v] : compacted) {
    if (!v) continue;
    ASSERT_TRUE(from_compacted->restore(k, *v));
  }
  EXPECT_EQ(fetch_all(*from_compacted), expected);
}

TEST(state_window_store, malformed_changelog_key_is_an_error) {
  temp_dir tmp;
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  for (std::string_view bad :
       {std::string_view("short"), std::string_view(), std::string_view("\0\0\0\x09k", 5)}) {
    auto r = s->restore(bad, "v");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), state_errc::bad_changelog_key);
    EXPECT_FALSE(s->restore(bad, std::nullopt));
  }
  EXPECT_TRUE(fetch_all(*s).empty());
  EXPECT_TRUE(s->flush());  // a rejected record does not fail the store
}

TEST(state_window_store, reopen_keeps_entries_and_index) {
  temp_dir tmp;
  {
    auto s = open(tmp / "w");
    ASSERT_TRUE(s);
    s->put("a", -1, "x");
    s->put("b", 5, "y", 2);
    s->put("c", 9, "z");
    s->remove("c", 9);
    ASSERT_TRUE(s->flush());
    ASSERT_TRUE(s->close());
  }
  auto s = open(tmp / "w");
  ASSERT_TRUE(s);
  EXPECT_EQ(fetch_all(*s), (entries{{"a", -1, 0, "x"}, {"b", 5, 2, "y"}}));
  EXPECT_EQ(fetch(*s, "b"), (entries{{"b", 5, 2, "y"}}));
  s->expire(0);  // the expiry bound starts over after a reopen
  EXPECT_EQ(fetch_all(*s), (entries{{"b", 5, 2, "y"}}));
}

}  // namespace
}  // namespace runnel::stream::state
