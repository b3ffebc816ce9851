// The object-store source task on a local directory (the same task reads S3
// and Azure: tests/integration/objstore): formats and decompression, one
// partition per file, exactly once per file version across restarts
// mid-file, include.existing, the per-poll limits and the after-actions.
#include <gtest/gtest.h>

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "../../common/source_task_driver.h"
#include "connect/objstore/directory_store.h"
#include "connect/objstore/source_task.h"

namespace runnel::connect::objstore {
namespace {

namespace fs = std::filesystem;
using test::source_task_driver;

class source_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "runnel-objstore-src-XXXXXX").string();
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    root_ = t;
    store_ = directory_store::open(root_).value();
  }
  void TearDown() override { fs::remove_all(root_); }

  config_map props(config_map extra = {}) {
    config_map p{{"input.path", root_.string()},
                 {"topic", "files"},
                 {"format", "json"},
                 {"min.object.age.ms", "0"},
                 {"poll.interval.ms", "50"}};
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  }
  std::unique_ptr<objstore_source_task> started(source_task_driver& d) {
    auto t = std::make_unique<objstore_source_task>(store_kind::directory);
    auto s = t->start(d.configs(), d);
    EXPECT_TRUE(s) << s.error().message;
    return t;
  }
  static std::string lines(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += fmt::format("{{\"n\":{}}}\n", i);
    return s;
  }
  // The "n" of every data record, per file key, in order.
  static std::map<std::string, std::vector<int>> by_file(const std::vector<source_record>& rs) {
    std::map<std::string, std::vector<int>> out;
    for (auto& r : rs) {
      if (r.offset_only()) continue;
      out[r.key.get<std::string>()].push_back(r.value["n"].get<int>());
    }
    return out;
  }

  fs::path root_;
  std::unique_ptr<directory_store> store_;
};

TEST_F(source_test, reads_every_file_once_in_order_with_one_partition_per_file) {
  ASSERT_TRUE(store_->write("in/a.json", lines(0, 100)));
  ASSERT_TRUE(store_->write("in/b.json", lines(100, 150)));
  source_task_driver d(props());
  auto t = started(d);
  auto got = d.run(*t, 150);
  EXPECT_TRUE(d.errors.empty());
  auto files = by_file(got);
  ASSERT_EQ(files.size(), 2u);
  std::vector<int> a(100), b(50);
  std::iota(a.begin(), a.end(), 0);
  std::iota(b.begin(), b.end(), 100);
  EXPECT_EQ(files["in/a.json"], a);
  EXPECT_EQ(files["in/b.json"], b);
  for (auto& r : got) {
    EXPECT_EQ(r.source_partition["container"], root_.string());
    EXPECT_EQ(r.source_partition["key"], r.key);
  }
  // The last record of each file says done; more polls find nothing new.
  EXPECT_EQ(got.back().source_offset["done"], true);
  EXPECT_EQ(got.back().source_offset["records"], 50);
  EXPECT_EQ(source_task_driver::count(d.run(*t, 1, 5)), 0u);
  // A file that lands later is found by the next listing.
  ASSERT_TRUE(store_->write("in/c.json", lines(150, 151)));
  auto later = d.run(*t, 1);
  ASSERT_EQ(source_task_driver::count(later), 1u);
  EXPECT_EQ(later[0].key, "in/c.json");
}

TEST_F(source_test, restart_mid_file_continues_at_the_first_record_not_committed) {
  ASSERT_TRUE(store_->write("big.json", lines(0, 5000)));
  // Small polls, so that the crash falls inside the file.
  source_task_driver d(props({{"read.chunk.bytes", "1024"}, {"max.bytes.per.poll", "4096"}}));
  std::vector<int> seen;
  {
    auto t = started(d);
    auto got = d.run(*t, 1000, 100, /*commit=*/700);
    for (auto& [k, ns] : by_file(got)) seen.insert(seen.end(), ns.begin(), ns.begin() + 700);
    ASSERT_GE(source_task_driver::count(got), 1000u);
  }
  // The first 300 records after 700 were sent but never committed: a new
  // task sends them again (at-least-once) — and nothing before them.
  auto t = started(d);
  auto rest = by_file(d.run(*t, 4300, 200))["big.json"];
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.front(), 700);
  seen.insert(seen.end(), rest.begin(), rest.end());
  std::vector<int> all(5000);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(seen, all);
  // And once done, a third start reads nothing.
  auto t3 = started(d);
  EXPECT_EQ(source_task_driver::count(d.run(*t3, 1, 5)), 0u);
}

TEST_F(source_test, a_file_rewritten_is_a_new_version_read_again) {
  ASSERT_TRUE(store_->write("f.json", lines(0, 3)));
  source_task_driver d(props());
  auto t = started(d);
  EXPECT_EQ(source_task_driver::count(d.run(*t, 3)), 3u);
  ASSERT_TRUE(store_->write("f.json", lines(10, 12)));
  auto again = by_file(d.run(*t, 2));
  EXPECT_EQ(again["f.json"], (std::vector<int>{10, 11}));
}

