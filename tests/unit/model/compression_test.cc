#include "model/compression.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::model {
namespace {

std::vector<std::byte> bytes(std::initializer_list<uint8_t> l) {
  std::vector<std::byte> v;
  for (auto b : l) v.push_back(static_cast<std::byte>(b));
  return v;
}

std::vector<std::byte> text(std::string_view s) {
  auto b = std::as_bytes(std::span(s.data(), s.size()));
  return {b.begin(), b.end()};
}

std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

// Record-like text: repetitive enough that every codec shrinks it a lot.
std::vector<std::byte> compressible(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i)
    s += "{\"key\":\"user-" + std::to_string(i % 97) + "\",\"value\":" + std::to_string(i) + "}\n";
  s.resize(n);
  return text(s);
}

constexpr compression all_codecs[] = {compression::none, compression::gzip, compression::snappy,
                                      compression::lz4, compression::zstd};
constexpr compression real_codecs[] = {compression::gzip, compression::snappy, compression::lz4,
                                       compression::zstd};

std::string name(compression c) {
  return "codec " + std::to_string(static_cast<int>(c));
}

void expect_round_trip(compression c, const std::vector<std::byte>& data,
                       snappy_framing framing = snappy_framing::xerial) {
  auto packed = compress(c, data, framing);
  ASSERT_TRUE(packed) << name(c) << ": " << packed.error().message();
  auto unpacked = decompress(c, packed.value());
  ASSERT_TRUE(unpacked) << name(c) << ": " << unpacked.error().message();
  EXPECT_TRUE(unpacked.value() == data) << name(c) << " size " << data.size();
}

// --- round trips -------------------------------------------------------------

TEST(compression, round_trip_empty) {
  for (auto c : all_codecs) expect_round_trip(c, {});
  expect_round_trip(compression::snappy, {}, snappy_framing::raw);
}

TEST(compression, round_trip_small) {
  for (auto c : all_codecs) expect_round_trip(c, text("hello, runnel"));
  expect_round_trip(compression::snappy, text("hello, runnel"), snappy_framing::raw);
}

TEST(compression, round_trip_one_mib_compressible) {
  auto data = compressible(1 << 20);
  for (auto c : all_codecs) expect_round_trip(c, data);
  expect_round_trip(compression::snappy, data, snappy_framing::raw);
  for (auto c : real_codecs) {
    auto packed = compress(c, data);
    ASSERT_TRUE(packed);
    EXPECT_LT(packed.value().size(), data.size() / 4) << name(c);
  }
}

TEST(compression, round_trip_one_mib_random) {
  auto data = random_bytes(1 << 20, 1);
  for (auto c : all_codecs) expect_round_trip(c, data);
  expect_round_trip(compression::snappy, data, snappy_framing::raw);
}

TEST(compression, round_trip_sizes_around_block_boundaries) {
  // 32 KiB is the xerial block, 64 KiB the lz4 block we write.
  for (size_t n : {size_t{1}, size_t{32767}, size_t{32768}, size_t{32769}, size_t{65536},
                   size_t{65537}, size_t{3 * 32768 + 5}}) {
    auto data = random_bytes(n, static_cast<uint32_t>(n));
    for (auto c : real_codecs) expect_round_trip(c, data);
  }
}

TEST(compression, none_is_a_copy) {
  auto data = text("as is");
  EXPECT_EQ(compress(compression::none, data).value(), data);
  EXPECT_EQ(decompress(compression::none, data).value(), data);
}

// --- snappy framing ----------------------------------------------------------

