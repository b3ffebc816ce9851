// A state directory written by an older format (docs/format/sql-state.md)
// opened by this engine: version 1 is upgraded — the views whose join state
// has version 1's layout are recomputed, never read as version 2 — and a
// version this runnel does not know is refused with a message that names
// it and says what to do, the directory left as it was.
//
// The engine restores state only for what its durable catalog holds, so
// the catalog topic lives on an in-process broker (broker_harness.h) on an
// in-memory file system.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker_harness.h"
#include "result_lines.h"
#include "sql/engine/engine.h"
#include "sql/state/state_store.h"
#include "sql/types/codec.h"

namespace runnel::sql {
namespace {

namespace fs = std::filesystem;

class StateUpgrade : public ::testing::Test {
 protected:
  void SetUp() override {
    broker.start();
    dir = fs::temp_directory_path() /
          ("runnel_sql_upgrade_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  engine_options options() {
    engine_options o;
    o.brokers = "127.0.0.1:" + std::to_string(broker.port());
    o.catalog_topic = "sql_catalog";
    o.state_dir = dir;
    return o;
  }

  // The last statement's rows as "a|b" lines, sorted.
  static std::vector<std::string> rows(engine& e, std::string_view sql) {
    return testing::last_lines(e, sql);
  }
  static void run(engine& e, std::string_view sql) {
    auto r = e.execute(sql);
    ASSERT_TRUE(r) << sql << ": " << r.error().message;
  }

  static std::string meta_key(char k, uint64_t id) {
    std::string key(1, k);
    codec::append_u64_be(id, key);
    return key;
  }

  // The ids of the relations with committed state ('r' entries).
  static std::vector<uint64_t> relations_with_state(state_table& meta) {
    std::vector<uint64_t> ids;
    meta.scan_prefix("r", [&](std::string_view key, std::string_view) {
      if (key.size() == 9) ids.push_back(codec::read_u64_be(key.data() + 1));
      return true;
    });
    return ids;
  }

  broker::testing::in_process_broker broker;
  fs::path dir;
};

TEST_F(StateUpgrade, Version1JoinStateIsRecomputedNotMisread) {
  uint64_t view_id = 0;
  {
    engine e(options());
    ASSERT_TRUE(e.open_catalog());
    run(e, "CREATE TABLE a (k INT PRIMARY KEY, x INT, note TEXT)");
    run(e, "CREATE TABLE b (k INT PRIMARY KEY, z INT)");
    // The join leaves a.x and a.note out (nothing above it reads them):
    // version 2 stores them as NULL, version 1 stored them.
    run(e, "CREATE MATERIALIZED VIEW j AS SELECT a.k, b.z FROM a JOIN b ON a.k = b.k");
    run(e, "CREATE MATERIALIZED VIEW n AS SELECT count(*) AS c FROM a");
    run(e, "INSERT INTO a VALUES (1, 10, 'one'), (2, 20, 'two')");
    run(e, "INSERT INTO b VALUES (1, 100), (2, 200)");
    ASSERT_EQ(rows(e, "SELECT * FROM j"), (std::vector<std::string>{"1|100", "2|200"}));
    view_id = e.find("j")->id;
  }
  {
    // Make the directory a version-1 one whose join state does not mean
    // what version 2 reads: each row of the join's tables counted ten
    // times. Read as version 2, the view would join every new row ten
    // times over.
    auto st = state_store::open(dir);
    ASSERT_TRUE(st) << st.error().message;
    auto meta = st.value()->table(0);
    ASSERT_EQ(meta->get("v").value_or(""), "3");
    meta->put("v", "1");
    int rewritten = 0;
    for (uint64_t t = (view_id << 16) + 1; t < (view_id << 16) + 3; ++t) {
      auto table = st.value()->table(t);
      std::vector<std::pair<std::string, std::string>> entries;
      table->scan("", "\xff\xff\xff\xff", [&](std::string_view k, std::string_view v) {
        entries.emplace_back(k, v);
        return true;
      });
      for (auto& [k, v] : entries) {
        size_t pos = 0;
        int64_t count = 0;
        ASSERT_TRUE(codec::read_svarint(v, pos, count));
        std::string value;
        codec::append_svarint(count * 10, value);
        value.append(v.substr(pos));
        table->put(k, value);
        ++rewritten;
      }
    }
    ASSERT_EQ(rewritten, 4);  // two rows on each side
    ASSERT_TRUE(st.value()->commit());
  }
  {
    engine e(options());
    auto failed = e.open_catalog();
    ASSERT_TRUE(failed) << failed.error().message;
    EXPECT_TRUE(failed.value().empty());
    EXPECT_EQ(rows(e, "SELECT * FROM j"), (std::vector<std::string>{"1|100", "2|200"}));
    EXPECT_EQ(rows(e, "SELECT * FROM n"), (std::vector<std::string>{"2"}));
    // The join's state is usable: new rows on each side join once.
    run(e, "INSERT INTO a VALUES (3, 30, 'three')");
    run(e, "INSERT INTO b VALUES (3, 300)");
    run(e, "DELETE FROM a WHERE k = 1");
    EXPECT_EQ(rows(e, "SELECT * FROM j"), (std::vector<std::string>{"2|200", "3|300"}));
    EXPECT_EQ(rows(e, "SELECT * FROM n"), (std::vector<std::string>{"2"}));
  }
  {
    // The directory is version 3 now, the join's state rewritten in
    // version 2's layout (which 3 keeps): a third start restores it as it is.
    auto st = state_store::open(dir);
    ASSERT_TRUE(st) << st.error().message;
    auto meta = st.value()->table(0);
    EXPECT_EQ(meta->get("v").value_or(""), "3");
    EXPECT_FALSE(meta->get(meta_key('l', view_id)));
  }
  {
    engine e(options());
    ASSERT_TRUE(e.open_catalog());
    EXPECT_EQ(rows(e, "SELECT * FROM j"), (std::vector<std::string>{"2|200", "3|300"}));
    run(e, "INSERT INTO a VALUES (1, 11, 'one again')");
    EXPECT_EQ(rows(e, "SELECT * FROM j"), (std::vector<std::string>{"1|100", "2|200", "3|300"}));
  }
}

TEST_F(StateUpgrade, UnknownVersionIsRefusedAndLeftAlone) {
  {
    engine e(options());
    ASSERT_TRUE(e.open_catalog());
    run(e, "CREATE TABLE t (k INT PRIMARY KEY, v TEXT)");
    run(e, "INSERT INTO t VALUES (1, 'a')");
  }
  size_t with_state = 0;
  {
    auto st = state_store::open(dir);
    ASSERT_TRUE(st) << st.error().message;
    auto meta = st.value()->table(0);
    with_state = relations_with_state(*meta).size();
    ASSERT_EQ(with_state, 1u);
    meta->put("v", "4");
    ASSERT_TRUE(st.value()->commit());
  }
  {
    engine e(options());
    auto r = e.open_catalog();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::io_error);
    const std::string& m = r.error().message;
    EXPECT_NE(m.find("format version 4"), std::string::npos) << m;
    EXPECT_NE(m.find(dir.string()), std::string::npos) << m;
    EXPECT_NE(m.find("reads versions 1 to 3"), std::string::npos) << m;
    EXPECT_NE(m.find("move the directory away"), std::string::npos) << m;
  }
  {
    // Nothing was deleted or rewritten.
    auto st = state_store::open(dir);
    ASSERT_TRUE(st) << st.error().message;
    auto meta = st.value()->table(0);
    EXPECT_EQ(meta->get("v").value_or(""), "4");
    EXPECT_EQ(relations_with_state(*meta).size(), with_state);
  }
}

}  // namespace
}  // namespace runnel::sql
