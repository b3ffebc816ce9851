// Operators resumed from committed state: a maintained view runs over the
// RocksDB state store, is "killed" (its dataflow and store destroyed) after
// a commit and some uncommitted batches, and is rebuilt over the same
// tables, which it takes in the same order (env.new_table), then fed the
// batches from the committed point on. What it emitted up to the commit
// plus what it emits after the restart must equal the one-off query over
// every row: the contract every stateful operator keeps (src/sql/README.md,
// "Durable state").
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "../stream/state_temp_dir.h"
#include "sql/exec/dataflow.h"
#include "sql/exec/rows.h"
#include "sql/state/state_store.h"
#include "sql/types/text_format.h"
#include "test_catalog.h"

namespace runnel::sql {
namespace {

using stream::state::testing::temp_dir;
using multiset = std::map<std::string, int64_t>;

void add_to(multiset& m, const plan_node& root, const row_batch& b) {
  for (size_t i = 0; i < b.size(); ++i) {
    std::string line;
    for (size_t c = 0; c < b.width(); ++c) {
      if (c) line += '|';
      const datum& d = b.row(i)[c];
      line += d.is_null() ? "NULL" : to_text(root.columns[c].type, d);
    }
    if ((m[line] += b.weight(i)) == 0) m.erase(line);
  }
}

// A view over the state store (cached tables, as the engine gives its
// operators): the tables it takes are numbered from 1 on
// every build, as the engine numbers a relation's operators.
struct view {
  exec_env env;
  std::unique_ptr<dataflow> flow;
  std::unique_ptr<collector> out;
  uint64_t next = 1;

  view(const plan_node& root, state_store& store, bool create) {
    env.streaming = true;
    env.name = "resume";
    env.new_table = [this, &store] { return store.cached_table(next++); };
    auto f = dataflow::build(root, env);
    EXPECT_TRUE(f) << f.error().message;
    flow = std::move(f.value());
    out = std::make_unique<collector>(env, static_cast<uint32_t>(root.columns.size()));
    flow->add_output(out.get(), 0);
    if (create) flow->on_create();
  }
};

TEST(Resume, ViewsResumeFromCommittedOperatorStateAfterAKill) {
  testing::test_catalog catalog;
  const auto& t = catalog.add("t", relation_kind::table,
                              {{"k", type_id::int32}, {"g", type_id::text}, {"v", type_id::int64}});
  const auto& u =
      catalog.add("u", relation_kind::table,
                  {{"id", type_id::int32}, {"g", type_id::text}, {"w", type_id::int32}});
  const char* const queries[] = {
      "SELECT g, count(*), sum(v), min(v), max(v), count(DISTINCT k), avg(v) FROM t GROUP BY g",
      "SELECT count(*), sum(v) FROM t",
      "SELECT t.k, u.w FROM t JOIN u ON t.g = u.g AND t.v > u.w",
      "SELECT t.g, count(u.id) FROM t LEFT JOIN u ON t.g = u.g GROUP BY t.g",
      "SELECT t.k, u.id FROM t FULL JOIN u ON t.k = u.id",
      "SELECT g, k FROM (SELECT g, k, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v DESC, k) AS rn "
      "FROM t) x WHERE rn <= 2",
      "SELECT k, v FROM t ORDER BY v DESC, k LIMIT 3",
  };
  // Random inserts and deletes of both tables, each batch with its rows'
  // strings, and the net rows of each table over all of them.
  std::mt19937 rng(7);
  const char* groups[] = {"a", "b", "c", "d", "e"};
  struct change {
    uint64_t rel;
    row_batch rows{3};
  };
  std::vector<change> batches;
  row_batch all_t(3), all_u(3);
  std::vector<std::array<int64_t, 3>> live_t, live_u;
  for (int b = 0; b < 120; ++b) {
    bool is_t = rng() % 3 != 0;
    change c{is_t ? t.id : u.id, row_batch(3)};
    auto& live = is_t ? live_t : live_u;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i) {
      std::array<int64_t, 3> r{static_cast<int64_t>(rng() % 40), static_cast<int64_t>(rng() % 5),
                               static_cast<int64_t>(rng() % 100)};
      int64_t w = 1;
      if (!live.empty() && rng() % 4 == 0) {  // delete a live row
        size_t at = rng() % live.size();
        r = live[at];
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
        w = -1;
      } else {
        live.push_back(r);
      }
      datum* d = c.rows.add(w);
      d[0] = datum::of_int(r[0]);
      d[1] = datum::of_text(groups[r[1]]);
      d[2] = datum::of_int(r[2]);
    }
    batches.push_back(std::move(c));
  }
  for (auto [live, all] : {std::pair{&live_t, &all_t}, std::pair{&live_u, &all_u}})
    for (const auto& r : *live) {
      datum* d = all->add(1);
      d[0] = datum::of_int(r[0]);
      d[1] = datum::of_text(groups[r[1]]);
      d[2] = datum::of_int(r[2]);
    }

