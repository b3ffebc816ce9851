// The same key lands in the same partition whoever writes it: `runnel
// produce` (the CLI), a stream app's `to()`, and Kafka's Java client, whose
// default partitioner is computed here from its documented algorithm
// (tests/common/java_partitioner.h). Records written by the CLI and by apps
// with the same key must meet in the same partition, or co-partitioned joins
// silently miss them.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker_fixture.h"
#include "java_partitioner.h"

namespace runnel::stream::it {
namespace {

class partitioner : public broker_fixture {};

// Runs `runnel produce TOPIC -K :` with `lines` on its stdin; its exit status.
int cli_produce(const std::string& brokers, const std::string& topic, const std::string& lines) {
  const std::string cmd =
      fmt::format("'{}' produce '{}' -K : --brokers {}", RUNNEL_BINARY, topic, brokers);
  FILE* p = ::popen(cmd.c_str(), "w");
  if (!p) return -1;
  std::fwrite(lines.data(), 1, lines.size(), p);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(partitioner, cli_stream_library_and_java_agree_on_every_key) {
  constexpr int32_t partitions = 6;
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back(fmt::format("user-{}", i * 7919));
  keys.push_back("alice");  // the key of the issue that found the mismatch
  keys.push_back("");       // an empty key is a key (hashed), not a null one

  // The CLI writes every key into a topic of six partitions.
  const std::string by_cli = unique("cli");
  create_topic(by_cli, partitions);
  std::string lines;
  for (const auto& k : keys) lines += k + ":v\n";
  ASSERT_EQ(cli_produce(bootstrap(), by_cli, lines), 0);

  // A stream app reads the same keys from one partition and writes them with
  // `to()` into another topic of six partitions: where they land is purely
  // the library's partitioner.
  const std::string seed = unique("seed");
  const std::string by_app = unique("app-out");
  create_topic(seed, 1);
  create_topic(by_app, partitions);
  std::vector<input> in;
  for (const auto& k : keys) in.push_back({seed, k, "v", base_time(), 0});
  builder b;
  b.stream<std::string, std::string>(seed).to(by_app);
  const std::string id = unique("app");
  running_app app(b.build(), config(id));
  produce(in);
  wait_caught_up(id, {seed});

  auto placed = [&](const std::string& topic) {
    std::map<std::string, std::set<int32_t>> where;
    for (const auto& o : read_all(topic)) where[o.key.value_or("<null>")].insert(o.partition);
    return where;
  };
  const auto cli = placed(by_cli);
  const auto lib = placed(by_app);
  ASSERT_EQ(cli.size(), keys.size());
  ASSERT_EQ(lib.size(), keys.size());
  std::set<int32_t> used;
  for (const auto& k : keys) {
    const int32_t java = runnel::test::java_partition(k, partitions);
    EXPECT_EQ(cli.at(k), std::set<int32_t>{java}) << "runnel produce, key '" << k << "'";
    EXPECT_EQ(lib.at(k), std::set<int32_t>{java}) << "stream to(), key '" << k << "'";
    used.insert(java);
  }
  // The keys spread: a partitioner that ignored them could not match above.
  EXPECT_GT(used.size(), 3u);
  ASSERT_TRUE(app.stop());
}

}  // namespace
}  // namespace runnel::stream::it
