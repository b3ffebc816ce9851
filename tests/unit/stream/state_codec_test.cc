// Byte-level vectors for the state stores' changelog and time-index keys
// (docs/format/state-stores.md): the bytes are a format other processes and
// later versions read, so they are pinned here exactly.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "runnel/stream/windowed.h"
#include "stream/state/changelog_codec.h"
#include "stream/state/time_index_codec.h"

namespace runnel::stream::state {
namespace {

using namespace std::string_literals;

std::string ordered(int64_t t) {
  std::string out;
  append_ordered_time(out, t);
  return out;
}

TEST(state_codec, ordered_time_flips_the_sign_bit) {
  EXPECT_EQ(ordered(0), "\x80\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(ordered(1), "\x80\x00\x00\x00\x00\x00\x00\x01"s);
  EXPECT_EQ(ordered(-1), "\x7f\xff\xff\xff\xff\xff\xff\xff"s);
  EXPECT_EQ(ordered(std::numeric_limits<int64_t>::min()), std::string(8, '\0'));
  EXPECT_EQ(ordered(std::numeric_limits<int64_t>::max()), std::string(8, '\xff'));
  for (int64_t t : {std::numeric_limits<int64_t>::min(), int64_t{-1000}, int64_t{-1}, int64_t{0},
                    int64_t{1}, int64_t{1700000000000}, std::numeric_limits<int64_t>::max()})
    EXPECT_EQ(load_ordered_time(ordered(t).data()), t);
}

TEST(state_codec, ordered_time_sorts_as_bytes_like_numbers) {
  const int64_t times[] = {
      std::numeric_limits<int64_t>::min(), -86400000, -2, -1, 0, 1, 2, 86400000,
      std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < std::size(times); ++i)
    EXPECT_LT(ordered(times[i]), ordered(times[i + 1])) << times[i] << " vs " << times[i + 1];
}

TEST(state_codec, window_key_layout) {
  const std::string bytes = encode_window_key({"ab", -2, 7});
  EXPECT_EQ(bytes,
            "\x00\x00\x00\x02"
            "ab"
            "\x7f\xff\xff\xff\xff\xff\xff\xfe"
            "\x00\x00\x00\x07"s);
  auto k = decode_window_key(bytes);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, (window_key{"ab", -2, 7}));
}

TEST(state_codec, window_index_key_layout) {
  const std::string bytes = encode_window_index_key({"ab", 5, 1});
  EXPECT_EQ(bytes,
            "\x80\x00\x00\x00\x00\x00\x00\x05"
            "\x00\x00\x00\x02"
            "ab"
            "\x00\x00\x00\x01"s);
  auto k = decode_window_index_key(bytes);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, (window_key{"ab", 5, 1}));
}

TEST(state_codec, session_key_puts_end_before_start) {
  const std::string bytes = encode_session_key({"k", -1, 3});
  EXPECT_EQ(bytes,
            "\x00\x00\x00\x01"
            "k"
            "\x80\x00\x00\x00\x00\x00\x00\x03"
            "\x7f\xff\xff\xff\xff\xff\xff\xff"s);
  auto k = decode_session_key(bytes);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, (session_key{"k", -1, 3}));
}

TEST(state_codec, session_index_key_layout) {
  const std::string bytes = encode_session_index_key({"k", 1, 3});
  EXPECT_EQ(bytes,
            "\x80\x00\x00\x00\x00\x00\x00\x03"
            "\x00\x00\x00\x01"
            "k"
            "\x80\x00\x00\x00\x00\x00\x00\x01"s);
  auto k = decode_session_index_key(bytes);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, (session_key{"k", 1, 3}));
}

TEST(state_codec, empty_and_binary_user_keys_round_trip) {
  const std::string binary("\x00\xff\x00", 3);
  for (const std::string& key : {std::string(), binary}) {
    EXPECT_EQ(decode_window_key(encode_window_key({key, 9, 2})), (window_key{key, 9, 2}));
    EXPECT_EQ(decode_session_key(encode_session_key({key, 1, 9})), (session_key{key, 1, 9}));
    EXPECT_EQ(decode_window_index_key(encode_window_index_key({key, 9, 2})),
              (window_key{key, 9, 2}));
    EXPECT_EQ(decode_session_index_key(encode_session_index_key({key, 1, 9})),
              (session_key{key, 1, 9}));
  }
}

TEST(state_codec, malformed_keys_do_not_decode) {
  const std::string good = encode_window_key({"abc", 1, 0});
  EXPECT_FALSE(decode_window_key(""));
  EXPECT_FALSE(decode_window_key("abc"));
  EXPECT_FALSE(decode_window_key(good.substr(0, good.size() - 1)));  // truncated
  EXPECT_FALSE(decode_window_key(good + "x"));                       // trailing byte
  std::string huge_length = good;
  huge_length[0] = '\xff';  // key length far past the end
  EXPECT_FALSE(decode_window_key(huge_length));
  // A session key is 4 bytes longer than a window key of the same user key:
  // each decoder rejects the other's keys.
  EXPECT_FALSE(decode_session_key(good));
  EXPECT_FALSE(decode_window_key(encode_session_key({"abc", 1, 2})));
  EXPECT_FALSE(decode_window_index_key(good.substr(0, 10)));
  EXPECT_FALSE(decode_session_index_key(std::string(8, '\0')));
}

// The watermark entry of window and join stores: a format byte, then the
// bound big-endian, whatever the host's byte order.
TEST(state_codec, watermark_is_a_format_byte_and_big_endian) {
  EXPECT_EQ(detail::encode_watermark(1700000000000), "\x01\x00\x00\x01\x8b\xcf\xe5\x68\x00"s);
  EXPECT_EQ(detail::encode_watermark(-1), "\x01"s + std::string(8, '\xff'));
  EXPECT_EQ(detail::encode_watermark(std::numeric_limits<int64_t>::min()),
            "\x01\x80"s + std::string(7, '\0'));
  for (int64_t b : {std::numeric_limits<int64_t>::min(), int64_t{-5}, int64_t{0},
                    int64_t{1700000000000}, std::numeric_limits<int64_t>::max()})
    EXPECT_EQ(detail::decode_watermark(detail::encode_watermark(b)), b);
}

// Stores written before the format byte: 8 bytes, little-endian (the host
// order of every machine runnel ran on), still read.
TEST(state_codec, watermark_reads_the_old_little_endian_form) {
  EXPECT_EQ(detail::decode_watermark("\x00\x68\xe5\xcf\x8b\x01\x00\x00"s), 1700000000000);
  EXPECT_EQ(detail::decode_watermark(std::string(8, '\xff')), -1);
  EXPECT_EQ(detail::decode_watermark(""), std::nullopt);
  EXPECT_EQ(detail::decode_watermark("\x02"s + std::string(8, '\0')), std::nullopt);
  EXPECT_EQ(detail::decode_watermark("\x01\x00"s), std::nullopt);
}

}  // namespace
}  // namespace runnel::stream::state
