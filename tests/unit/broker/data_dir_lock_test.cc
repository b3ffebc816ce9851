// One data directory, one process (data_dir_lock.h): a second broker on the
// same directory refuses to start, before it reads anything, and starts once
// the first has stopped. (tests/integration/test_data_dir.py checks the same
// with real processes and the POSIX lock.)
#include <gtest/gtest.h>

#include "broker/errc.h"
#include "broker_harness.h"

namespace runnel::broker::testing {
namespace {

TEST(data_dir_lock, a_second_broker_on_the_same_directory_refuses_to_start) {
  in_process_broker first;
  first.start();
  {
    kafka_client c(first.port());
    ASSERT_EQ(c.produce("t", 0, make_batch("v", 1)).error_code, 0);
  }
  const auto topics_before = first.fs.contents("/data/meta/topics.json");

  server second(small_config(), first.fs);
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(broker_errc::data_dir_locked));
  // It touched nothing.
  EXPECT_EQ(first.fs.contents("/data/meta/topics.json"), topics_before);
  second.shutdown();
  // The first goes on serving.
  {
    kafka_client c(first.port());
    EXPECT_EQ(c.produce("t", 0, make_batch("w", 1)).error_code, 0);
  }
  // Once it has stopped, the directory is free again.
  first.stop();
  server third(small_config(), first.fs);
  EXPECT_TRUE(third.start());
  third.shutdown();
}

TEST(data_dir_lock, the_lock_file_names_the_holder) {
  in_process_broker b;
  b.start();
  auto text = b.fs.contents("/data/.lock");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(text.data()), text.size()),
            std::to_string(::getpid()) + "\n");
}

}  // namespace
}  // namespace runnel::broker::testing
