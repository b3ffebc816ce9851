// Relations' contents served from the state store (engine_options::
// state_dir): the same statements against an engine with a state directory
// and one in memory give the same answers — one-off queries, counts, SHOW
// STATS, a subscription's first rows, views created over what is already
// there — and a query that fixes a relation's key reads only that key's
// rows (a seek), while constraints are still checked.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../stream/state_temp_dir.h"
#include "result_lines.h"
#include "sql/engine/engine.h"

namespace runnel::sql {
namespace {

using stream::state::testing::temp_dir;

constexpr int64_t now_us = 1'710'496'800'000'000;  // 2024-03-15 10:00:00 UTC

// Every row of the last statement's result as "a|b" lines, one per copy, sorted.
std::vector<std::string> rows_of(engine& e, std::string_view sql, uint64_t session = 0) {
  return testing::last_lines(e, sql, now_us, session);
}

class StoredContents : public ::testing::Test {
 protected:
  StoredContents() : stored(options()) {
    auto opened = stored.open_catalog();
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message);
  }
  engine_options options() {
    engine_options o;
    o.state_dir = dir / "state";
    o.state_cache_bytes = 8 << 20;
    return o;
  }
  // Runs `sql` on both engines; both must succeed.
  void both(const std::string& sql) {
    for (engine* e : {&memory, &stored}) {
      auto r = e->execute(sql, now_us);
      ASSERT_TRUE(r) << sql << ": " << r.error().message;
    }
  }
  // The same query on both engines gives the same rows.
  void same(const std::string& sql, uint64_t session = 0) {
    auto want = rows_of(memory, sql, session);
    auto got = rows_of(stored, sql, session);
    EXPECT_EQ(got, want) << sql;
  }

