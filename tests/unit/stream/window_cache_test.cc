// window_cache in front of a real window store: updates of one entry reach
// the store and its changelog once per flush, reads see the cached value,
// scans and expiry see every write, and a full cache flushes by itself.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "state_temp_dir.h"
#include "stream/state/changelog_codec.h"
#include "stream/state/window_store.h"
#include "window_cache.h"

namespace runnel::stream::runtime {
namespace {

using state::testing::change;
using state::testing::temp_dir;

struct fixture {
  temp_dir dir;
  std::vector<change> log;
  std::unique_ptr<state::window_store> store;

  fixture() {
    auto r = state::open_window_store(
        dir / "w", [this](std::string_view k, std::optional<std::string_view> v) {
          log.push_back({std::string(k), v ? std::optional<std::string>(*v) : std::nullopt});
        });
    EXPECT_TRUE(r);
    store = std::move(r.value());
  }
  // The changelog records' (key, time) and values, decoded.
  std::vector<std::tuple<std::string, int64_t, std::optional<std::string>>> logged() const {
    std::vector<std::tuple<std::string, int64_t, std::optional<std::string>>> out;
    for (const auto& c : log) {
      auto k = state::decode_window_key(c.key);
      EXPECT_TRUE(k);
      out.emplace_back(std::string(k->key), k->time, c.value);
    }
    return out;
  }
};

TEST(window_cache, updates_of_one_entry_reach_the_store_once_per_flush) {
  fixture f;
  window_cache c(*f.store, 1 << 20);
  for (int i = 1; i <= 50; ++i) {
    auto old = c.get("page", 60000);
    EXPECT_EQ(old.has_value(), i > 1);
    if (old) {
      EXPECT_EQ(*old, std::to_string(i - 1));
    }
    c.put("page", 60000, std::to_string(i));
  }
  c.put("other", 0, "x");
  EXPECT_TRUE(f.log.empty());
  EXPECT_FALSE(f.store->get("page", 60000));
  EXPECT_EQ(c.dirty_entries(), 2u);

  c.flush();
  using row = std::tuple<std::string, int64_t, std::optional<std::string>>;
  EXPECT_EQ(f.logged(), (std::vector<row>{{"page", 60000, "50"}, {"other", 0, "x"}}));
  EXPECT_EQ(f.store->get("page", 60000), "50");
  EXPECT_EQ(c.dirty_entries(), 0u);

  // Clean entries stay cached; a second flush with nothing new sends nothing.
  EXPECT_EQ(c.get("page", 60000), "50");
  c.flush();
  EXPECT_EQ(f.log.size(), 2u);
}

TEST(window_cache, remove_is_a_cached_tombstone) {
  fixture f;
  window_cache c(*f.store, 1 << 20);
  c.put("k", 5, "v");
  c.flush();
  c.remove("k", 5);
  EXPECT_FALSE(c.get("k", 5));
  EXPECT_EQ(f.store->get("k", 5), "v");
  c.flush();
  EXPECT_FALSE(f.store->get("k", 5));
  ASSERT_EQ(f.log.size(), 2u);
  EXPECT_FALSE(f.log.back().value);
}

TEST(window_cache, scans_see_unflushed_writes) {
  fixture f;
  window_cache c(*f.store, 1 << 20);
  c.put("k", 10, "a");
  c.put("k", 20, "b");
  c.put("j", 15, "c");
  std::vector<std::pair<int64_t, std::string>> seen;
  c.fetch("k", 0, 100, [&](int64_t t, uint32_t, std::string_view v) {
    seen.emplace_back(t, std::string(v));
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, std::string>>{{10, "a"}, {20, "b"}}));
  int all = 0;
  c.fetch_all(0, 100, [&](std::string_view, int64_t, uint32_t, std::string_view) {
    ++all;
    return true;
  });
  EXPECT_EQ(all, 3);
}

TEST(window_cache, expiry_drops_old_entries_from_cache_and_store) {
  fixture f;
  window_cache c(*f.store, 1 << 20);
  c.put("k", 10, "old");
  c.put("k", 70, "new");
  c.expire(60);
  EXPECT_FALSE(c.get("k", 10));
  EXPECT_FALSE(f.store->get("k", 10));
  EXPECT_EQ(c.get("k", 70), "new");
  // Written before the expiry (logged), then dropped locally only.
  EXPECT_EQ(f.log.size(), 2u);
}

TEST(window_cache, a_full_cache_flushes_and_starts_over) {
  fixture f;
  window_cache c(*f.store, 4096);  // a few dozen entries
  for (int i = 0; i < 1000; ++i) c.put("key-" + std::to_string(i), 0, std::string(20, 'v'));
  EXPECT_GT(f.log.size(), 900u);  // all but the last few, flushed on the way
  c.flush();
  EXPECT_EQ(f.log.size(), 1000u);
  for (int i = 0; i < 1000; i += 97)
    EXPECT_EQ(c.get("key-" + std::to_string(i), 0), std::string(20, 'v'));
}

}  // namespace
}  // namespace runnel::stream::runtime