  for (const char* sql : queries) {
    auto p = catalog.plan(sql, true);
    ASSERT_TRUE(p) << sql << ": " << p.error().message;
    const plan_node& root = *p.value();
    auto once = run_query(root, {{t.id, &all_t}, {u.id, &all_u}});
    ASSERT_TRUE(once) << sql << ": " << once.error().message;
    multiset expected;
    add_to(expected, root, once.value());

    for (size_t committed : {size_t{0}, size_t{37}, size_t{80}}) {
      temp_dir dir;
      multiset seen;
      {
        auto store = state_store::open(dir / "state");
        ASSERT_TRUE(store) << store.error().message;
        view v(root, *store.value(), true);
        for (size_t b = 0; b < committed; ++b) v.flow->push(batches[b].rel, batches[b].rows);
        ASSERT_TRUE(store.value()->commit());
        add_to(seen, root, v.out->rows());  // what the commit made durable
        // Pushed, never committed: a kill -9 loses it, and the batches
        // come again from the committed offsets.
        for (size_t b = committed; b < committed + 15; ++b)
          v.flow->push(batches[b].rel, batches[b].rows);
      }
      auto store = state_store::open(dir / "state");
      ASSERT_TRUE(store) << store.error().message;
      view v(root, *store.value(), false);
      for (size_t b = committed; b < batches.size(); ++b)
        v.flow->push(batches[b].rel, batches[b].rows);
      add_to(seen, root, v.out->rows());
      EXPECT_EQ(seen, expected) << sql << " (committed after " << committed << " batches)";
      EXPECT_EQ(v.env.row_errors, 0u);
    }
  }
}

// A window closed by a watermark stays closed after a restart: the engine
// sends its inputs' committed watermarks again, and the aggregate's state
// holds no closed window to emit twice.
TEST(Resume, ClosedWindowsStayClosedAcrossARestart) {
  testing::test_catalog catalog;
  const auto& s = catalog.add("s", relation_kind::source,
                              {{"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {1});
  auto p = catalog.plan(
      "SELECT window_start, count(*), max(k) FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY "
      "window_start",
      true);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(set_emit_on_window_close(*p.value()));
  const plan_node& root = *p.value();
  constexpr int64_t second = 1'000'000;
  auto batch = [&](std::initializer_list<std::pair<int32_t, int64_t>> rows) {
    row_batch b(2);
    for (auto [k, ts] : rows) {
      datum* r = b.add(1);
      r[0] = datum::of_int(k);
      r[1] = datum::of_int(ts * second);
    }
    return b;
  };
  temp_dir dir;
  multiset seen;
  {
    auto store = state_store::open(dir / "state");
    ASSERT_TRUE(store) << store.error().message;
    view v(root, *store.value(), true);
    v.flow->push(s.id, batch({{1, 1}, {2, 5}, {3, 12}}));
    v.flow->watermark(s.id, 1, 10 * second);  // [0s, 10s) closes
    ASSERT_TRUE(store.value()->commit());
    add_to(seen, root, v.out->rows());
    EXPECT_EQ(seen, (multiset{{"1970-01-01 00:00:00|2|2", 1}}));
  }
  auto store = state_store::open(dir / "state");
  ASSERT_TRUE(store) << store.error().message;
  view v(root, *store.value(), false);
  v.flow->watermark(s.id, 1, 10 * second);       // the committed watermark, again
  EXPECT_EQ(v.out->rows().size(), 0u);           // nothing emitted twice
  v.flow->push(s.id, batch({{4, 3}, {5, 15}}));  // 3s is late: its window closed
  EXPECT_EQ(v.env.late_rows, 1u);
  v.flow->watermark(s.id, 1, 20 * second);
  add_to(seen, root, v.out->rows());
  EXPECT_EQ(seen, (multiset{{"1970-01-01 00:00:00|2|2", 1}, {"1970-01-01 00:00:10|2|5", 1}}));
}

// Session windows and interval joins keep their state (sessions, the
// join's rows and its expiry index) through the same mechanism: killed
// after a commit plus uncommitted batches, rebuilt, given the committed
// watermarks again and fed the rest, they emit in total exactly what the
// one-off query returns over every row (no row here is late).
TEST(Resume, SessionWindowsAndIntervalJoinsResumeAfterAKill) {
  testing::test_catalog catalog;
  const auto& s = catalog.add("s", relation_kind::source,
                              {{"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {1});
  const auto& s2 = catalog.add("s2", relation_kind::source,
                               {{"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {1});
  const char* queries[] = {
      "SELECT k, window_start, window_end, count(*) FROM SESSION(TABLE s PARTITION BY k, "
      "DESCRIPTOR(ts), INTERVAL '5' SECOND) GROUP BY k, window_start, window_end",
      "SELECT a.k, a.ts, b.ts FROM s AS a JOIN s2 AS b ON a.k = b.k AND b.ts BETWEEN a.ts AND "
      "a.ts + INTERVAL '5' SECOND",
  };
  constexpr int64_t second = 1'000'000;
  struct change {
    uint64_t rel;
    row_batch rows{2};
    int64_t watermark;  // of `rel` after this batch: 4 s behind its latest row
  };
  std::mt19937 rng(11);
  std::vector<change> batches;
  row_batch all_s(2), all_s2(2);
  int64_t clock = 0, max_s = 0, max_s2 = 0;
  for (int b = 0; b < 90; ++b) {
    bool first = rng() % 2 == 0;
    change c{first ? s.id : s2.id, row_batch(2), 0};
    for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i) {
      clock += static_cast<int64_t>(rng() % 3) * second;
      // Up to 3 s out of order: behind the latest row, never behind the
      // watermark.
      int64_t ts = clock - static_cast<int64_t>(rng() % 3) * second;
      int32_t k = static_cast<int32_t>(rng() % 4);
      for (row_batch* into : {&c.rows, first ? &all_s : &all_s2}) {
        datum* d = into->add(1);
        d[0] = datum::of_int(k);
        d[1] = datum::of_int(ts);
      }
      (first ? max_s : max_s2) = std::max(first ? max_s : max_s2, ts);
    }
    c.watermark = (first ? max_s : max_s2) - 4 * second;
    batches.push_back(std::move(c));
  }
  auto feed = [&](view& v, size_t b) {
    v.flow->push(batches[b].rel, batches[b].rows);
    v.flow->watermark(batches[b].rel, 1, batches[b].watermark);
  };
  for (const char* sql : queries) {
    auto p = catalog.plan(sql, true);
    ASSERT_TRUE(p) << sql << ": " << p.error().message;
    const plan_node& root = *p.value();
    auto once = run_query(root, {{s.id, &all_s}, {s2.id, &all_s2}});
    ASSERT_TRUE(once) << sql << ": " << once.error().message;
    multiset expected;
    add_to(expected, root, once.value());
    ASSERT_FALSE(expected.empty()) << sql;
    for (size_t committed : {size_t{20}, size_t{55}}) {
      temp_dir dir;
      multiset seen;
      std::map<uint64_t, int64_t> committed_watermarks;
      {
        auto store = state_store::open(dir / "state");
        ASSERT_TRUE(store) << store.error().message;
        view v(root, *store.value(), true);
        for (size_t b = 0; b < committed; ++b) {
          feed(v, b);
          committed_watermarks[batches[b].rel] = batches[b].watermark;
        }
        ASSERT_TRUE(store.value()->commit());
        add_to(seen, root, v.out->rows());
        for (size_t b = committed; b < committed + 15; ++b) feed(v, b);  // lost
      }
      auto store = state_store::open(dir / "state");
      ASSERT_TRUE(store) << store.error().message;
      view v(root, *store.value(), false);
      for (auto [rel, wm] : committed_watermarks) v.flow->watermark(rel, 1, wm);
      for (size_t b = committed; b < batches.size(); ++b) feed(v, b);
      add_to(seen, root, v.out->rows());
      EXPECT_EQ(seen, expected) << sql << " (committed after " << committed << " batches)";
      EXPECT_EQ(v.env.late_rows, 0u) << sql;
      EXPECT_EQ(v.env.row_errors, 0u) << sql;
    }
  }
}

}  // namespace
}  // namespace runnel::sql
