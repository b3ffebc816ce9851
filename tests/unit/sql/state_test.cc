// The SQL state store: writes of an epoch are visible at once and durable
// only together, at commit; tables are key ranges that scan in key order
// both ways and can be dropped.
#include <gtest/gtest.h>

#include "../stream/state_temp_dir.h"
#include "sql/state/state_store.h"

namespace runnel::sql {
namespace {

using stream::state::testing::temp_dir;

std::vector<std::string> keys(state_table& t, bool reverse = false) {
  std::vector<std::string> out;
  auto fn = [&](std::string_view k, std::string_view) {
    out.emplace_back(k);
    return true;
  };
  if (reverse)
    t.scan_reverse("", "", fn);
  else
    t.scan("", "", fn);
  return out;
}

TEST(StateStore, CommitMakesAnEpochDurableAndOnlyThen) {
  temp_dir dir;
  {
    auto s = state_store::open(dir / "state");
    ASSERT_TRUE(s) << s.error().message;
    auto t = s.value()->table(7);
    t->put("b", "2");
    t->put("a", "1");
    EXPECT_EQ(t->get("a"), "1");  // visible before the commit
    ASSERT_TRUE(s.value()->commit());
    t->put("c", "3");  // never committed
    t->del("a");
    EXPECT_EQ(t->get("a"), std::nullopt);
  }
  auto s = state_store::open(dir / "state");
  ASSERT_TRUE(s) << s.error().message;
  auto t = s.value()->table(7);
  EXPECT_EQ(t->get("a"), "1");
  EXPECT_EQ(t->get("c"), std::nullopt);
  EXPECT_EQ(keys(*t), (std::vector<std::string>{"a", "b"}));
}

TEST(StateStore, TablesAreSeparateOrderedRanges) {
  temp_dir dir;
  auto s = state_store::open(dir / "state");
  ASSERT_TRUE(s) << s.error().message;
  auto t1 = s.value()->table(1), t2 = s.value()->table(2);
  for (const char* k : {"m", "a", "z", "k"}) t1->put(k, "x");
  t2->put("b", "y");
  ASSERT_TRUE(s.value()->commit());
  t1->put("c", "uncommitted, still seen by scans");
  EXPECT_EQ(keys(*t1), (std::vector<std::string>{"a", "c", "k", "m", "z"}));
  EXPECT_EQ(keys(*t1, true), (std::vector<std::string>{"z", "m", "k", "c", "a"}));
  EXPECT_EQ(keys(*t2), (std::vector<std::string>{"b"}));
  std::vector<std::string> some;
  t1->scan("c", "m", [&](std::string_view k, std::string_view) {
    some.emplace_back(k);
    return true;
  });
  EXPECT_EQ(some, (std::vector<std::string>{"c", "k"}));
  t1->delete_prefix("k");
  EXPECT_EQ(t1->get("k"), std::nullopt);
  s.value()->drop_tables(2, 3);
  ASSERT_TRUE(s.value()->commit());
  EXPECT_EQ(keys(*t2), std::vector<std::string>{});
  EXPECT_EQ(keys(*t1), (std::vector<std::string>{"a", "c", "m", "z"}));
}

TEST(StateStore, AnUnwritableDirectoryIsAnError) {
  auto s = state_store::open("/proc/runnel-sql-state");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::io_error);
}

}  // namespace
}  // namespace runnel::sql