TEST(compression, snappy_raw_and_xerial_both_decompress) {
  auto data = compressible(100'000);
  auto raw = compress(compression::snappy, data, snappy_framing::raw).value();
  auto xerial = compress(compression::snappy, data, snappy_framing::xerial).value();
  EXPECT_FALSE(is_xerial_snappy(raw));
  EXPECT_TRUE(is_xerial_snappy(xerial));
  EXPECT_EQ(decompress(compression::snappy, raw).value(), data);
  EXPECT_EQ(decompress(compression::snappy, xerial).value(), data);
}

TEST(compression, xerial_output_layout) {
  // 100 000 bytes are four blocks: three of 32 KiB and one of 1 696 bytes.
  auto data = compressible(100'000);
  auto out = compress(compression::snappy, data, snappy_framing::xerial).value();
  auto header = bytes({0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00, 0, 0, 0, 1, 0, 0, 0, 1});
  ASSERT_GE(out.size(), header.size());
  EXPECT_TRUE(std::equal(header.begin(), header.end(), out.begin()));
  size_t pos = header.size();
  int blocks = 0;
  while (pos < out.size()) {
    ASSERT_LE(pos + 4, out.size());
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<uint8_t>(out[pos + i]);
    pos += 4 + len;
    ++blocks;
  }
  EXPECT_EQ(pos, out.size());
  EXPECT_EQ(blocks, 4);
}

TEST(compression, xerial_of_empty_input_is_just_the_header) {
  auto out = compress(compression::snappy, {}, snappy_framing::xerial).value();
  EXPECT_EQ(out.size(), 16u);
  EXPECT_TRUE(decompress(compression::snappy, out).value().empty());
}

// Raw snappy of "hello" is its length (05) and one literal of 5 bytes
// (tag (5-1)<<2 = 0x10); these are written out by hand from the format
// description so the test does not only check snappy against itself.
TEST(compression, snappy_known_vectors) {
  auto raw = bytes({0x05, 0x10, 'h', 'e', 'l', 'l', 'o'});
  EXPECT_EQ(decompress(compression::snappy, raw).value(), text("hello"));

  auto xerial = bytes({0x82, 'S', 'N', 'A', 'P',  'P',  'Y', 0x00, 0,   0,   0,   1, 0, 0, 0, 1,  //
                       0,    0,   0,   7,   0x05, 0x10, 'h', 'e',  'l', 'l', 'o',                 //
                       0,    0,   0,   7,   0x05, 0x10, 'w', 'o',  'r', 'l', 'd'});
  EXPECT_EQ(decompress(compression::snappy, xerial).value(), text("helloworld"));
}

TEST(compression, is_xerial_snappy) {
  EXPECT_FALSE(is_xerial_snappy({}));
  EXPECT_FALSE(is_xerial_snappy(bytes({0x82, 'S', 'N', 'A', 'P', 'P', 'Y'})));
  EXPECT_TRUE(is_xerial_snappy(bytes({0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00})));
  EXPECT_FALSE(is_xerial_snappy(bytes({0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x01})));
  EXPECT_FALSE(is_xerial_snappy(bytes({0x05, 0x10, 'h', 'e', 'l', 'l', 'o', 0, 0})));
}

// --- vectors from the reference command line tools ---------------------------

// printf 'hello' | gzip -n | xxd -i   (gzip 1.12)
const auto gzip_hello =
    bytes({0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd,
           0xc9, 0xc9, 0x07, 0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00});

// printf 'hello' | zstd -c | xxd -i   (zstd 1.5.4; from a pipe, so the frame
// header carries no content size and only streaming decompression works)
const auto zstd_hello_no_size = bytes({0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x29, 0x00, 0x00, 0x68,
                                       0x65, 0x6c, 0x6c, 0x6f, 0xa3, 0x6d, 0x9f, 0x88});

// printf 'hello' > h.txt; zstd -c h.txt | xxd -i   (content size recorded)
const auto zstd_hello_sized = bytes({0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x05, 0x29, 0x00, 0x00, 0x68,
                                     0x65, 0x6c, 0x6c, 0x6f, 0xa3, 0x6d, 0x9f, 0x88});

// printf 'hello' | lz4 -c | xxd -i   (lz4 1.9.4; content checksum on)
const auto lz4_hello =
    bytes({0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x05, 0x00, 0x00, 0x80, 0x68,
           0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00, 0xf9, 0x77, 0x00, 0xfb});

// lz4 -c --content-size h.txt | xxd -i
const auto lz4_hello_sized =
    bytes({0x04, 0x22, 0x4d, 0x18, 0x6c, 0x40, 0x05, 0x00, 0x00, 0x00, 0x00,
           0x00, 0x00, 0x00, 0x2c, 0x05, 0x00, 0x00, 0x80, 0x68, 0x65, 0x6c,
           0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00, 0xf9, 0x77, 0x00, 0xfb});

TEST(compression, decodes_gzip_cli_output) {
  EXPECT_EQ(decompress(compression::gzip, gzip_hello).value(), text("hello"));
}

TEST(compression, decodes_concatenated_gzip_members) {
  // cat a.gz b.gz, as `gzip -dc` reads it: "hello" then " world".
  auto two = bytes({0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd,
                    0xc9, 0xc9, 0x07, 0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00, 0x1f,
                    0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x53, 0x28, 0xcf, 0x2f,
                    0xca, 0x49, 0x01, 0x00, 0xcb, 0x42, 0x3b, 0x4a, 0x06, 0x00, 0x00, 0x00});
  EXPECT_EQ(decompress(compression::gzip, two).value(), text("hello world"));
}

TEST(compression, decodes_zstd_cli_output) {
  EXPECT_EQ(decompress(compression::zstd, zstd_hello_no_size).value(), text("hello"));
  EXPECT_EQ(decompress(compression::zstd, zstd_hello_sized).value(), text("hello"));
}

TEST(compression, decodes_lz4_cli_output) {
  EXPECT_EQ(decompress(compression::lz4, lz4_hello).value(), text("hello"));
  EXPECT_EQ(decompress(compression::lz4, lz4_hello_sized).value(), text("hello"));
}

TEST(compression, gzip_output_is_a_gzip_stream) {
  auto out = compress(compression::gzip, text("x")).value();
  ASSERT_GE(out.size(), 18u);  // 10-byte header, body, 8-byte trailer
  EXPECT_EQ(out[0], std::byte{0x1f});
  EXPECT_EQ(out[1], std::byte{0x8b});
}

TEST(compression, lz4_output_uses_independent_blocks) {
  // Java's KafkaLZ4BlockInputStream rejects frames without the block
  // independence flag (bit 5 of FLG, the byte after the magic).
  auto out = compress(compression::lz4, compressible(200'000)).value();
  ASSERT_GE(out.size(), 7u);
  EXPECT_EQ(out[0], std::byte{0x04});
  EXPECT_EQ(out[3], std::byte{0x18});
  EXPECT_NE(static_cast<uint8_t>(out[4]) & 0x20, 0);
  EXPECT_EQ(static_cast<uint8_t>(out[4]) & 0x08, 0);  // no content size
}

// --- malformed input ---------------------------------------------------------

void expect_corrupt(compression c, std::span<const std::byte> in, const std::string& what) {
  auto r = decompress(c, in);
  ASSERT_FALSE(r) << name(c) << " " << what << " decoded " << r.value().size() << " bytes";
  EXPECT_EQ(r.error(), make_error_code(codec_errc::corrupt_input))
      << name(c) << " " << what << ": " << r.error().message();
}

TEST(compression, empty_input_is_corrupt_for_real_codecs) {
  for (auto c : real_codecs) expect_corrupt(c, {}, "empty");
}

TEST(compression, every_truncation_is_rejected) {
  auto data = compressible(70'000);
  for (auto c : real_codecs) {
    auto packed = compress(c, data).value();
    // Every prefix up to ~300 bytes, then a stride through the rest, since
    // each length stops the decoder in a different state.
    for (size_t n = 0; n < packed.size(); n += (n < 300 ? 1 : 97)) {
      // Copy so a read past the end is caught by sanitizers and valgrind.
      std::vector<std::byte> cut(packed.begin(), packed.begin() + static_cast<ptrdiff_t>(n));
      if (c == compression::snappy && n >= 16) {
        // xerial framing has no end marker: a cut between blocks is a valid
        // shorter stream, which must then be whole blocks of the original.
        if (auto r = decompress(c, cut)) {
          EXPECT_EQ(r.value().size() % (32 * 1024), 0u) << n;
          EXPECT_TRUE(std::equal(r.value().begin(), r.value().end(), data.begin())) << n;
          continue;
        }
      }
      expect_corrupt(c, cut, "truncated to " + std::to_string(n));
    }
  }
}

TEST(compression, truncated_cli_vectors_are_rejected) {
  for (auto [c, v] :
       {std::pair{compression::gzip, gzip_hello}, std::pair{compression::zstd, zstd_hello_no_size},
        std::pair{compression::lz4, lz4_hello}}) {
    for (size_t n = 0; n < v.size(); ++n) {
      std::vector<std::byte> cut(v.begin(), v.begin() + static_cast<ptrdiff_t>(n));
      expect_corrupt(c, cut, "truncated to " + std::to_string(n));
    }
  }
}

TEST(compression, flipped_bytes_never_crash) {
  // A flipped byte may land in stored data that no checksum covers (snappy
  // has none), so success is allowed; a crash or a wrong error kind is not.
  auto data = compressible(20'000);
  std::mt19937 rng(5);
  for (auto c : real_codecs) {
    auto packed = compress(c, data).value();
    for (int i = 0; i < 300; ++i) {
      auto bad = packed;
      bad[rng() % bad.size()] ^= static_cast<std::byte>(1 + rng() % 255);
      auto r = decompress(c, bad, 1 << 20);
      if (!r) {
        EXPECT_TRUE(r.error() == make_error_code(codec_errc::corrupt_input) ||
                    r.error() == make_error_code(codec_errc::output_too_large))
            << name(c) << ": " << r.error().message();
      }
    }
  }
}

TEST(compression, checksummed_codecs_reject_flipped_payload) {
  // gzip (CRC-32 trailer) and zstd/lz4 CLI frames (content checksum) must
  // notice a changed literal byte.
  auto g = gzip_hello;
  g[12] ^= std::byte{0x01};
  EXPECT_FALSE(decompress(compression::gzip, g));
  auto z = zstd_hello_no_size;
  z[10] ^= std::byte{0x01};
  EXPECT_FALSE(decompress(compression::zstd, z));
  auto l = lz4_hello;
  l[12] ^= std::byte{0x01};
  EXPECT_FALSE(decompress(compression::lz4, l));
}

TEST(compression, random_garbage_is_rejected) {
  for (auto c : {compression::gzip, compression::lz4, compression::zstd}) {
    for (uint32_t seed = 0; seed < 50; ++seed) {
      auto junk = random_bytes(1 + seed * 13, seed);
      expect_corrupt(c, junk, "garbage seed " + std::to_string(seed));
    }
  }
  // Snappy has no magic, so garbage may decode; it must not crash.
  for (uint32_t seed = 0; seed < 200; ++seed) {
    auto junk = random_bytes(1 + seed, seed);
    (void)decompress(compression::snappy, junk, 1 << 20);
  }
}

TEST(compression, trailing_garbage_is_rejected) {
  auto with_tail = [](std::vector<std::byte> v) {
    v.push_back(std::byte{0x00});
    v.push_back(std::byte{0x42});
    return v;
  };
  expect_corrupt(compression::gzip, with_tail(gzip_hello), "gzip + tail");
  expect_corrupt(compression::zstd, with_tail(zstd_hello_no_size), "zstd + tail");
  expect_corrupt(compression::lz4, with_tail(lz4_hello), "lz4 + tail");
  auto raw = bytes({0x05, 0x10, 'h', 'e', 'l', 'l', 'o'});
  expect_corrupt(compression::snappy, with_tail(raw), "snappy + tail");
}

TEST(compression, malformed_xerial_framing_is_rejected) {
  auto header = bytes({0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00, 0, 0, 0, 1, 0, 0, 0, 1});
  // Magic but a short header.
  expect_corrupt(compression::snappy, std::span(header).first(12), "short header");
  // A partial length field.
  auto partial = header;
  partial.insert(partial.end(), {std::byte{0}, std::byte{0}});
  expect_corrupt(compression::snappy, partial, "partial length");
  // A length longer than the rest of the input.
  auto overlong = header;
  for (auto b : bytes({0, 0, 0, 9, 0x05, 0x10, 'h', 'e', 'l', 'l', 'o'})) overlong.push_back(b);
  expect_corrupt(compression::snappy, overlong, "length past end");
  // A negative (huge) length.
  auto negative = header;
  for (auto b : bytes({0xFF, 0xFF, 0xFF, 0xF0, 0x05, 0x10})) negative.push_back(b);
  expect_corrupt(compression::snappy, negative, "negative length");
  // An empty block.
  auto empty_block = header;
  for (auto b : bytes({0, 0, 0, 0})) empty_block.push_back(b);
  expect_corrupt(compression::snappy, empty_block, "empty block");
}

TEST(compression, unknown_codec) {
  auto data = text("abc");
  for (int v : {5, 6, 7, 255}) {
    auto c = static_cast<compression>(v);
    auto d = decompress(c, data);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error(), make_error_code(codec_errc::unknown_codec));
    auto e = compress(c, data);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), make_error_code(codec_errc::unknown_codec));
  }
}

// --- size limit --------------------------------------------------------------

TEST(compression, max_output_is_enforced) {
  auto data = compressible(1 << 20);
  for (auto c : all_codecs) {
    auto packed = compress(c, data).value();
    auto too_small = decompress(c, packed, data.size() - 1);
    ASSERT_FALSE(too_small) << name(c);
    EXPECT_EQ(too_small.error(), make_error_code(codec_errc::output_too_large)) << name(c);
    auto tiny = decompress(c, packed, 0);
    ASSERT_FALSE(tiny) << name(c);
    EXPECT_EQ(tiny.error(), make_error_code(codec_errc::output_too_large)) << name(c);
    // Exactly the size fits.
    auto exact = decompress(c, packed, data.size());
    ASSERT_TRUE(exact) << name(c) << ": " << exact.error().message();
    EXPECT_EQ(exact.value(), data);
  }
  auto raw = compress(compression::snappy, data, snappy_framing::raw).value();
  EXPECT_EQ(decompress(compression::snappy, raw, data.size() - 1).error(),
            make_error_code(codec_errc::output_too_large));
  EXPECT_TRUE(decompress(compression::snappy, raw, data.size()));
}

TEST(compression, decompression_bomb_stops_at_the_limit) {
  // 64 MiB of zeros squeeze into a few KiB; a 1 MiB limit must stop
  // the decoder early instead of inflating all of it.
  std::vector<std::byte> zeros(64 << 20);
  for (auto c : real_codecs) {
    auto packed = compress(c, zeros).value();
    auto r = decompress(c, packed, 1 << 20);
    ASSERT_FALSE(r) << name(c);
    EXPECT_EQ(r.error(), make_error_code(codec_errc::output_too_large)) << name(c);
  }
}

TEST(compression, snappy_claimed_length_is_checked_before_allocating) {
  // A raw snappy header claiming 4 GiB - 1 bytes, with no body.
  auto claim = bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F});
  auto r = decompress(compression::snappy, claim, 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(codec_errc::output_too_large));
}

TEST(compression, empty_output_fits_a_zero_limit) {
  for (auto c : all_codecs) {
    auto packed = compress(c, {}).value();
    auto r = decompress(c, packed, 0);
    ASSERT_TRUE(r) << name(c) << ": " << r.error().message();
    EXPECT_TRUE(r.value().empty());
  }
}

// --- error category ----------------------------------------------------------

TEST(compression, error_category) {
  EXPECT_STREQ(codec_category().name(), "runnel.codec");
  std::error_code ec = codec_errc::corrupt_input;  // via is_error_code_enum
  EXPECT_EQ(&ec.category(), &codec_category());
  EXPECT_EQ(ec.value(), 2);
  for (auto e :
       {codec_errc::unknown_codec, codec_errc::corrupt_input, codec_errc::output_too_large}) {
    EXPECT_FALSE(make_error_code(e).message().empty());
  }
  EXPECT_NE(make_error_code(codec_errc::unknown_codec).message(),
            make_error_code(codec_errc::corrupt_input).message());
}

}  // namespace
}  // namespace runnel::model
