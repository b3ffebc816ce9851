// The SQL state store: writes of an epoch are visible at once and durable
// only together, at commit; tables are key ranges that scan in key order
// both ways and can be dropped.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

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

TEST(StateStore, CachedTablesReadFromMemoryAndWriteThrough) {
  temp_dir dir;
  {
    auto s = state_store::open(dir / "state");
    ASSERT_TRUE(s) << s.error().message;
    auto t = s.value()->cached_table(9);
    for (const char* k : {"m", "a", "z"}) t->put(k, k);
    ASSERT_TRUE(s.value()->commit());
    t->put("b", "uncommitted");
    t->del("m");
    EXPECT_EQ(keys(*t), (std::vector<std::string>{"a", "b", "z"}));
    EXPECT_EQ(keys(*t, true), (std::vector<std::string>{"z", "b", "a"}));
    EXPECT_EQ(t->bytes(), 2 + 2 + 1 + 11);
  }
  auto s = state_store::open(dir / "state");
  ASSERT_TRUE(s) << s.error().message;
  auto t = s.value()->cached_table(9);  // loaded from what was committed
  EXPECT_EQ(keys(*t), (std::vector<std::string>{"a", "m", "z"}));
  EXPECT_EQ(t->get("m"), "m");
  EXPECT_EQ(s.value()->table(9)->get("z"), "z");  // the same rows in RocksDB
  t->del("a");
  s.value()->drop_tables(10, 11);  // another table's drop leaves it alone
  ASSERT_TRUE(s.value()->commit());
  EXPECT_EQ(keys(*s.value()->cached_table(9)), (std::vector<std::string>{"m", "z"}));
}

TEST(StateStore, AnUnwritableDirectoryIsAnError) {
  auto s = state_store::open("/proc/runnel-sql-state");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::io_error);
}

TEST(StateStore, DirtyUntilCommittedAndDroppedTablesGoAtTheCommit) {
  temp_dir dir;
  {
    auto s = state_store::open(dir / "state");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_FALSE(s.value()->dirty());
    ASSERT_TRUE(s.value()->commit());  // nothing to write is no error
    for (uint64_t id : {(uint64_t{5} << 16), (uint64_t{5} << 16 | 3), (uint64_t{6} << 16)})
      s.value()->table(id)->put("k", "v");
    EXPECT_TRUE(s.value()->dirty());
    ASSERT_TRUE(s.value()->commit());
    EXPECT_FALSE(s.value()->dirty());
    s.value()->drop_tables(uint64_t{5} << 16, uint64_t{6} << 16);  // relation 5's tables
    EXPECT_TRUE(s.value()->dirty());
    ASSERT_TRUE(s.value()->commit());
  }
  auto s = state_store::open(dir / "state");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value()->table(uint64_t{5} << 16)->get("k"), std::nullopt);
  EXPECT_EQ(s.value()->table(uint64_t{5} << 16 | 3)->get("k"), std::nullopt);
  EXPECT_EQ(s.value()->table(uint64_t{6} << 16)->get("k"), "v");
}

// What a kill -9 leaves: the last commit, whole. A writer that commits
// numbered epochs into two tables (a view's state and its source's
// offset) is killed at random points; every reopen sees both tables at
// the same epoch.
TEST(StateStore, AKilledWriterLeavesTheLastCommitWhole) {
  temp_dir dir;
  for (int round = 0; round < 3; ++round) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(ready[0]);
      auto s = state_store::open(dir / "state");
      if (!s) ::_exit(2);
      auto state = s.value()->table(1 << 16 | 1), offsets = s.value()->table(0);
      int64_t epoch = 0;
      if (auto e = offsets->get("o")) epoch = std::stoll(*e);
      for (int i = 0; i < 100000; ++i) {  // killed long before the end
        ++epoch;
        for (int k = 0; k < 20; ++k) state->put("k" + std::to_string(k), std::to_string(epoch));
        offsets->put("o", std::to_string(epoch));
        if (!s.value()->commit()) ::_exit(3);
        // Killed somewhere after this many commits of this run.
        if (i == 20 * (round + 1) && ::write(ready[1], "x", 1) != 1) ::_exit(4);
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the writer failed";
    ::close(ready[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended on its own: " << status;
    auto s = state_store::open(dir / "state");
    ASSERT_TRUE(s) << s.error().message;
    auto offset = s.value()->table(0)->get("o");
    ASSERT_TRUE(offset) << "no commit in round " << round;
    auto state = s.value()->table(1 << 16 | 1);
    for (int k = 0; k < 20; ++k) EXPECT_EQ(state->get("k" + std::to_string(k)), offset);
  }
}

}  // namespace
}  // namespace runnel::sql
