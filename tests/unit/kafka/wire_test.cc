// Wire primitives, headers, and the ApiVersions / Produce codecs at the byte level.
#include "kafka/wire.h"

#include <gtest/gtest.h>

#include "kafka/header.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/produce.h"

namespace runnel::kafka {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(std::byte(uint8_t(x)));
  return out;
}

TEST(wire, fixed_width_integers_are_big_endian) {
  writer w;
  w.i8(-2);
  w.i16(0x0102);
  w.i32(0x01020304);
  w.i64(-1);
  EXPECT_EQ(w.buffer(),
            bytes_of({0xfe, 1, 2, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  reader r(w.buffer());
  EXPECT_EQ(r.i8(), -2);
  EXPECT_EQ(r.i16(), 0x0102);
  EXPECT_EQ(r.i32(), 0x01020304);
  EXPECT_EQ(r.i64(), -1);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  r.i8();
  EXPECT_FALSE(r.ok());  // sticky
}

TEST(wire, varints) {
  writer w;
  w.uvarint(300);
  w.varint(-1);
  w.varint(63);
  w.varlong(-64);
  EXPECT_EQ(w.buffer(), bytes_of({0xac, 0x02, 0x01, 0x7e, 0x7f}));
  reader r(w.buffer());
  EXPECT_EQ(r.uvarint(), 300u);
  EXPECT_EQ(r.varint(), -1);
  EXPECT_EQ(r.varint(), 63);
  EXPECT_EQ(r.varlong(), -64);
  EXPECT_TRUE(r.ok());
  auto too_long = bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  reader bad(too_long);
  bad.uvarint();
  EXPECT_FALSE(bad.ok());
}

TEST(wire, strings_classic_and_compact) {
  writer w;
  w.string("ab", false);
  w.string("ab", true);
  w.nullable_string(std::nullopt, false);
  w.nullable_string(std::nullopt, true);
  EXPECT_EQ(w.buffer(), bytes_of({0, 2, 'a', 'b', 3, 'a', 'b', 0xff, 0xff, 0}));
  reader r(w.buffer());
  EXPECT_EQ(r.string(false), "ab");
  EXPECT_EQ(r.string(true), "ab");
  EXPECT_EQ(r.nullable_string(false), std::nullopt);
  EXPECT_EQ(r.nullable_string(true), std::nullopt);
  EXPECT_TRUE(r.ok());
}

TEST(wire, lengths_past_the_end_or_absurd_counts_fail) {
  auto b = bytes_of({0, 9, 'a'});
  reader r(b);
  r.string(false);
  EXPECT_FALSE(r.ok());
  auto huge = bytes_of({0x7f, 0xff, 0xff, 0xff});  // 2^31-1 elements in 0 bytes
  reader r2(huge);
  r2.array_length(false);
  EXPECT_FALSE(r2.ok());
  auto neg = bytes_of({0xff, 0xfe});
  reader r3(neg);
  r3.nullable_string(false);
  EXPECT_FALSE(r3.ok());
}

TEST(wire, tagged_fields_are_skipped) {
  // Two tags: tag 0 with 2 bytes, tag 5 with 1 byte, then an int8.
  auto b = bytes_of({2, 0, 2, 0xaa, 0xbb, 5, 1, 0xcc, 7});
  reader r(b);
  r.skip_tags();
  EXPECT_EQ(r.i8(), 7);
  EXPECT_TRUE(r.ok());
}

TEST(wire, request_header_v1_and_v2) {
  // Metadata v9 is flexible: header v2 with an (empty) tag section.
  writer w;
  encode_request_header(w, {3, 9, 42, "cli"});
  EXPECT_EQ(w.buffer(), bytes_of({0, 3, 0, 9, 0, 0, 0, 42, 0, 3, 'c', 'l', 'i', 0}));
  reader r(w.buffer());
  request_header h;
  ASSERT_TRUE(decode_request_header(r, h));
  EXPECT_EQ(h.api_key, 3);
  EXPECT_EQ(h.api_version, 9);
  EXPECT_EQ(h.correlation_id, 42);
  EXPECT_EQ(h.client_id, "cli");
  EXPECT_EQ(r.remaining(), 0u);
  // Metadata v8: header v1, no tags.
  writer w1;
  encode_request_header(w1, {3, 8, 1, std::nullopt});
  EXPECT_EQ(w1.buffer(), bytes_of({0, 3, 0, 8, 0, 0, 0, 1, 0xff, 0xff}));
}

TEST(wire, api_versions_response_uses_header_v0_even_at_v3) {
  api_versions_response resp;
  resp.api_keys.push_back({18, 0, 3});
  writer w;
  encode_response(w, 7, 18, 3, resp);
  // size, correlation id, no header tags; error 0, compact array of 1,
  // (18, 0, 3, tags), throttle, tags.
  EXPECT_EQ(w.buffer(),
            bytes_of({0, 0, 0, 19, 0, 0, 0, 7, 0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0}));
}

TEST(wire, produce_request_round_trip_keeps_records_in_place) {
  produce_request req;
  req.transactional_id = std::nullopt;
  req.acks = -1;
  req.timeout_ms = 30000;
  std::vector<std::byte> recs = bytes_of({1, 2, 3, 4, 5});
  req.topics.push_back({"t", {{0, {false, recs, {}}}}});
  for (int16_t v : {3, 8, 9}) {
    writer w;
    encode_body(w, req, v, v >= 9);
    auto buf = w.buffer();
    reader r(buf);
    produce_request got;
    ASSERT_TRUE(decode_body(r, got, v, v >= 9));
    EXPECT_EQ(r.remaining(), 0u);
    ASSERT_EQ(got.topics.size(), 1u);
    EXPECT_EQ(got.acks, -1);
    EXPECT_EQ(got.topics[0].name, "t");
    const auto& p = got.topics[0].partitions.at(0);
    EXPECT_FALSE(p.records.null);
    EXPECT_EQ(std::vector<std::byte>(p.records.bytes.begin(), p.records.bytes.end()), recs);
    // The decoded span points into the request buffer.
    EXPECT_GE(p.records.bytes.data(), buf.data());
    EXPECT_LT(p.records.bytes.data(), buf.data() + buf.size());
  }
}

TEST(wire, records_can_be_file_chunks) {
  records_field f;
  f.null = false;
  f.chunks.push_back({nullptr, 100, 50});
  writer w;
  w.i8(1);
  w.records(f, false);
  w.i8(2);
  EXPECT_EQ(w.mem_size(), 1u + 4 + 1);
  EXPECT_EQ(w.total_size(), 56u);
  ASSERT_EQ(w.pieces().size(), 1u);
  EXPECT_EQ(w.pieces()[0].mem_end, 5u);
  EXPECT_EQ(w.buffer()[4], std::byte{50});
}

}  // namespace
}  // namespace runnel::kafka
