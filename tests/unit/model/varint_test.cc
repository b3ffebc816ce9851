#include "model/varint.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::model {
namespace {

std::vector<std::byte> bytes(std::initializer_list<uint8_t> l) {
  std::vector<std::byte> v;
  for (auto b : l) v.push_back(static_cast<std::byte>(b));
  return v;
}

std::vector<std::byte> encode_varint(int32_t v) {
  std::vector<std::byte> out;
  write_varint(out, v);
  return out;
}

std::vector<std::byte> encode_varlong(int64_t v) {
  std::vector<std::byte> out;
  write_varlong(out, v);
  return out;
}

std::vector<std::byte> encode_unsigned(uint32_t v) {
  std::vector<std::byte> out;
  write_unsigned_varint(out, v);
  return out;
}

constexpr int32_t i32_min = std::numeric_limits<int32_t>::min();
constexpr int32_t i32_max = std::numeric_limits<int32_t>::max();
constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();

TEST(varint, zigzag_byte_vectors) {
  EXPECT_EQ(encode_varint(0), bytes({0x00}));
  EXPECT_EQ(encode_varint(-1), bytes({0x01}));
  EXPECT_EQ(encode_varint(1), bytes({0x02}));
  EXPECT_EQ(encode_varint(63), bytes({0x7E}));
  EXPECT_EQ(encode_varint(-64), bytes({0x7F}));
  EXPECT_EQ(encode_varint(64), bytes({0x80, 0x01}));
  EXPECT_EQ(encode_varint(-65), bytes({0x81, 0x01}));
  EXPECT_EQ(encode_varint(i32_max), bytes({0xFE, 0xFF, 0xFF, 0xFF, 0x0F}));
  EXPECT_EQ(encode_varint(i32_min), bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
}

TEST(varint, varlong_byte_vectors) {
  EXPECT_EQ(encode_varlong(0), bytes({0x00}));
  EXPECT_EQ(encode_varlong(-1), bytes({0x01}));
  EXPECT_EQ(encode_varlong(1), bytes({0x02}));
  EXPECT_EQ(encode_varlong(64), bytes({0x80, 0x01}));
  EXPECT_EQ(encode_varlong(i64_max),
            bytes({0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  EXPECT_EQ(encode_varlong(i64_min),
            bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(varint, unsigned_byte_vectors) {
  EXPECT_EQ(encode_unsigned(0), bytes({0x00}));
  EXPECT_EQ(encode_unsigned(1), bytes({0x01}));
  EXPECT_EQ(encode_unsigned(127), bytes({0x7F}));
  EXPECT_EQ(encode_unsigned(128), bytes({0x80, 0x01}));
  EXPECT_EQ(encode_unsigned(300), bytes({0xAC, 0x02}));
  EXPECT_EQ(encode_unsigned(std::numeric_limits<uint32_t>::max()),
            bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
}

TEST(varint, varint_round_trips_and_advances_exactly) {
  for (int32_t v : {0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 1 << 20, -(1 << 20), i32_max,
                    i32_min, i32_max - 1, i32_min + 1}) {
    auto enc = encode_varint(v);
    ASSERT_EQ(enc.size(), varint_size(v)) << v;
    enc.push_back(std::byte{0xAA});  // a following field must be left alone
    std::span<const std::byte> in(enc);
    auto got = read_varint(in);
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, v);
    ASSERT_EQ(in.size(), 1u) << v;
    EXPECT_EQ(in[0], std::byte{0xAA});
  }
}

TEST(varint, varlong_round_trips_and_advances_exactly) {
  for (int64_t v :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{64}, int64_t{-65}, int64_t{i32_max},
        int64_t{i32_min}, int64_t{i32_max} + 1, int64_t{i32_min} - 1, int64_t{1} << 62,
        -(int64_t{1} << 62), i64_max, i64_min, i64_max - 1, i64_min + 1}) {
    auto enc = encode_varlong(v);
    ASSERT_EQ(enc.size(), varlong_size(v)) << v;
    enc.push_back(std::byte{0xAA});
    std::span<const std::byte> in(enc);
    auto got = read_varlong(in);
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, v);
    EXPECT_EQ(in.size(), 1u) << v;
  }
}

TEST(varint, unsigned_round_trips) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    auto enc = encode_unsigned(v);
    std::span<const std::byte> in(enc);
    auto got = read_unsigned_varint(in);
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(varint, sizes_at_group_boundaries) {
  EXPECT_EQ(varint_size(0), 1u);
  EXPECT_EQ(varint_size(-64), 1u);
  EXPECT_EQ(varint_size(64), 2u);
  EXPECT_EQ(varint_size(i32_max), 5u);
  EXPECT_EQ(varint_size(i32_min), 5u);
  EXPECT_EQ(varlong_size(-1), 1u);
  EXPECT_EQ(varlong_size(i64_min), 10u);
  EXPECT_EQ(varlong_size(i64_max), 10u);
}

TEST(varint, reads_consecutive_values) {
  std::vector<std::byte> buf;
  write_varint(buf, 300);
  write_varlong(buf, -5);
  write_unsigned_varint(buf, 7);
  std::span<const std::byte> in(buf);
  EXPECT_EQ(read_varint(in), 300);
  EXPECT_EQ(read_varlong(in), -5);
  EXPECT_EQ(read_unsigned_varint(in), 7u);
  EXPECT_TRUE(in.empty());
}

TEST(varint, empty_input_is_rejected) {
  std::span<const std::byte> in;
  EXPECT_FALSE(read_varint(in).has_value());
  in = {};
  EXPECT_FALSE(read_varlong(in).has_value());
  in = {};
  EXPECT_FALSE(read_unsigned_varint(in).has_value());
}

TEST(varint, truncated_input_is_rejected_without_reading_past_the_span) {
  // Every proper prefix of a multi-byte encoding ends on a continuation bit.
  // The span is cut out of a larger buffer whose next byte would terminate
  // the varint, so reading past the end would show up as a wrong success.
  auto full = encode_varlong(i64_min);
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<std::byte> buf(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    buf.push_back(std::byte{0x00});
    std::span<const std::byte> in = std::span<const std::byte>(buf).first(n);
    EXPECT_FALSE(read_varlong(in).has_value()) << n;
  }
  auto full32 = encode_varint(i32_min);
  for (size_t n = 0; n < full32.size(); ++n) {
    std::vector<std::byte> buf(full32.begin(), full32.begin() + static_cast<ptrdiff_t>(n));
    buf.push_back(std::byte{0x00});
    std::span<const std::byte> in = std::span<const std::byte>(buf).first(n);
    EXPECT_FALSE(read_varint(in).has_value()) << n;
    in = std::span<const std::byte>(buf).first(n);
    EXPECT_FALSE(read_unsigned_varint(in).has_value()) << n;
  }
}

TEST(varint, overlong_encodings_are_rejected) {
  // Six bytes for a 32-bit value: a padded zero (80 80 80 80 80 00).
  auto six = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  std::span<const std::byte> in(six);
  EXPECT_FALSE(read_varint(in).has_value());
  in = six;
  EXPECT_FALSE(read_unsigned_varint(in).has_value());
  // ...but six bytes are fine for a varlong.
  in = six;
  EXPECT_EQ(read_varlong(in), 0);

  // Eleven bytes for a 64-bit value.
  auto eleven = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  in = eleven;
  EXPECT_FALSE(read_varlong(in).has_value());

  // Endless continuation bits.
  std::vector<std::byte> endless(64, std::byte{0xFF});
  in = endless;
  EXPECT_FALSE(read_varint(in).has_value());
  in = endless;
  EXPECT_FALSE(read_varlong(in).has_value());
}

TEST(varint, non_minimal_encoding_within_the_limit_is_accepted) {
  // Kafka's own decoder accepts padded encodings up to the byte limit.
  auto padded_one = bytes({0x82, 0x80, 0x00});
  std::span<const std::byte> in(padded_one);
  EXPECT_EQ(read_varint(in), 1);
  EXPECT_TRUE(in.empty());
}

}  // namespace
}  // namespace runnel::model
