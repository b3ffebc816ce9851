// admin::delete_records against a real broker: the log start moves up.
#include <gtest/gtest.h>

#include "client_test_env.h"
#include "runnel/client/admin.h"

namespace runnel::test {
namespace {

TEST(admin_delete_records, moves_the_log_start) {
  auto topic = unique_topic("purge");
  create_topic(topic, 2);
  std::vector<client::outgoing_message> msgs;
  for (int i = 0; i < 10; ++i) {
    client::outgoing_message m;
    m.topic = topic;
    m.partition = runnel::partition_id(i % 2);
    m.value = "v" + std::to_string(i);
    msgs.push_back(m);
  }
  produce(msgs);
  auto admin = client::admin::create(client::admin_options{config(), std::chrono::seconds(30)});
  ASSERT_TRUE(admin) << admin.error().message;
  auto r = admin.value().delete_records({{topic, runnel::partition_id(0), runnel::offset(3)},
                                         {topic, runnel::partition_id(1), runnel::offset(5)}});
  ASSERT_TRUE(r) << r.error().message;
  auto offsets = admin.value().offsets(topic);
  ASSERT_TRUE(offsets) << offsets.error().message;
  ASSERT_EQ(offsets.value().size(), 2u);
  EXPECT_EQ(offsets.value()[0].start(), 3);
  EXPECT_EQ(offsets.value()[1].start(), 5);
  EXPECT_EQ(offsets.value()[0].end(), 5);

  // Past the end is refused with Kafka's error, not ignored.
  auto bad = admin.value().delete_records({{topic, runnel::partition_id(0), runnel::offset(99)}});
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace runnel::test
