// kv_store: byte-ordered key-value state over RocksDB, its changelog, restore,
// reopen and durability after flush().
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "state_temp_dir.h"
#include "stream/state/errc.h"
#include "stream/state/kv_store.h"

namespace runnel::stream::state {
namespace {

using namespace std::string_literals;
using testing::change;
using testing::temp_dir;
using entries = std::vector<std::pair<std::string, std::string>>;

change_logger capture(std::vector<change>& into) {
  return [&into](std::string_view k, std::optional<std::string_view> v) {
    into.push_back({std::string(k), v ? std::optional<std::string>(*v) : std::nullopt});
  };
}

entries scan(kv_store& s, std::string_view from = {}, std::string_view to = {}) {
  entries out;
  s.range(from, to, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  });
  return out;
}

std::unique_ptr<kv_store> open(const std::filesystem::path& dir, change_logger log = {}) {
  auto r = open_kv_store(dir, std::move(log));
  EXPECT_TRUE(r) << r.error().message();
  return r ? std::move(r.value()) : nullptr;
}

TEST(state_kv_store, put_get_remove) {
  temp_dir tmp;
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get("a"), std::nullopt);
  s->put("a", "1");
  s->put("b", "");
  EXPECT_EQ(s->get("a"), "1");
  EXPECT_EQ(s->get("b"), "");  // an empty value is a value, not a delete
  s->put("a", "2");
  EXPECT_EQ(s->get("a"), "2");
  s->remove("a");
  EXPECT_EQ(s->get("a"), std::nullopt);
  s->remove("never-there");
  EXPECT_TRUE(s->flush());
}

TEST(state_kv_store, range_is_unsigned_byte_order_with_half_open_bounds) {
  temp_dir tmp;
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  for (const std::string& k : {"b"s, "a"s, "\xff"s, "ab"s, "\x00"s, ""s, "a\x00"s})
    s->put(k, "v" + k);
  EXPECT_EQ(scan(*s), (entries{{"", "v"},
                               {"\x00"s, "v\x00"s},
                               {"a", "va"},
                               {"a\x00"s, "va\x00"s},
                               {"ab", "vab"},
                               {"b", "vb"},
                               {"\xff", "v\xff"}}));
  EXPECT_EQ(scan(*s, "a", "b"), (entries{{"a", "va"}, {"a\x00"s, "va\x00"s}, {"ab", "vab"}}));
  EXPECT_EQ(scan(*s, "ab", ""), (entries{{"ab", "vab"}, {"b", "vb"}, {"\xff", "v\xff"}}));
  EXPECT_TRUE(scan(*s, "b", "b").empty());
  EXPECT_TRUE(scan(*s, "c", "b").empty());

  int seen = 0;
  s->range("", "", [&](std::string_view, std::string_view) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);  // stops when the visitor says so
}

TEST(state_kv_store, visitor_may_remove_what_it_visits) {
  temp_dir tmp;
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  for (char c = 'a'; c <= 'e'; ++c) s->put(std::string(1, c), "x");
  std::string visited;
  s->range("", "", [&](std::string_view k, std::string_view) {
    visited += k;
    s->remove(k);
    return true;
  });
  EXPECT_EQ(visited, "abcde");
  EXPECT_TRUE(scan(*s).empty());
}

TEST(state_kv_store, logger_sees_each_put_and_tombstone) {
  temp_dir tmp;
  std::vector<change> log;
  auto s = open(tmp / "kv", capture(log));
  ASSERT_TRUE(s);
  s->put("k", "1");
  s->put("k", "2");
  s->remove("k");
  s->put("j", "3");
  (void)s->get("j");
  (void)scan(*s);
  EXPECT_EQ(log, (std::vector<change>{{"k", "1"}, {"k", "2"}, {"k", std::nullopt}, {"j", "3"}}));
}