  temp_dir dir;
  engine memory;
  engine stored;
};

TEST_F(StoredContents, AnswersAsTheInMemoryEngineUnderInsertsAndDeletes) {
  both("CREATE TABLE t (id INT PRIMARY KEY, g INT, v TEXT)");
  both("CREATE TABLE u (g INT, w INT)");  // no key: rows by their whole value
  both(
      "CREATE MATERIALIZED VIEW agg AS SELECT g, count(*) AS n, sum(length(v)) AS s FROM t "
      "GROUP BY g");
  both("CREATE MATERIALIZED VIEW evens AS SELECT id, v FROM t WHERE g % 2 = 0");
  both("CREATE MATERIALIZED VIEW j AS SELECT t.id, u.w FROM t JOIN u ON t.g = u.g");
  std::mt19937 rng(15);
  int next_id = 0;
  std::vector<int> live;
  for (int round = 0; round < 12; ++round) {
    // More rows than one read batch of the store (4096), so that scans
    // resume after their last key.
    const int n = round == 0 ? 9000 : 700;
    std::string ins = "INSERT INTO t VALUES ";
    for (int i = 0; i < n; ++i) {
      if (i) ins += ", ";
      const int g = static_cast<int>(rng() % 37);
      ins += "(" + std::to_string(next_id) + ", " + std::to_string(g) + ", 'v" +
             std::to_string(rng() % 1000) + "')";
      live.push_back(next_id++);
    }
    both(ins);
    std::string uins = "INSERT INTO u VALUES ";
    for (int i = 0; i < 20; ++i)
      uins +=
          (i ? ", (" : "(") + std::to_string(rng() % 37) + ", " + std::to_string(rng() % 3) + ")";
    both(uins);  // duplicates of a row too: counts above 1
    std::shuffle(live.begin(), live.end(), rng);
    std::string del = "DELETE FROM t WHERE id IN (";
    for (int i = 0; i < 300; ++i) del += (i ? ", " : "") + std::to_string(live[i]);
    live.erase(live.begin(), live.begin() + 300);
    both(del + ")");
    both("DELETE FROM u WHERE w = " + std::to_string(rng() % 3) + " AND g < " +
         std::to_string(rng() % 37));
    if (round % 4 == 3) {
      same("SELECT * FROM t");
      same("SELECT * FROM agg");
    }
  }
  for (const char* q :
       {"SELECT * FROM t", "SELECT * FROM u", "SELECT * FROM agg", "SELECT * FROM evens",
        "SELECT * FROM j", "SELECT count(*) FROM t", "SELECT g, count(*) FROM u GROUP BY g",
        "SELECT * FROM t WHERE id = 3", "SELECT * FROM agg WHERE g = 5"})
    same(q);
  // SHOW STATS: each relation's row count (kept by the engine beside the
  // store's contents, not counted by a scan).
  auto stats = [](engine& e) {
    auto r = e.execute("SHOW STATS", now_us);
    EXPECT_TRUE(r);
    std::vector<std::string> out;
    const auto& b = r.value().back().rows;
    for (size_t i = 0; i < b.size(); ++i)
      out.push_back(std::string(b.row(i)[0].as_text()) + "=" +
                    std::to_string(b.row(i)[2].as_int()));
    return out;
  };
  EXPECT_EQ(stats(stored), stats(memory));
  // A view made over what is already there reads it a batch at a time.
  both("CREATE MATERIALIZED VIEW late AS SELECT g, max(id) AS top FROM t GROUP BY g");
  same("SELECT * FROM late");
  // INSERT … SELECT reads its input's contents.
  both("CREATE TABLE copy (id INT, v TEXT)");
  both("INSERT INTO copy SELECT id, v FROM t WHERE g = 7");
  same("SELECT * FROM copy");
  // A subscription starts with the contents.
  same("DECLARE c CURSOR FOR SUBSCRIBE agg; FETCH ALL FROM c", 7);
}

TEST_F(StoredContents, AQueryThatFixesTheKeyReadsOnlyItsRows) {
  both("CREATE TABLE t (id INT PRIMARY KEY, g INT, v TEXT)");
  std::string ins = "INSERT INTO t VALUES ";
  for (int i = 0; i < 10000; ++i)
    ins += (i ? ", (" : "(") + std::to_string(i) + ", " + std::to_string(i % 10) + ", 'v" +
           std::to_string(i) + "')";
  both(ins);
  both("CREATE MATERIALIZED VIEW agg AS SELECT g, count(*) AS n FROM t GROUP BY g");
  auto read = [&](const std::string& sql) {
    uint64_t before = stored.stored_rows_read();
    same(sql);
    return stored.stored_rows_read() - before;
  };
  EXPECT_EQ(read("SELECT v FROM t WHERE id = 4242"), 1u);
  EXPECT_EQ(rows_of(stored, "SELECT v FROM t WHERE id = 4242"), std::vector<std::string>{"v4242"});
  EXPECT_EQ(read("SELECT v FROM t WHERE id = 4242 AND g = 3"), 1u);  // no such row
  EXPECT_EQ(read("SELECT v FROM t WHERE id = 123456"), 0u);
  EXPECT_EQ(read("SELECT * FROM agg WHERE g = 3"), 1u);
  EXPECT_EQ(rows_of(stored, "SELECT * FROM agg WHERE g = 3"), std::vector<std::string>{"3|1000"});
  // Not the key, or not fixed by an equality: every row.
  EXPECT_EQ(read("SELECT count(*) FROM t WHERE g = 3"), 10000u);
  EXPECT_EQ(read("SELECT v FROM t WHERE id < 3"), 10000u);
  // Scanned twice (a self-join): read once, fed to both scans, no seek.
  EXPECT_EQ(read("SELECT a.v FROM t a JOIN t b ON a.id = b.g WHERE a.id = 3"), 10000u);
  // A key taken is refused by a lookup of the store; a DELETE by key seeks.
  auto dup = stored.execute("INSERT INTO t VALUES (77, 1, 'again')", now_us);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "duplicate key value violates unique constraint \"t_pkey\"");
  uint64_t before = stored.stored_rows_read();
  both("DELETE FROM t WHERE id = 77");
  EXPECT_EQ(stored.stored_rows_read() - before, 1u);
  both("INSERT INTO t VALUES (77, 1, 'again')");
  same("SELECT * FROM t WHERE id = 77");
  same("SELECT * FROM agg");
}

}  // namespace
}  // namespace runnel::sql
