// The SQL state store: writes of an epoch are visible at once and durable
// only together, at commit; tables are key ranges that scan in key order
// both ways and can be dropped.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <random>

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

// Cached tables against a std::map, through random writes, reads, scans
// both ways, commits and a reopen, with an operator budget that holds
// everything, one that spills the large table but not the small one, and
// none (every table read from RocksDB from its first write).
void check_cached_tables_against_a_model(size_t budget) {
  temp_dir dir;
  state_store_options o;
  o.operator_cache_bytes = budget;
  std::map<std::string, std::string> model[2];  // [0]: a small table, [1]: a large one
  auto same = [&](state_table& t, const std::map<std::string, std::string>& m,
                  const std::string& from, const std::string& to) {
    std::vector<std::pair<std::string, std::string>> got, want, got_rev;
    t.scan(from, to, [&](std::string_view k, std::string_view v) {
      got.emplace_back(k, v);
      return true;
    });
    t.scan_reverse(from, to, [&](std::string_view k, std::string_view v) {
      got_rev.emplace(got_rev.begin(), k, v);
      return true;
    });
    for (auto it = m.lower_bound(from); it != m.end() && (to.empty() || it->first < to); ++it)
      want.emplace_back(*it);
    EXPECT_EQ(got, want) << "[" << from << ", " << to << ")";
    EXPECT_EQ(got_rev, want) << "[" << from << ", " << to << ") reversed";
  };
  std::mt19937 rng(15);
  auto key = [&](int n) { return "k" + std::to_string(rng() % n); };
  {
    auto s = state_store::open(dir / "state", o);
    ASSERT_TRUE(s) << s.error().message;
    std::unique_ptr<state_table> t[2] = {s.value()->cached_table(1), s.value()->cached_table(2)};
    for (int step = 0; step < 20000; ++step) {
      int which = step % 5 == 0 ? 0 : 1;
      std::string k = key(which == 0 ? 20 : 3000);
      switch (rng() % 8) {
        case 0:
          t[which]->del(k);
          model[which].erase(k);
          break;
        case 1: {
          auto m = model[which].find(k);
          auto want = m == model[which].end() ? std::nullopt : std::optional(m->second);
          ASSERT_EQ(t[which]->get(k), want) << k;
          break;
        }
        default: {
          std::string v(16 + rng() % 64, static_cast<char>('a' + step % 26));
          t[which]->put(k, v);
          model[which][k] = v;
        }
      }
      if (step % 997 == 0) same(*t[which], model[which], key(3000), step % 2 ? "" : key(3000));
      if (step % 4000 == 3999) {
        ASSERT_TRUE(s.value()->commit());
      }
    }
    // The small table's changes wait in memory for the commit; a spilled
    // table's are in the epoch's batch already.
    ASSERT_TRUE(s.value()->commit());
    const size_t empty = s.value()->pending_bytes();  // the batch's header
    t[0]->put("k0", "small");
    model[0]["k0"] = "small";
    if (budget == 0)
      EXPECT_GT(s.value()->pending_bytes(), empty);
    else
      EXPECT_EQ(s.value()->pending_bytes(), empty);
    const size_t before = s.value()->pending_bytes();
    t[1]->put("k1", "large");
    model[1]["k1"] = "large";
    if (budget < (1 << 20))
      EXPECT_GT(s.value()->pending_bytes(), before);
    else
      EXPECT_EQ(s.value()->pending_bytes(), before);
    for (int i = 0; i < 2; ++i) same(*t[i], model[i], "", "");
    ASSERT_TRUE(s.value()->commit());
    t[1]->put("k2", "never committed");
  }
  for (size_t reopen : {budget, size_t{1} << 30}) {
    o.operator_cache_bytes = reopen;
    auto s = state_store::open(dir / "state", o);
    ASSERT_TRUE(s) << s.error().message;
    std::unique_ptr<state_table> t[2] = {s.value()->cached_table(1), s.value()->cached_table(2)};
    for (int i = 0; i < 2; ++i) same(*t[i], model[i], "", "");
    EXPECT_EQ(t[1]->get("k2"), model[1].count("k2") ? std::optional(model[1]["k2"]) : std::nullopt);
  }
}

TEST(StateStore, CachedTablesWithinTheBudgetStayInMemory) {
  check_cached_tables_against_a_model(size_t{1} << 30);
}

TEST(StateStore, CachedTablesPastTheBudgetSpillTheLargest) {
  check_cached_tables_against_a_model(64 << 10);
}

TEST(StateStore, CachedTablesWithNoBudgetAreReadFromDisk) {
  check_cached_tables_against_a_model(0);
}