TEST_F(source_test, gzip_csv_lines_bytes_and_pointer_formats) {
  std::string csv = "n,name\n1,a\n2,\"b, c\"\n";
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string gz(256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(csv.data());
  z.avail_in = uInt(csv.size());
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = uInt(gz.size());
  deflate(&z, Z_FINISH);
  gz.resize(z.total_out);
  deflateEnd(&z);
  ASSERT_TRUE(store_->write("t.csv.gz", gz));
  {
    source_task_driver d(props({{"format", "csv"}}));
    auto t = started(d);
    auto got = d.run(*t, 2);
    ASSERT_EQ(source_task_driver::count(got), 2u);
    EXPECT_EQ(got[1].value.dump(), R"({"n":"2","name":"b, c"})");
  }
  {
    source_task_driver d(props({{"format", "lines"}}));
    auto t = started(d);
    auto got = d.run(*t, 3);
    ASSERT_EQ(source_task_driver::count(got), 3u);
    EXPECT_EQ(got[0].value, "n,name");
  }
  {
    source_task_driver d(props({{"format", "bytes"}}));
    auto t = started(d);
    auto got = d.run(*t, 1);
    ASSERT_EQ(source_task_driver::count(got), 1u);
    const auto& bytes = got[0].value.get_binary();
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), csv);
  }
  {
    source_task_driver d(props({{"format", "pointer"}}));
    auto t = started(d);
    auto got = d.run(*t, 1);
    ASSERT_EQ(source_task_driver::count(got), 1u);
    auto& ev = got[0].value;
    EXPECT_EQ(ev["specversion"], "1.0");
    EXPECT_EQ(ev["subject"], "t.csv.gz");
    EXPECT_EQ(ev["data"]["size"], int64_t(gz.size()));
    EXPECT_EQ(ev["data"]["etag"], store_->stat("t.csv.gz").value().etag);
    EXPECT_EQ(got[0].source_offset["done"], true);
  }
}

TEST_F(source_test, empty_files_and_bad_records) {
  ASSERT_TRUE(store_->write("a-empty.json", ""));
  ASSERT_TRUE(store_->write("b-bad.json", "{\"n\":1}\nnot json\n{\"n\":3}\n"));
  source_task_driver d(props());
  auto t = started(d);
  auto got = d.run(*t, 3, 5);
  // The empty file is marked done with an offset-only record.
  ASSERT_FALSE(got.empty());
  EXPECT_TRUE(got[0].offset_only());
  EXPECT_EQ(got[0].source_partition["key"], "a-empty.json");
  EXPECT_EQ(got[0].source_offset["done"], true);
  // The line that is not JSON is a record carrying its failure (the file
  // and line named, its raw text as the value), between the good ones,
  // with the offset that moves past it; the poll does not fail (the
  // runtime applies errors.tolerance).
  ASSERT_EQ(source_task_driver::count(got), 3u);
  EXPECT_EQ(got[1].value["n"], 1);
  EXPECT_FALSE(got[1].failure);
  ASSERT_TRUE(got[2].failure);
  EXPECT_EQ(got[2].value, "not json");
  EXPECT_EQ(got[2].source_offset["records"], 2);
  EXPECT_NE(got[2].failure->message.find("b-bad.json"), std::string::npos);
  EXPECT_NE(got[2].failure->message.find("line 2"), std::string::npos);
  EXPECT_EQ(got[3].value["n"], 3);
  EXPECT_EQ(got[3].source_offset["done"], true);
  EXPECT_TRUE(d.errors.empty());
}

TEST_F(source_test, include_existing_false_reads_only_new_files_also_after_a_restart) {
  ASSERT_TRUE(store_->write("old.json", lines(0, 5)));
  source_task_driver d(props({{"include.existing", "false"}}));
  {
    auto t = started(d);
    EXPECT_EQ(source_task_driver::count(d.run(*t, 1, 5)), 0u);
  }
  ASSERT_TRUE(store_->write("new.json", lines(5, 7)));
  auto t = started(d);  // a restart: old.json stays skipped, new.json is read
  auto files = by_file(d.run(*t, 2));
  EXPECT_EQ(files.size(), 1u);
  EXPECT_EQ(files["new.json"], (std::vector<int>{5, 6}));
}

TEST_F(source_test, max_files_per_poll_bounds_a_poll) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(store_->write(fmt::format("f{}.json", i), lines(i, i + 1)));
  source_task_driver d(props({{"max.files.per.poll", "3"}}));
  auto t = started(d);
  auto first = t->poll(std::chrono::milliseconds(500)).value();
  EXPECT_EQ(source_task_driver::count(first), 3u);
}

TEST_F(source_test, after_action_delete_and_move) {
  ASSERT_TRUE(store_->write("in/x.json", lines(0, 2)));
  {
    source_task_driver d(
        props({{"prefix", "in/"}, {"after.action", "move"}, {"after.move.prefix", "done/"}}));
    auto t = started(d);
    EXPECT_EQ(source_task_driver::count(d.run(*t, 2)), 2u);
    EXPECT_EQ(store_->stat("in/x.json").error().kind, errc::not_found);
    EXPECT_EQ(store_->read("done/in/x.json").value(), lines(0, 2));
  }
  ASSERT_TRUE(store_->write("in/y.json", lines(0, 1)));
  source_task_driver d(props({{"prefix", "in/"}, {"after.action", "delete"}}));
  auto t = started(d);
  EXPECT_EQ(source_task_driver::count(d.run(*t, 1)), 1u);
  EXPECT_EQ(store_->stat("in/y.json").error().kind, errc::not_found);
  // A move prefix under the source prefix would read files twice: refused.
  source_task_driver bad(
      props({{"after.action", "move"}, {"after.move.prefix", "in/done/"}, {"prefix", "in/"}}));
  objstore_source_task refused(store_kind::directory);
  EXPECT_EQ(refused.start(bad.configs(), bad).error().kind, errc::invalid_config);
}

TEST_F(source_test, wakeup_cuts_a_waiting_poll_short) {
  source_task_driver d(props({{"poll.interval.ms", "60000"}}));
  auto t = started(d);
  EXPECT_TRUE(t->poll(std::chrono::milliseconds(10)).value().empty());  // the first listing
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    t->wakeup();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(t->poll(std::chrono::seconds(30)).value().empty());
  waker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace runnel::connect::objstore
