// broker_fixture: the common ground of the stream integration tests — a real
// `runnel serve` process (one per test suite, on a free port, in a private
// data directory), clients to create topics, produce input and read output,
// and running_app, which runs a stream app on its own thread.
//
// Synchronisation is by observable progress, never by sleeping: a test waits
// until the app has committed input offsets up to the inputs' ends (the app
// commits only after every output record is acknowledged), then reads the
// output topics up to their ends.
//
// Thread-safety: the fixture's helpers run on the test thread; running_app
// owns the one thread that runs app::run().
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "runnel/client/producer.h"
#include "runnel/stream.h"

namespace runnel::stream::it {

// One record to produce.
struct input {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  int32_t partition = 0;
};

// A consumed output record, reduced to what the tests compare.
struct output {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<client::header> headers;
};

// Event times for test input: a whole hour, one hour before the test run
// started. Input must be recent: the broker's time-based retention deletes
// records whose timestamps are older than retention.ms.
int64_t base_time();

// A unique temporary directory, removed with its contents.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix);
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs app::run() on its own thread from construction until stop().
class running_app {
 public:
  running_app(topology t, app_config c);
  running_app(const running_app&) = delete;
  running_app& operator=(const running_app&) = delete;
  ~running_app();

  // Asks the app to stop and waits for run() to return; its result.
  client::result<void> stop();
  // Waits (up to `timeout`) for run() to return on its own.
  std::optional<client::result<void>> wait_exit(std::chrono::milliseconds timeout);
  runnel::stream::app& get() { return *app_; }

 private:
  std::unique_ptr<runnel::stream::app> app_;
  std::thread thread_;
  std::shared_ptr<struct run_outcome> outcome_;
};

class broker_fixture : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;

  static const std::string& bootstrap();
  client::admin& admin();

  // A name unique to this test run: "<test>-<what>-<pid>-<n>".
  std::string unique(const std::string& what);
  void create_topic(const std::string& name, int32_t partitions = 1);
  // Produces in order (one partition: in this order) and waits for acks.
  void produce(const std::vector<input>& records);

  // An app config with a private state dir and quick commits.
  app_config config(const std::string& application_id);
  // Waits until the app's group has committed every partition of `topics`
  // (and of the app's repartition topics) up to its end.
  void wait_caught_up(const std::string& application_id, const std::vector<std::string>& topics,
                      std::chrono::seconds timeout = std::chrono::seconds(60));
  // Every record of `topic` up to its current end, by partition and offset.
  std::vector<output> read_all(const std::string& topic);
  // Reads `topic` from the start until `count` records arrived or `timeout`.
  std::vector<output> read_until(const std::string& topic, size_t count,
                                 std::chrono::seconds timeout = std::chrono::seconds(60));
  // Sum of the late_records metric over the app's tasks.
  static uint64_t late_records(const app_metrics& m);

  std::unique_ptr<temp_dir> state_;  // this test's state dirs live here

 private:
  std::optional<client::admin> admin_;
  std::optional<client::producer> producer_;
  int counter_ = 0;
};

}  // namespace runnel::stream::it
