#include "model/crc32c.h"

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::model {
namespace {

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::vector<std::byte> filled(size_t n, uint8_t (*f)(size_t)) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(f(i));
  return v;
}

std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

// The vectors of RFC 3720 (iSCSI) appendix B.4, plus the common check value.
struct vector_case {
  const char* name;
  std::vector<std::byte> data;
  uint32_t expected;
};

std::vector<vector_case> known_vectors() {
  auto digits = as_bytes("123456789");
  return {
      {"empty", {}, 0x00000000},
      {"check_123456789", {digits.begin(), digits.end()}, 0xE3069283},
      {"zeros_32", filled(32, [](size_t) -> uint8_t { return 0x00; }), 0x8A9136AA},
      {"ones_32", filled(32, [](size_t) -> uint8_t { return 0xFF; }), 0x62A8AB43},
      {"ascending_32", filled(32, [](size_t i) { return static_cast<uint8_t>(i); }), 0x46DD794E},
      {"descending_32", filled(32, [](size_t i) { return static_cast<uint8_t>(31 - i); }),
       0x113FDB5C},
  };
}

TEST(crc32c, dispatching_entry_point_matches_known_vectors) {
  for (const auto& v : known_vectors()) EXPECT_EQ(crc32c(v.data), v.expected) << v.name;
}

TEST(crc32c, portable_matches_known_vectors) {
  for (const auto& v : known_vectors()) EXPECT_EQ(crc32c_portable(v.data), v.expected) << v.name;
}

TEST(crc32c, hardware_matches_known_vectors) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  for (const auto& v : known_vectors()) EXPECT_EQ(crc32c_hardware(v.data), v.expected) << v.name;
}

TEST(crc32c, portable_and_hardware_agree_on_every_length_and_alignment) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  // 8 extra bytes so every length can also start at offsets 1..7, which
  // exercises the unaligned loads and the byte-wise tails of both paths.
  auto buf = random_bytes(300 + 8, 42);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len <= 300; ++len) {
      auto s = std::span<const std::byte>(buf).subspan(offset, len);
      ASSERT_EQ(crc32c_portable(s), crc32c_hardware(s)) << "offset " << offset << " len " << len;
      ASSERT_EQ(crc32c_portable(s, 0x12345678), crc32c_hardware(s, 0x12345678))
          << "offset " << offset << " len " << len;
    }
  }
}

TEST(crc32c, chaining_equals_checksum_of_concatenation) {
  auto buf = random_bytes(1000, 7);
  std::span<const std::byte> all(buf);
  uint32_t whole = crc32c(all);
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{500},
                       size_t{999}, size_t{1000}}) {
    auto a = all.first(split);
    auto b = all.subspan(split);
    EXPECT_EQ(crc32c(b, crc32c(a)), whole) << split;
    EXPECT_EQ(crc32c_portable(b, crc32c_portable(a)), whole) << split;
    if (crc32c_hardware_available()) {
      EXPECT_EQ(crc32c_hardware(b, crc32c_hardware(a)), whole) << split;
    }
  }
}

TEST(crc32c, chaining_byte_by_byte_matches_vector) {
  uint32_t crc = 0;
  for (auto b : as_bytes("123456789")) crc = crc32c(std::span(&b, 1), crc);
  EXPECT_EQ(crc, 0xE3069283u);
}

TEST(crc32c, detects_a_single_flipped_bit) {
  auto buf = random_bytes(64, 3);
  uint32_t before = crc32c(buf);
  buf[17] ^= std::byte{0x10};
  EXPECT_NE(crc32c(buf), before);
}

}  // namespace
}  // namespace runnel::model

namespace {

// The hardware path folds three streams in 8 KiB and 256-byte blocks; check
// it against the table code around every block boundary and at odd offsets.
TEST(crc32c_blocks, hardware_matches_portable_across_block_boundaries) {
  if (!runnel::model::crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::vector<std::byte> buf(3 * 8192 * 3 + 64);
  uint32_t x = 12345;
  for (auto& b : buf) {
    x = x * 1103515245 + 12345;
    b = std::byte(x >> 16);
  }
  for (size_t len :
       {767u, 768u, 769u, 1535u, 1536u, 24575u, 24576u, 24577u, 49152u, 50000u, 73728u}) {
    for (size_t off : {0u, 1u, 3u, 7u}) {
      std::span<const std::byte> s(buf.data() + off, len);
      EXPECT_EQ(runnel::model::crc32c_hardware(s), runnel::model::crc32c_portable(s))
          << len << " at " << off;
      // Chained in two uneven parts, too.
      auto a = s.first(len / 3), b = s.subspan(len / 3);
      EXPECT_EQ(runnel::model::crc32c_hardware(b, runnel::model::crc32c_hardware(a)),
                runnel::model::crc32c_portable(s));
    }
  }
}

}  // namespace
