// The walker behind runnel_request_errors_total: every error_code a typed
// response carries, at any depth, once each.
#include <gtest/gtest.h>

#include <vector>

#include "broker/metrics.h"
#include "kafka/error_code.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/produce.h"

namespace runnel::broker {
namespace {

template <class M>
std::vector<int16_t> errors_of(const M& m) {
  std::vector<int16_t> out;
  auto f = [&out](int16_t c) { out.push_back(c); };
  detail::for_each_error(m, f);
  return out;
}

TEST(ResponseErrors, FindsPartitionErrorsInsideTopics) {
  kafka::produce_response r;
  r.topics.resize(2);
  r.topics[0].partitions.resize(3);
  r.topics[0].partitions[1].error_code = 3;
  r.topics[1].partitions.resize(1);
  r.topics[1].partitions[0].error_code = 87;
  EXPECT_EQ(errors_of(r), (std::vector<int16_t>{3, 87}));
}

TEST(ResponseErrors, FindsTopLevelAndNestedErrors) {
  kafka::fetch_response r;
  r.error_code = 70;
  r.responses.resize(1);
  r.responses[0].partitions.resize(2);
  r.responses[0].partitions[0].error_code = 1;
  EXPECT_EQ(errors_of(r), (std::vector<int16_t>{70, 1}));

  kafka::metadata_response m;
  m.topics.resize(1);
  m.topics[0].error_code = 3;
  m.topics[0].partitions.resize(1);
  m.topics[0].partitions[0].error_code = 5;
  EXPECT_EQ(errors_of(m), (std::vector<int16_t>{3, 5}));

  kafka::leave_group_response l;
  l.members.resize(2);
  l.members[1].error_code = 25;
  EXPECT_EQ(errors_of(l), (std::vector<int16_t>{25}));
}

TEST(ResponseErrors, NoErrorsInASuccessfulResponse) {
  kafka::produce_response r;
  r.topics.resize(1);
  r.topics[0].partitions.resize(4);
  EXPECT_TRUE(errors_of(r).empty());
}

TEST(ErrorName, KafkasNames) {
  EXPECT_STREQ(kafka::error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_STREQ(kafka::error_name(-1), "UNKNOWN_SERVER_ERROR");
  EXPECT_STREQ(kafka::error_name(82), "FENCED_INSTANCE_ID");
  EXPECT_STREQ(kafka::error_name(87), "INVALID_RECORD");
  EXPECT_STREQ(kafka::error_name(103), "INCONSISTENT_TOPIC_ID");
  EXPECT_EQ(kafka::error_name(9999), nullptr);
}

}  // namespace
}  // namespace runnel::broker
