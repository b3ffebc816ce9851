// The __consumer_offsets record format (docs/format/consumer-offsets.md):
// byte-exact vectors, round trips, hostile input, and the group-to-partition
// rule that must match Kafka's.
#include "broker/offsets_format.h"

#include <gtest/gtest.h>

namespace runnel::broker::offsets_format {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(std::byte(b));
  return out;
}

TEST(OffsetsFormat, OffsetKeyBytes) {
  EXPECT_EQ(encode_key(offset_key{"g", "t", 3}), bytes({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
}

TEST(OffsetsFormat, GroupKeyBytes) {
  EXPECT_EQ(encode_key(group_key{"ab"}), bytes({0, 2, 0, 2, 'a', 'b'}));
}

TEST(OffsetsFormat, OffsetValueBytes) {
  EXPECT_EQ(encode_value(offset_value{5, 7, "m", 9}),
            bytes({0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 7, 0, 1, 'm', 0, 0, 0, 0, 0, 0, 0, 9}));
}

TEST(OffsetsFormat, KeysRoundTrip) {
  const offset_key ok{"group-1", "orders", 17};
  auto k = decode_key(encode_key(ok));
  ASSERT_TRUE(k);
  EXPECT_EQ(std::get<offset_key>(*k), ok);
  auto g = decode_key(encode_key(group_key{"group-1"}));
  ASSERT_TRUE(g);
  EXPECT_EQ(std::get<group_key>(*g).group, "group-1");
}

TEST(OffsetsFormat, GroupValueRoundTrip) {
  group_value v;
  v.protocol_type = "consumer";
  v.generation = 4;
  v.protocol = "range";
  v.leader = "m-1";
  v.state_timestamp = 123;
  v.members.push_back(
      {"m-1", std::nullopt, "c", "/127.0.0.1", 300000, 10000, bytes({1, 2}), bytes({3})});
  v.members.push_back({"m-2", "inst", "c2", "/::1", 1, 2, {}, {}});
  auto d = decode_group_value(encode_value(v));
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, v);
}

TEST(OffsetsFormat, RejectsTruncatedAndUnknown) {
  auto k = encode_key(offset_key{"g", "t", 1});
  for (size_t n = 0; n < k.size(); ++n) EXPECT_FALSE(decode_key(std::span(k).first(n))) << n;
  EXPECT_FALSE(decode_key(bytes({0, 9, 0, 0})));
  auto v = encode_value(offset_value{1, 2, "x", 3});
  for (size_t n = 0; n < v.size(); ++n)
    EXPECT_FALSE(decode_offset_value(std::span(v).first(n))) << n;
  // A member count far beyond the bytes present must not allocate or crash.
  auto g = bytes({0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,
                  0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff});
  EXPECT_FALSE(decode_group_value(g));
}

// Java's "...".hashCode(), as Kafka computes it.
TEST(OffsetsFormat, PartitionForMatchesKafka) {
  EXPECT_EQ(partition_for("abc", 50), 96354 % 50);
  EXPECT_EQ(partition_for("", 8), 0);
  // "my-group" has a negative hash code (-1906497762).
  int32_t h = 0;
  for (char c : std::string("my-group")) h = int32_t(uint32_t(h) * 31 + uint32_t(c));
  EXPECT_EQ(partition_for("my-group", 50), (h < 0 ? -h : h) % 50);
  // Non-ASCII hashes its UTF-16 code units: U+00E9 is one unit, U+1F600 two.
  EXPECT_EQ(partition_for("\xC3\xA9", 1000), 233);
  EXPECT_EQ(partition_for("\xF0\x9F\x98\x80", 10000000), (0xD83D * 31 + 0xDE00) % 10000000);
  // Negative hash codes use their absolute value: "polygenelubricants"
  // hashes to Integer.MIN_VALUE, which Kafka maps to 0.
  EXPECT_EQ(partition_for("polygenelubricants", 7), 0);
}

}  // namespace
}  // namespace runnel::broker::offsets_format