// What a commit writes of a cached table is the net change of its epoch:
// a key made and deleted in one epoch writes nothing, a run of deleted
// keys with nothing held between them goes as one range deletion. Checked
// against a model: windows of keys opened, updated, closed a prefix at a
// time (as aggregate_op::close_below does), keys deleted one by one, keys
// that live within one epoch, and the store reopened every few commits
// (what a restart loads is exactly what was committed), with a budget
// that holds the table, one that spills it midway, and none.
void check_net_changes_against_a_model(size_t budget) {
  temp_dir dir;
  state_store_options o;
  o.operator_cache_bytes = budget;
  std::map<std::string, std::string> model, committed;
  std::mt19937 rng(7);
  auto window_key = [](int w, int k) {
    char b[32];
    std::snprintf(b, sizeof b, "w%05d/%03d", w, k);
    return std::string(b);
  };
  using rows = std::vector<std::pair<std::string, std::string>>;
  auto check = [&](state_table& t, const std::map<std::string, std::string>& m) {
    rows got;
    t.scan("", "", [&](std::string_view k, std::string_view v) {
      got.emplace_back(k, v);
      return true;
    });
    EXPECT_EQ(got, rows(m.begin(), m.end()));
  };
  int closed = 0;
  for (int round = 0; round < 6; ++round) {
    auto s = state_store::open(dir / "state", o);
    ASSERT_TRUE(s) << s.error().message;
    auto t = s.value()->cached_table(uint64_t{3} << 16 | 1);
    auto neighbour = s.value()->cached_table(uint64_t{3} << 16 | 2);  // must stay whole
    check(*t, committed);
    ASSERT_EQ(neighbour->get("n"), round == 0 ? std::nullopt : std::optional<std::string>("kept"));
    neighbour->put("n", "kept");
    for (int epoch = 0; epoch < 15; ++epoch) {
      const int first = closed, last = closed + 6;
      for (int i = 0; i < 400; ++i) {
        std::string k = window_key(first + static_cast<int>(rng() % (last - first)),
                                   static_cast<int>(rng() % 60));
        switch (rng() % 10) {
          case 0:
            t->del(k);
            model.erase(k);
            break;
          case 1:  // lives within the epoch only
            t->put("transient" + k, "x");
            t->del("transient" + k);
            break;
          case 2:
            t->del("never" + k);  // never held
            break;
          default: {
            std::string v = std::to_string(rng());
            t->put(k, v);
            model[k] = v;
          }
        }
      }
      if (epoch % 2 == 1) {
        // Close the oldest window, keeping one key of it now and then (a
        // late update), which splits the run.
        std::string lo = window_key(closed, 0), hi = window_key(closed + 1, 0);
        std::vector<std::string> dead;
        t->scan(lo, hi, [&](std::string_view k, std::string_view) {
          dead.emplace_back(k);
          return true;
        });
        for (const auto& k : dead) {
          t->del(k);
          model.erase(k);
        }
        if (epoch % 4 == 1) {
          t->put(window_key(closed, 30), "late");
          model[window_key(closed, 30)] = "late";
        }
        ++closed;
      }
      check(*t, model);
      ASSERT_TRUE(s.value()->commit());
      committed = model;
    }
    t->put("uncommitted", "lost");  // dropped with the process
    model = committed;
  }
}

TEST(StateStore, CachedTablesCommitTheNetChangeOfAnEpoch) {
  check_net_changes_against_a_model(size_t{1} << 30);
}

TEST(StateStore, CachedTablesCommitTheNetChangeOfAnEpochWhenSpilled) {
  check_net_changes_against_a_model(32 << 10);
  check_net_changes_against_a_model(0);
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

// The in-memory table keeps the position of its last lookup for the write
// that follows: random gets, puts, deletes and scans over a few keys (so
// a key is often read, then written or deleted, or another key is inserted
// next to it) agree with a plain ordered map, and so does the byte count.
TEST(MemoryTable, AgreesWithAnOrderedMapUnderRandomReadsAndWrites) {
  std::mt19937 rng(7);
  auto t = make_memory_table();
  std::map<std::string, std::string> want;
  int64_t want_bytes = 0;
  for (int step = 0; step < 20000; ++step) {
    std::string k = "k" + std::to_string(rng() % 24);
    switch (rng() % 5) {
      case 0:
      case 1: {
        auto got = t->get(k);
        auto it = want.find(k);
        ASSERT_EQ(got.has_value(), it != want.end()) << k;
        if (got) {
          ASSERT_EQ(*got, it->second);
        }
        break;
      }
      case 2:
      case 3: {
        std::string v(rng() % 6, static_cast<char>('a' + rng() % 26));
        auto it = want.find(k);
        if (it == want.end()) {
          want_bytes += static_cast<int64_t>(k.size() + v.size());
        } else {
          want_bytes += static_cast<int64_t>(v.size()) - static_cast<int64_t>(it->second.size());
        }
        want[k] = v;
        t->put(k, v);
        break;
      }
      default: {
        auto it = want.find(k);
        if (it != want.end()) {
          want_bytes -= static_cast<int64_t>(k.size() + it->second.size());
          want.erase(it);
        }
        t->del(k);
        break;
      }
    }
    ASSERT_EQ(t->bytes(), want_bytes);
    if (step % 97 == 0) {
      std::vector<std::string> expect;
      for (const auto& [key, v] : want) expect.push_back(key);
      ASSERT_EQ(keys(*t), expect);
      std::reverse(expect.begin(), expect.end());
      ASSERT_EQ(keys(*t, true), expect);
    }
  }
}

}  // namespace
}  // namespace runnel::sql
