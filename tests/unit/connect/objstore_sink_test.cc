// The object-store sink task on a directory (S3 and Azure: the same task,
// tests/integration/objstore): files named from topic, partition and first
// offset, rolled by count, size and record time, Hive-style time paths,
// CSV and compression, and exactly-once names: a replay from the offset
// pre_commit returned rewrites the same files, no record twice.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "connect/objstore/decompress.h"
#include "connect/objstore/directory_store.h"
#include "connect/objstore/sink_task.h"

namespace runnel::connect::objstore {
namespace {

namespace fs = std::filesystem;

class driver : public sink_task_context {
 public:
  explicit driver(config_map p) : props_(std::move(p)) {}
  const config_map& configs() const override { return props_; }
  void offset(const client::topic_partition&, int64_t) override {}
  void timeout(std::chrono::milliseconds) override {}
  std::vector<client::topic_partition> assignment() const override { return {}; }
  void pause(const std::vector<client::topic_partition>&) override {}
  void resume(const std::vector<client::topic_partition>&) override {}
  void request_commit() override {}
  result<void> report(const sink_record&, const error& e) override { return e; }

 private:
  config_map props_;
};

sink_record rec(int32_t partition, int64_t offset, data value, int64_t ts = 0) {
  sink_record r;
  r.topic = "orders";
  r.kafka_partition = partition;
  r.kafka_offset = offset;
  r.value = std::move(value);
  r.timestamp = ts;
  return r;
}

class sink_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "runnel-objstore-sink-XXXXXX").string();
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    root_ = t;
    store_ = directory_store::open(root_).value();
  }
  void TearDown() override { fs::remove_all(root_); }
  config_map props(config_map extra = {}) {
    config_map p{{"output.path", root_.string()}, {"flush.size", "3"}};
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  }
  std::map<std::string, std::string> files() {
    std::map<std::string, std::string> out;
    list_request req;
    auto page = store_->list(req).value();
    for (auto& o : page.objects) out[o.key] = store_->read(o.key).value();
    return out;
  }
  fs::path root_;
  std::unique_ptr<directory_store> store_;
};

TEST_F(sink_test, files_roll_by_count_and_are_named_from_partition_and_first_offset) {
  driver d(props());
  objstore_sink_task t(store_kind::directory);
  ASSERT_TRUE(t.start(d.configs(), d));
  std::vector<sink_record> batch;
  for (int i = 0; i < 7; ++i) batch.push_back(rec(0, 100 + i, data{{"n", i}}));
  batch.push_back(rec(1, 5, data{{"n", 99}}));
  ASSERT_TRUE(t.put(batch));
  auto f = files();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f["topics/orders/partition=0/orders+0+0000000100.json"],
            "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(f["topics/orders/partition=0/orders+0+0000000103.json"],
            "{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n");
  // Records 106 (partition 0) and 5 (partition 1) are buffered: the offsets
  // safe to commit stop before them.
  offset_map current{{{"orders", runnel::partition_id(0)}, 107},
                     {{"orders", runnel::partition_id(1)}, 6}};
  auto safe = t.pre_commit(current).value();
  client::topic_partition p0{"orders", runnel::partition_id(0)};
  client::topic_partition p1{"orders", runnel::partition_id(1)};
  EXPECT_EQ(safe[p0], 106);
  EXPECT_EQ(safe[p1], 5);
}

TEST_F(sink_test, a_replay_after_a_crash_rewrites_the_same_files_and_nothing_twice) {
  std::vector<sink_record> all;
  for (int i = 0; i < 10; ++i) all.push_back(rec(0, i, data{{"n", i}}));
  int64_t committed = 0;
  {
    driver d(props());
    objstore_sink_task t(store_kind::directory);
    ASSERT_TRUE(t.start(d.configs(), d));
    std::vector<sink_record> first(all.begin(), all.begin() + 8);
    ASSERT_TRUE(t.put(first));
    committed = t.pre_commit({{{"orders", runnel::partition_id(0)}, 8}}).value().begin()->second;
    EXPECT_EQ(committed, 6);
    // More records go into files, but the task dies before the next commit.
    std::vector<sink_record> more(all.begin() + 8, all.end());
    ASSERT_TRUE(t.put(more));
  }
  auto before = files();
  driver d(props());
  objstore_sink_task t(store_kind::directory);
  ASSERT_TRUE(t.start(d.configs(), d));
  std::vector<sink_record> replay(all.begin() + committed, all.end());
  ASSERT_TRUE(t.put(replay));
  auto after = files();
  EXPECT_EQ(after, before);  // the same names, the same content
  std::multiset<int> seen;
  for (auto& [name, body] : after) {
    for (size_t at = 0; (at = body.find("\"n\":", at)) != std::string::npos; at += 4) {
      seen.insert(std::stoi(body.substr(at + 4)));
    }
  }
  EXPECT_EQ(seen, (std::multiset<int>{0, 1, 2, 3, 4, 5, 6, 7, 8}));  // 9 still buffered
}

TEST_F(sink_test, hive_time_paths_record_time_rotation_csv_and_gzip) {
  driver d(
      props({{"partitioner.class", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"},
             {"path.format", "'dt'=YYYY-MM-dd/'hour'=HH"},
             {"flush.size", "100"},
             {"rotate.interval.ms", "600000"},
             {"format", "csv"},
             {"compression.type", "gzip"}}));
  objstore_sink_task t(store_kind::directory);
  ASSERT_TRUE(t.start(d.configs(), d));
  int64_t h = 1764759600000;  // 2025-12-03T11:00:00Z
  std::vector<sink_record> batch{
      rec(0, 0, data{{"id", 1}, {"note", "a, b"}}, h + 1000),
      rec(0, 1, data{{"id", 2}, {"note", "c"}}, h + 2000),
      rec(0, 2, data{{"id", 3}, {"note", "x"}}, h + 3600000),        // the next hour
      rec(0, 3, data{{"id", 4}, {"note", "late"}}, h + 11 * 60000),  // past rotate.interval.ms
  };
  ASSERT_TRUE(t.put(batch));
  auto f = files();
  ASSERT_EQ(f.size(), 1u);  // the first file of hour 11 rolled when record 3 came
  auto& [name, body] = *f.begin();
  EXPECT_EQ(name, "topics/orders/dt=2025-12-03/hour=11/orders+0+0000000000.csv.gz");
  auto inflate = make_decompressor(compression::gzip);
  std::string plain;
  ASSERT_TRUE(inflate->feed(body, plain));
  EXPECT_EQ(plain, "id,note\n1,\"a, b\"\n2,c\n");
  auto safe = t.pre_commit({{{"orders", runnel::partition_id(0)}, 4}}).value();
  EXPECT_EQ(safe.begin()->second, 2);  // hour 12's file starts at offset 2
}

TEST_F(sink_test, bad_configs_and_records_are_refused) {
  objstore_sink_task t(store_kind::directory);
  driver bad(props({{"partitioner.class", "field"}}));
  EXPECT_EQ(t.start(bad.configs(), bad).error().kind, errc::invalid_config);
  driver d(props({{"partitioner.class", "field"}, {"partition.field.name", "region"}}));
  ASSERT_TRUE(t.start(d.configs(), d));
  std::vector<sink_record> batch{rec(0, 0, data{{"region", "eu"}}), rec(0, 1, data{{"x", 1}})};
  auto r = t.put(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, errc::data);
}

}  // namespace
}  // namespace runnel::connect::objstore