TEST(state_kv_store, restore_replays_a_changelog_without_logging_it) {
  temp_dir tmp;
  std::vector<change> log;
  {
    auto s = open(tmp / "a", capture(log));
    ASSERT_TRUE(s);
    for (int i = 0; i < 200; ++i)
      s->put("key" + std::to_string(i % 37), "value" + std::to_string(i));
    for (int i = 0; i < 37; i += 3) s->remove("key" + std::to_string(i));
    ASSERT_TRUE(s->close());
  }
  auto original = open(tmp / "a");
  ASSERT_TRUE(original);

  std::vector<change> relogged;
  auto restored = open(tmp / "b", capture(relogged));
  ASSERT_TRUE(restored);
  for (const auto& c : log) ASSERT_TRUE(restored->restore(c.key, c.value));
  EXPECT_TRUE(relogged.empty());
  EXPECT_EQ(scan(*restored), scan(*original));
  EXPECT_EQ(scan(*restored).size(), 37u - 13u);
}

TEST(state_kv_store, reopen_after_close_keeps_data) {
  temp_dir tmp;
  {
    auto s = open(tmp / "kv");
    ASSERT_TRUE(s);
    s->put("a", "1");
    s->put("b", "2");
    s->remove("a");
    ASSERT_TRUE(s->close());
    ASSERT_TRUE(s->close());  // idempotent
  }
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  EXPECT_EQ(scan(*s), (entries{{"b", "2"}}));
}

TEST(state_kv_store, flushed_writes_survive_without_close) {
  // Copy the directory while the store is still open, right after flush():
  // the copy is what a crash would leave on disk, nothing closed cleanly.
  temp_dir tmp;
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  for (int i = 0; i < 100; ++i) s->put("k" + std::to_string(i), std::string(100, 'x'));
  s->remove("k7");
  ASSERT_TRUE(s->flush());
  std::filesystem::copy(tmp / "kv", tmp / "crashed", std::filesystem::copy_options::recursive);

  auto copy = open(tmp / "crashed");
  ASSERT_TRUE(copy);
  EXPECT_EQ(scan(*copy).size(), 99u);
  EXPECT_EQ(copy->get("k99"), std::string(100, 'x'));
  EXPECT_EQ(copy->get("k7"), std::nullopt);
}

TEST(state_kv_store, approximate_entries_counts_keys) {
  temp_dir tmp;
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->approximate_entries(), 0u);
  for (int i = 0; i < 500; ++i) s->put("k" + std::to_string(i), "v");
  EXPECT_GT(s->approximate_entries(), 250u);
  EXPECT_LT(s->approximate_entries(), 1000u);
}

TEST(state_kv_store, use_after_close_is_an_error_not_a_crash) {
  temp_dir tmp;
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  s->put("a", "1");
  ASSERT_TRUE(s->close());
  EXPECT_EQ(s->get("a"), std::nullopt);
  s->put("b", "2");
  EXPECT_TRUE(scan(*s).empty());
  auto r = s->flush();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), state_errc::closed);
  EXPECT_FALSE(s->restore("c", "3"));
}

TEST(state_kv_store, read_error_is_sticky_and_fails_flush) {
  temp_dir tmp;
  {
    auto s = open(tmp / "kv");
    ASSERT_TRUE(s);
    for (int i = 0; i < 1000; ++i) s->put("k" + std::to_string(i), std::string(50, 'v'));
    ASSERT_TRUE(s->close());
  }
  // Reopening replays the WAL and writes it to a table file.
  ASSERT_TRUE(open(tmp / "kv"));
  bool damaged = false;
  for (const auto& f : std::filesystem::directory_iterator(tmp / "kv")) {
    if (f.path().extension() != ".sst") continue;
    std::fstream io(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(16);
    io.write("XXXXXXXXXXXXXXXX", 16);  // inside the first data block
    damaged = true;
  }
  ASSERT_TRUE(damaged);

  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get("k0"), std::nullopt);  // the processor sees no value...
  auto r = s->flush();                    // ...and the commit fails
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), state_errc::corrupt_store);
  EXPECT_FALSE(s->flush());  // sticky
  EXPECT_FALSE(s->close());
}

TEST(state_kv_store, destroy_wipes_the_store) {
  temp_dir tmp;
  {
    auto s = open(tmp / "kv");
    ASSERT_TRUE(s);
    s->put("a", "1");
    ASSERT_TRUE(s->close());
  }
  ASSERT_TRUE(kv_store::destroy(tmp / "kv"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "kv"));
  auto s = open(tmp / "kv");
  ASSERT_TRUE(s);
  EXPECT_TRUE(scan(*s).empty());
}

}  // namespace
}  // namespace runnel::stream::state
