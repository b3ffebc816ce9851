#include "model/record_batch.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "model/compression.h"
#include "model/crc32c.h"
#include "model/record_batch_builder.h"

namespace runnel::model {
namespace {

// --- helpers -----------------------------------------------------------------
// These read and write big-endian fields by hand rather than through
// model/endian.h, so the layout checks do not depend on the code under test.

bytes literal(std::initializer_list<uint8_t> l) {
  bytes v;
  for (auto b : l) v.push_back(static_cast<std::byte>(b));
  return v;
}

uint64_t get_be(const bytes& b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b.at(off + i));
  return v;
}

void put_be(bytes& b, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b.at(off + i) = static_cast<std::byte>(v >> (8 * (n - 1 - i)));
}

uint32_t stored_crc(const bytes& b) {
  return uint32_t(get_be(b, 17, 4));
}

// Recomputes the CRC after a test edits bytes it covers, so that the edit is
// seen by the check it targets and not by the CRC check.
void fix_crc(bytes& b) {
  put_be(b, 17, crc32c(std::span<const std::byte>(b).subspan(21)), 4);
}

std::error_code validate_error(std::span<const std::byte> b, const validate_options& o = {}) {
  auto r = validate_batch(b, o);
  return r ? std::error_code{} : r.error();
}

std::error_code err(batch_errc e) {
  return make_error_code(e);
}
const std::error_code ok{};

std::string str(std::span<const std::byte> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}
std::string str(const std::optional<std::span<const std::byte>>& s) {
  return s ? str(*s) : std::string("<null>");
}

constexpr compression all_codecs[] = {compression::none, compression::gzip, compression::snappy,
                                      compression::lz4, compression::zstd};

std::string name(compression c) {
  return "codec " + std::to_string(static_cast<int>(c));
}

// The batch most tests start from. Two records of 19 bytes each:
//   61: 24 00 00 00 0a "key-0" 0e "value-0" 00
//   80: 24 00 0e 02 0a "key-1" 0e "value-1" 00
// 99 bytes in all, batch_length 87.
constexpr size_t two_size = 99;
constexpr size_t rec0 = 61;
constexpr size_t rec1 = 80;

bytes two_records(compression codec = compression::none) {
  batch_builder b(codec);
  b.set_producer(1234, 5, 42);
  b.add("key-0", "value-0", timestamp{1000});
  b.add("key-1", "value-1", timestamp{1007});
  return b.build().value();
}

// Decodes the records of a whole batch (decompressing if needed).
std::vector<record_view> records_of(const bytes& batch, bytes& storage) {
  auto h = parse_header(batch).value();
  auto section = records_section(batch, h, storage).value();
  return parse_records(section, h.record_count).value();
}

// --- byte layout -------------------------------------------------------------

TEST(record_batch, builder_writes_the_documented_layout) {
  auto b = two_records();
  ASSERT_EQ(b.size(), two_size);
  EXPECT_EQ(get_be(b, 0, 8), 0u);             // base_offset
  EXPECT_EQ(get_be(b, 8, 4), two_size - 12);  // batch_length
  EXPECT_EQ(get_be(b, 12, 4), 0xFFFFFFFFu);   // partition_leader_epoch -1
  EXPECT_EQ(get_be(b, 16, 1), 2u);            // magic
  EXPECT_EQ(stored_crc(b), crc32c(std::span<const std::byte>(b).subspan(21)));
  EXPECT_EQ(get_be(b, 21, 2), 0u);     // attributes
  EXPECT_EQ(get_be(b, 23, 4), 1u);     // last_offset_delta
  EXPECT_EQ(get_be(b, 27, 8), 1000u);  // base_timestamp
  EXPECT_EQ(get_be(b, 35, 8), 1007u);  // max_timestamp
  EXPECT_EQ(get_be(b, 43, 8), 1234u);  // producer_id
  EXPECT_EQ(get_be(b, 51, 2), 5u);     // producer_epoch
  EXPECT_EQ(get_be(b, 53, 4), 42u);    // base_sequence
  EXPECT_EQ(get_be(b, 57, 4), 2u);     // record_count

  auto r0 = literal({0x24, 0x00, 0x00, 0x00, 0x0a, 'k', 'e', 'y', '-', '0', 0x0e, 'v', 'a', 'l',
                     'u', 'e', '-', '0', 0x00});
  auto r1 = literal({0x24, 0x00, 0x0e, 0x02, 0x0a, 'k', 'e', 'y', '-', '1', 0x0e, 'v', 'a', 'l',
                     'u', 'e', '-', '1', 0x00});
  EXPECT_EQ(bytes(b.begin() + rec0, b.begin() + rec1), r0);
  EXPECT_EQ(bytes(b.begin() + rec1, b.end()), r1);
}

TEST(record_batch, layout_constants_match_the_spec) {
  EXPECT_EQ(batch_layout::base_offset, 0u);
  EXPECT_EQ(batch_layout::batch_length, 8u);
  EXPECT_EQ(batch_layout::leader_epoch, 12u);
  EXPECT_EQ(batch_layout::magic, 16u);
  EXPECT_EQ(batch_layout::crc, 17u);
  EXPECT_EQ(batch_layout::attributes, 21u);
  EXPECT_EQ(batch_layout::last_offset_delta, 23u);
  EXPECT_EQ(batch_layout::base_timestamp, 27u);
  EXPECT_EQ(batch_layout::max_timestamp, 35u);
  EXPECT_EQ(batch_layout::producer_id, 43u);
  EXPECT_EQ(batch_layout::producer_epoch, 51u);
  EXPECT_EQ(batch_layout::base_sequence, 53u);
  EXPECT_EQ(batch_layout::record_count, 57u);
  EXPECT_EQ(batch_layout::header_size, 61u);
}

// Written out field by field from the RecordBatch and Record grammar in the
// Kafka docs (implementation.html, 5.3.1 and 5.3.2). The CRC was computed
// independently (bitwise CRC-32C, polynomial 0x82F63B78) over bytes [21, 70).
TEST(record_batch, golden_one_record_batch) {
  const auto golden = literal({
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // baseOffset 0
      0x00, 0x00, 0x00, 0x3a,                          // batchLength 58 = 70 - 12
      0xff, 0xff, 0xff, 0xff,                          // partitionLeaderEpoch -1
      0x02,                                            // magic 2
      0xfe, 0x91, 0x7c, 0xab,                          // crc
      0x00, 0x00,                                      // attributes: none, create time
      0x00, 0x00, 0x00, 0x00,                          // lastOffsetDelta 0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // baseTimestamp 0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // maxTimestamp 0
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producerId -1
      0xff, 0xff,                                      // producerEpoch -1
      0xff, 0xff, 0xff, 0xff,                          // baseSequence -1
      0x00, 0x00, 0x00, 0x01,                          // recordsCount 1
      0x10,                                            // length 8 (zig-zag 16)
      0x00,                                            // attributes
      0x00,                                            // timestampDelta 0
      0x00,                                            // offsetDelta 0
      0x02, 'k',                                       // keyLength 1, key
      0x02, 'v',                                       // valueLength 1, value
      0x00,                                            // headersCount 0
  });
  ASSERT_EQ(golden.size(), 70u);
  EXPECT_EQ(crc32c(std::span<const std::byte>(golden).subspan(21)), 0xfe917cabu);

  batch_builder b;
  b.add("k", "v", timestamp{0});
  auto built = b.build();
  ASSERT_TRUE(built);
  EXPECT_EQ(built.value(), golden);

  auto h = validate_batch(golden, {.deep = true});
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h.value().crc, 0xfe917cabu);
  EXPECT_EQ(h.value().record_count, 1);
  EXPECT_EQ(h.value().size_bytes(), 70u);
}

TEST(record_batch, encode_record_with_headers_matches_hand_encoding) {
  // null key, value "v", headers ("h", "x") and ("n", null).
  bytes out;
  record_header_view hs[] = {{as_bytes("h"), as_bytes("x")}, {as_bytes("n"), std::nullopt}};
  encode_record(out, 0, 0, std::nullopt, as_bytes("v"), hs);
  auto expected = literal({0x1c,                  // length 14
                           0x00, 0x00, 0x00,      // attributes, ts delta, offset delta
                           0x01,                  // key null (-1)
                           0x02, 'v',             // value
                           0x04,                  // 2 headers
                           0x02, 'h', 0x02, 'x',  // header 1
                           0x02, 'n', 0x01});     // header 2, null value
  EXPECT_EQ(out, expected);
}

TEST(record_batch, parse_header_reads_every_field) {
  auto b = two_records();
  put_be(b, 0, 0x0102030405060708, 8);
  put_be(b, 12, 77, 4);
  auto h = parse_header(b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value().base_offset, 0x0102030405060708);
  EXPECT_EQ(h.value().batch_length, int32_t(two_size - 12));
  EXPECT_EQ(h.value().leader_epoch, 77);
  EXPECT_EQ(h.value().magic, 2);
  EXPECT_EQ(h.value().crc, stored_crc(b));
  EXPECT_EQ(h.value().attributes, 0);
  EXPECT_EQ(h.value().last_offset_delta, 1);
  EXPECT_EQ(h.value().base_timestamp, 1000);
  EXPECT_EQ(h.value().max_timestamp, 1007);
  EXPECT_EQ(h.value().producer_id, 1234);
  EXPECT_EQ(h.value().producer_epoch, 5);
  EXPECT_EQ(h.value().base_sequence, 42);
  EXPECT_EQ(h.value().record_count, 2);
  EXPECT_EQ(h.value().first_offset(), offset{0x0102030405060708});
  EXPECT_EQ(h.value().last_offset(), offset{0x0102030405060709});
  EXPECT_EQ(h.value().size_bytes(), two_size);
  EXPECT_EQ(h.value().codec(), compression::none);
}

TEST(record_batch, parse_header_needs_61_bytes) {
  auto b = two_records();
  for (size_t n : {size_t{0}, size_t{12}, size_t{60}}) {
    auto h = parse_header(std::span<const std::byte>(b).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.error(), err(batch_errc::truncated)) << n;
  }
  EXPECT_TRUE(parse_header(std::span<const std::byte>(b).first(61)));
}

TEST(record_batch, parse_frame_on_short_input) {
  auto b = two_records();
  put_be(b, 0, 0x1122334455667788, 8);
  for (size_t n = 0; n < 12; ++n)
    EXPECT_FALSE(parse_frame(std::span<const std::byte>(b).first(n))) << n;
  auto f = parse_frame(std::span<const std::byte>(b).first(12));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->base_offset, 0x1122334455667788);
  EXPECT_EQ(f->batch_length, int32_t(two_size - 12));
}

// --- validate_batch: header-level errors -------------------------------------

TEST(record_batch, valid_batch_validates_with_every_option) {
  auto b = two_records();
  EXPECT_EQ(validate_error(b), ok);
  EXPECT_EQ(validate_error(b, {.deep = true}), ok);
  EXPECT_EQ(validate_error(b, {.require_keys = true}), ok);
  EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), ok);
  EXPECT_EQ(validate_error(b, {.skip_records = true}), ok);
  auto h = validate_batch(b, {});
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value().record_count, 2);
  EXPECT_EQ(h.value().producer_id, 1234);
}

TEST(record_batch, truncated_below_header_size) {
  auto b = two_records();
  for (size_t n : {size_t{0}, size_t{1}, size_t{12}, size_t{21}, size_t{60}})
    EXPECT_EQ(validate_error(std::span<const std::byte>(b).first(n)), err(batch_errc::truncated))
        << n;
}

TEST(record_batch, bad_magic) {
  for (uint8_t m : {0, 1, 3, 0xff}) {
    auto b = two_records();
    b[16] = std::byte{m};  // outside the CRC
    EXPECT_EQ(validate_error(b), err(batch_errc::bad_magic)) << int(m);
  }
}

TEST(record_batch, batch_length_must_match_the_span) {
  auto b = two_records();
  // The span is shorter than batch_length says (a cut-off batch).
  EXPECT_EQ(validate_error(std::span<const std::byte>(b).first(two_size - 1)),
            err(batch_errc::bad_length));
  EXPECT_EQ(validate_error(std::span<const std::byte>(b).first(61)), err(batch_errc::bad_length));
  // The span is longer (trailing bytes, e.g. the next batch).
  auto longer = b;
  longer.push_back(std::byte{0});
  EXPECT_EQ(validate_error(longer), err(batch_errc::bad_length));
  // batch_length itself edited (it is outside the CRC).
  for (int64_t delta : {-1, 1, 1000}) {
    auto e = b;
    put_be(e, 8, uint64_t(int64_t(two_size - 12) + delta), 4);
    EXPECT_EQ(validate_error(e), err(batch_errc::bad_length)) << delta;
  }
  // Smaller than the header, negative.
  for (uint32_t len : {0u, 48u, 0xffffffffu, 0x80000000u}) {
    auto e = b;
    put_be(e, 8, len, 4);
    EXPECT_EQ(validate_error(e), err(batch_errc::bad_length)) << len;
  }
}

TEST(record_batch, crc_catches_a_flip_of_any_covered_byte) {
  for (auto codec : {compression::none, compression::gzip}) {
    const auto b = two_records(codec);
    ASSERT_EQ(validate_error(b), ok);
    // 17..20 is the CRC itself; 21 onwards is every region it covers:
    // attributes, last_offset_delta, timestamps, producer fields,
    // record_count and the records.
    for (size_t i = 17; i < b.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        auto e = b;
        e[i] ^= std::byte{mask};
        EXPECT_EQ(validate_error(e), err(batch_errc::crc_mismatch))
            << name(codec) << " byte " << i << " mask " << int(mask);
      }
    }
  }
}

TEST(record_batch, bytes_outside_the_crc_do_not_break_it) {
  const auto b = two_records();
  for (size_t i : {0, 3, 7, 12, 15}) {  // base_offset, partition_leader_epoch
    auto e = b;
    e[i] ^= std::byte{0xff};
    EXPECT_EQ(validate_error(e), ok) << i;
  }
}

TEST(record_batch, record_count_zero) {
  auto b = two_records();
  put_be(b, 57, 0, 4);
  fix_crc(b);
  EXPECT_EQ(validate_error(b), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(b, {.skip_records = true}), err(batch_errc::bad_record_count));
  // With gaps allowed a zero count is a legal header, but these records are
  // then trailing garbage.
  EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), err(batch_errc::corrupt_records));
}

TEST(record_batch, negative_counts_and_deltas) {
  for (auto [count, delta] : {std::pair{-1, 1}, std::pair{2, -1}, std::pair{int32_t(0x80000000), 1},
                              std::pair{1, int32_t(0x80000000)}}) {
    auto b = two_records();
    put_be(b, 57, uint32_t(count), 4);
    put_be(b, 23, uint32_t(delta), 4);
    fix_crc(b);
    EXPECT_EQ(validate_error(b), err(batch_errc::bad_record_count)) << count << " " << delta;
    EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), err(batch_errc::bad_record_count))
        << count << " " << delta;
  }
}

TEST(record_batch, record_count_must_equal_last_offset_delta_plus_one) {
  auto b = two_records();
  // last_offset_delta 0 < count - 1: too many records for the offsets.
  put_be(b, 23, 0, 4);
  fix_crc(b);
  EXPECT_EQ(validate_error(b), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), err(batch_errc::bad_record_count));

  // last_offset_delta 2 > count - 1: a gap. Rejected for producer batches,
  // accepted for compacted ones (the records' deltas 0, 1 are within range).
  put_be(b, 23, 2, 4);
  fix_crc(b);
  EXPECT_EQ(validate_error(b), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), ok);

  // The largest delta; count + 1 must not overflow anywhere.
  put_be(b, 23, 0x7fffffff, 4);
  fix_crc(b);
  EXPECT_EQ(validate_error(b), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), ok);
}

TEST(record_batch, compacted_batch_with_gaps) {
  // Offsets 0 and 3 survive of 0..3.
  batch_header h;
  h.last_offset_delta = 3;
  bytes recs;
  encode_record(recs, 0, 0, as_bytes("a"), as_bytes("1"));
  encode_record(recs, 0, 3, as_bytes("d"), as_bytes("4"));
  auto b = assemble_batch(h, recs, 2).value();
  EXPECT_EQ(validate_error(b), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), ok);
  auto v = validate_batch(b, {.allow_offset_gaps = true}).value();
  EXPECT_EQ(v.last_offset(), offset{3});

  // Compaction can empty a batch entirely; the header survives.
  auto empty = assemble_batch(h, {}, 0).value();
  EXPECT_EQ(empty.size(), 61u);
  EXPECT_EQ(validate_error(empty), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(empty, {.allow_offset_gaps = true}), ok);
}

TEST(record_batch, offset_deltas_must_increase_within_last_offset_delta) {
  struct c {
    int32_t last;
    std::vector<int32_t> deltas;
    std::error_code dense;  // allow_offset_gaps = false
    std::error_code gaps;   // allow_offset_gaps = true
  };
  const auto bad = err(batch_errc::corrupt_records);
  const auto count = err(batch_errc::bad_record_count);
  const c cases[] = {
      {1, {0, 1}, ok, ok},     {1, {1, 0}, bad, bad},  // decreasing
      {1, {0, 0}, bad, bad},                           // repeated
      {1, {1, 1}, bad, bad},                           // repeated, first one wrong
      {1, {-1, 0}, bad, bad},                          // negative
      {1, {0, 2}, bad, bad},                           // beyond last_offset_delta
      {2, {0, 2}, count, ok},                          // a gap
      {2, {1, 2}, count, ok},                          // the first offset compacted away
      {2, {0, 1}, count, ok},                          // the last offset compacted away
      {2, {0, 3}, count, bad},                         // beyond last_offset_delta
      {2, {2, 1}, count, bad},                         // decreasing
  };
  for (const auto& t : cases) {
    batch_header h;
    h.last_offset_delta = t.last;
    bytes recs;
    for (auto d : t.deltas) encode_record(recs, 0, d, as_bytes("k"), as_bytes("v"));
    auto b = assemble_batch(h, recs, int32_t(t.deltas.size())).value();
    auto label = "last " + std::to_string(t.last) + " deltas " + std::to_string(t.deltas[0]) + "," +
                 std::to_string(t.deltas[1]);
    EXPECT_EQ(validate_error(b), t.dense) << label;
    EXPECT_EQ(validate_error(b, {.allow_offset_gaps = true}), t.gaps) << label;
  }
}

TEST(record_batch, too_large) {
  auto b = two_records();
  EXPECT_EQ(validate_error(b, {.max_batch_bytes = two_size}), ok);
  EXPECT_EQ(validate_error(b, {.max_batch_bytes = two_size - 1}), err(batch_errc::too_large));
  EXPECT_EQ(validate_error(b, {.max_batch_bytes = 61}), err(batch_errc::too_large));
}

TEST(record_batch, default_limit_is_kafka_max_message_bytes) {
  batch_builder b;
  bytes big(1048588 - 61 - 20, std::byte{'x'});
  b.add(as_bytes("k"), std::span<const std::byte>(big), timestamp{1});
  auto batch = b.build().value();
  ASSERT_LE(batch.size(), 1048588u);
  EXPECT_EQ(validate_error(batch), ok);

  batch_builder b2;
  bytes bigger(1048588, std::byte{'x'});
  b2.add(as_bytes("k"), std::span<const std::byte>(bigger), timestamp{1});
  auto batch2 = b2.build().value();
  EXPECT_EQ(validate_error(batch2), err(batch_errc::too_large));
  EXPECT_EQ(validate_error(batch2, {.max_batch_bytes = batch2.size()}), ok);
}

// --- validate_batch: records-level errors ------------------------------------

TEST(record_batch, record_length_past_the_end) {
  const auto b = two_records();
  // First record claims 63 bytes; only 37 follow.
  auto e = b;
  e[rec0] = std::byte{0x7e};
  fix_crc(e);
  EXPECT_EQ(validate_error(e), err(batch_errc::corrupt_records));
  // Last record claims one byte more than the batch holds.
  e = b;
  e[rec1] = std::byte{0x26};
  fix_crc(e);
  EXPECT_EQ(validate_error(e), err(batch_errc::corrupt_records));
  // The last varint (header count) has its continuation bit set.
  e = b;
  e.back() = std::byte{0x80};
  fix_crc(e);
  EXPECT_EQ(validate_error(e), err(batch_errc::corrupt_records));
  // skip_records trusts the CRC and does not look.
  e = b;
  e[rec0] = std::byte{0x7e};
  fix_crc(e);
  EXPECT_EQ(validate_error(e, {.skip_records = true}), ok);
}

TEST(record_batch, record_framing_errors) {
  const auto b = two_records();
  struct edit {
    size_t at;
    uint8_t value;
    const char* what;
  };
  const edit edits[] = {
      {rec0, 0x22, "record length one short"},
      {rec0, 0x26, "record length one long"},
      {rec0, 0x00, "record length 0"},
      {rec0, 0x01, "record length -1"},
      {rec0 + 4, 0x7e, "key length past the record"},
      {rec0 + 4, 0x03, "key length -2"},
      {rec0 + 10, 0x10, "value length one long"},
      {rec0 + 10, 0x0c, "value length one short"},
      {rec0 + 18, 0x02, "header count 1 with no headers"},
      {rec0 + 18, 0x01, "header count -1"},
      {rec1 + 3, 0x80, "offset delta varint swallows the key length"},
  };
  for (const auto& ed : edits) {
    auto e = b;
    e[ed.at] = std::byte{ed.value};
    fix_crc(e);
    EXPECT_EQ(validate_error(e), err(batch_errc::corrupt_records)) << ed.what;
  }
  // Trailing bytes after the last record (batch_length adjusted to match).
  auto e = b;
  e.push_back(std::byte{0});
  put_be(e, 8, e.size() - 12, 4);
  fix_crc(e);
  EXPECT_EQ(validate_error(e), err(batch_errc::corrupt_records));
}

TEST(record_batch, wrong_offset_delta_by_byte_edit) {
  const auto b = two_records();
  // Second record's offset_delta (rec1 + 3) from 1 to 0, then to 2.
  for (uint8_t v : {0x00, 0x04}) {
    auto e = b;
    e[rec1 + 3] = std::byte{v};
    fix_crc(e);
    EXPECT_EQ(validate_error(e), err(batch_errc::corrupt_records)) << int(v);
    EXPECT_EQ(validate_error(e, {.allow_offset_gaps = true}), err(batch_errc::corrupt_records))
        << int(v);
  }
}

TEST(record_batch, compressed_records_are_walked_only_when_asked) {
  for (auto codec : {compression::gzip, compression::snappy, compression::lz4, compression::zstd}) {
    // Repeated offset deltas, hidden inside a valid compressed block.
    batch_header h;
    h.attributes = int16_t(codec);
    h.last_offset_delta = 1;
    bytes recs;
    encode_record(recs, 0, 0, as_bytes("k"), as_bytes("v"));
    encode_record(recs, 0, 0, as_bytes("k"), as_bytes("v"));
    auto b = assemble_batch(h, recs, 2).value();
    EXPECT_EQ(validate_error(b), ok) << name(codec);
    EXPECT_EQ(validate_error(b, {.deep = true}), err(batch_errc::corrupt_records)) << name(codec);
    EXPECT_EQ(validate_error(b, {.require_keys = true}), err(batch_errc::corrupt_records))
        << name(codec);
    EXPECT_EQ(validate_error(b, {.deep = true, .skip_records = true}), ok) << name(codec);

    // A body that does not decompress at all.
    auto garbage = two_records(codec);
    for (size_t i = 61; i < garbage.size(); ++i) garbage[i] = std::byte{0xff};
    fix_crc(garbage);
    EXPECT_EQ(validate_error(garbage), ok) << name(codec);
    EXPECT_EQ(validate_error(garbage, {.deep = true}), err(batch_errc::corrupt_records))
        << name(codec);
    EXPECT_EQ(validate_error(garbage, {.require_keys = true}), err(batch_errc::corrupt_records))
        << name(codec);
  }
}

TEST(record_batch, require_keys) {
  for (auto codec : all_codecs) {
    batch_builder b(codec);
    b.add(as_bytes("k"), as_bytes("v"), timestamp{1});
    b.add(std::nullopt, as_bytes("tombstone-less"), timestamp{2});
    auto batch = b.build().value();
    // Compressed batches are not opened unless deep or require_keys.
    EXPECT_EQ(validate_error(batch), ok) << name(codec);
    EXPECT_EQ(validate_error(batch, {.deep = true}), ok) << name(codec);
    EXPECT_EQ(validate_error(batch, {.require_keys = true}), err(batch_errc::missing_key))
        << name(codec);
    EXPECT_EQ(validate_error(batch, {.deep = true, .require_keys = true}),
              err(batch_errc::missing_key))
        << name(codec);

    // An empty key is a key; a null value (tombstone) is fine.
    batch_builder e(codec);
    e.add(as_bytes(""), std::nullopt, timestamp{1});
    EXPECT_EQ(validate_error(e.build().value(), {.require_keys = true}), ok) << name(codec);
  }
}

TEST(record_batch, require_keys_ignores_control_batches) {
  batch_header h;
  h.attributes = batch_attr::control;
  bytes recs;
  encode_record(recs, 0, 0, std::nullopt, as_bytes("v"));
  auto b = assemble_batch(h, recs, 1).value();
  EXPECT_TRUE(parse_header(b).value().is_control());
  EXPECT_EQ(validate_error(b, {.require_keys = true}), ok);
}

TEST(record_batch, unsupported_codec) {
  for (int16_t c : {5, 6, 7}) {
    for (int16_t extra : {int16_t{0}, batch_attr::log_append_time}) {
      auto b = two_records();
      put_be(b, 21, uint16_t(c | extra), 2);
      fix_crc(b);
      EXPECT_EQ(validate_error(b), err(batch_errc::unsupported_codec)) << c;
      EXPECT_EQ(validate_error(b, {.deep = true}), err(batch_errc::unsupported_codec)) << c;
      EXPECT_EQ(validate_error(b, {.require_keys = true}), err(batch_errc::unsupported_codec)) << c;
      auto h = parse_header(b).value();
      bytes storage;
      auto r = records_section(b, h, storage);
      ASSERT_FALSE(r) << c;
      EXPECT_EQ(r.error(), err(batch_errc::unsupported_codec));
    }
  }
}

TEST(record_batch, higher_attribute_bits_are_not_a_codec) {
  // Transactional + delete horizon bits over an uncompressed batch.
  auto b = two_records();
  put_be(b, 21, uint16_t(batch_attr::transactional | batch_attr::delete_horizon), 2);
  fix_crc(b);
  auto h = validate_batch(b, {.deep = true});
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h.value().codec(), compression::none);
  EXPECT_TRUE(h.value().is_transactional());
  EXPECT_FALSE(h.value().is_control());
}

// --- compression -------------------------------------------------------------

TEST(record_batch, every_codec_round_trips_records) {
  for (auto codec : all_codecs) {
    batch_builder b(codec);
    for (int i = 0; i < 200; ++i) {
      auto k = "user-" + std::to_string(i % 17);
      auto v = "{\"n\":" + std::to_string(i) + ",\"pad\":\"aaaaaaaaaaaaaaaa\"}";
      auto trace = std::to_string(i);
      record_header_view hs[] = {{as_bytes("trace"), as_bytes(trace)}};
      b.add(as_bytes(k), as_bytes(v), timestamp{10'000 + i}, hs);
    }
    auto batch = b.build();
    ASSERT_TRUE(batch) << name(codec);
    const auto& bb = batch.value();
    auto h = validate_batch(bb, {.deep = true});
    ASSERT_TRUE(h) << name(codec) << ": " << h.error().message();
    EXPECT_EQ(h.value().codec(), codec);
    EXPECT_EQ(get_be(bb, 21, 2) & 7, uint64_t(codec));
    EXPECT_EQ(h.value().record_count, 200);
    EXPECT_EQ(h.value().last_offset_delta, 199);
    EXPECT_EQ(h.value().max_timestamp, 10'199);
    if (codec != compression::none) {
      EXPECT_LT(bb.size(), 61 + b.records_bytes()) << name(codec);
    } else {
      EXPECT_EQ(bb.size(), 61 + b.records_bytes());
    }

    bytes storage;
    auto section = records_section(bb, h.value(), storage);
    ASSERT_TRUE(section) << name(codec);
    EXPECT_EQ(storage.empty(), codec == compression::none) << name(codec);
    EXPECT_EQ(section.value().size(), b.records_bytes()) << name(codec);
    auto recs = parse_records(section.value(), 200);
    ASSERT_TRUE(recs) << name(codec);
    ASSERT_EQ(recs.value().size(), 200u);
    for (int i = 0; i < 200; ++i) {
      const auto& r = recs.value()[size_t(i)];
      EXPECT_EQ(r.offset_delta, i);
      EXPECT_EQ(r.timestamp_delta, i);
      EXPECT_EQ(r.attributes, 0);
      EXPECT_EQ(str(r.key), "user-" + std::to_string(i % 17));
      EXPECT_EQ(str(r.value), "{\"n\":" + std::to_string(i) + ",\"pad\":\"aaaaaaaaaaaaaaaa\"}");
      ASSERT_EQ(r.headers.size(), 1u);
      EXPECT_EQ(str(r.headers[0].key), "trace");
      EXPECT_EQ(str(r.headers[0].value), std::to_string(i));
    }
  }
}

TEST(record_batch, uncompressed_section_points_into_the_batch) {
  auto b = two_records();
  auto h = parse_header(b).value();
  bytes storage;
  auto s = records_section(b, h, storage).value();
  EXPECT_EQ(s.data(), b.data() + 61);
  EXPECT_EQ(s.size(), two_size - 61);
  EXPECT_TRUE(storage.empty());
  EXPECT_EQ(records_section(std::span<const std::byte>(b).first(60), h, storage).error(),
            err(batch_errc::truncated));
}

TEST(record_batch, snappy_raw_and_xerial_batches_both_decode) {
  bytes recs;
  for (int i = 0; i < 50; ++i)
    encode_record(recs, i, i, as_bytes("key-" + std::to_string(i)), as_bytes("value value value"));
  batch_header h;
  h.attributes = int16_t(compression::snappy);
  h.last_offset_delta = 49;
  for (auto framing : {snappy_framing::raw, snappy_framing::xerial}) {
    auto b = assemble_batch(h, recs, 50, framing);
    ASSERT_TRUE(b);
    auto body = std::span<const std::byte>(b.value()).subspan(61);
    EXPECT_EQ(is_xerial_snappy(body), framing == snappy_framing::xerial);
    auto v = validate_batch(b.value(), {.deep = true});
    ASSERT_TRUE(v) << v.error().message();
    bytes storage;
    auto s = records_section(b.value(), v.value(), storage);
    ASSERT_TRUE(s);
    EXPECT_TRUE(std::equal(s.value().begin(), s.value().end(), recs.begin(), recs.end()));
    EXPECT_EQ(parse_records(s.value(), 50).value().size(), 50u);
  }
}

TEST(record_batch, assemble_batch_fills_length_count_and_crc) {
  batch_header h;
  h.base_offset = 500;
  h.leader_epoch = 9;
  h.batch_length = 12345;  // overwritten
  h.record_count = 777;    // overwritten by `count`
  h.crc = 1;               // overwritten
  h.magic = 1;             // always written as 2
  h.last_offset_delta = 0;
  h.base_timestamp = 1'700'000'000'000;
  h.max_timestamp = 1'700'000'000'005;
  h.producer_id = 99;
  h.producer_epoch = 3;
  h.base_sequence = 17;
  bytes recs;
  encode_record(recs, 5, 0, as_bytes("k"), as_bytes("v"));
  auto b = assemble_batch(h, recs, 1).value();
  EXPECT_EQ(get_be(b, 0, 8), 500u);
  EXPECT_EQ(get_be(b, 8, 4), b.size() - 12);
  EXPECT_EQ(get_be(b, 12, 4), 9u);
  EXPECT_EQ(get_be(b, 16, 1), 2u);
  EXPECT_EQ(stored_crc(b), crc32c(std::span<const std::byte>(b).subspan(21)));
  EXPECT_EQ(get_be(b, 27, 8), 1'700'000'000'000u);
  EXPECT_EQ(get_be(b, 35, 8), 1'700'000'000'005u);
  EXPECT_EQ(get_be(b, 43, 8), 99u);
  EXPECT_EQ(get_be(b, 51, 2), 3u);
  EXPECT_EQ(get_be(b, 53, 4), 17u);
  EXPECT_EQ(get_be(b, 57, 4), 1u);
  EXPECT_EQ(validate_error(b, {.deep = true}), ok);
}

// --- parse_records -----------------------------------------------------------

TEST(record_batch, parse_records_headers_round_trip) {
  bytes recs;
  record_header_view hs[] = {
      {as_bytes("content-type"), as_bytes("application/json")},
      {as_bytes("null-value"), std::nullopt},
      {as_bytes(""), as_bytes("")},
      {as_bytes("content-type"), as_bytes("dup")},  // keys may repeat
  };
  encode_record(recs, 3, 0, as_bytes("k"), as_bytes("v"), hs);
  encode_record(recs, 4, 1, as_bytes("k2"), as_bytes("v2"));
  auto r = parse_records(recs, 2);
  ASSERT_TRUE(r);
  ASSERT_EQ(r.value().size(), 2u);
  const auto& h = r.value()[0].headers;
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(str(h[0].key), "content-type");
  EXPECT_EQ(str(h[0].value), "application/json");
  EXPECT_EQ(str(h[1].key), "null-value");
  EXPECT_FALSE(h[1].value.has_value());
  EXPECT_EQ(str(h[2].key), "");
  ASSERT_TRUE(h[2].value.has_value());
  EXPECT_TRUE(h[2].value->empty());
  EXPECT_EQ(str(h[3].value), "dup");
  EXPECT_TRUE(r.value()[1].headers.empty());
  EXPECT_EQ(r.value()[0].timestamp_delta, 3);
  EXPECT_EQ(r.value()[1].timestamp_delta, 4);
  // raw spans tile the section exactly.
  EXPECT_EQ(r.value()[0].raw.data(), recs.data());
  EXPECT_EQ(r.value()[0].raw.data() + r.value()[0].raw.size(), r.value()[1].raw.data());
  EXPECT_EQ(r.value()[0].raw.size() + r.value()[1].raw.size(), recs.size());
}

TEST(record_batch, parse_records_null_and_empty_keys_and_values) {
  bytes recs;
  encode_record(recs, 0, 0, std::nullopt, std::nullopt);
  encode_record(recs, 0, 1, as_bytes(""), as_bytes(""));
  encode_record(recs, 0, 2, std::nullopt, as_bytes("v"));
  encode_record(recs, 0, 3, as_bytes("k"), std::nullopt);
  // Null is length -1 (zig-zag 0x01), empty is length 0 (0x00).
  EXPECT_EQ(bytes(recs.begin(), recs.begin() + 7),
            literal({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}));
  EXPECT_EQ(bytes(recs.begin() + 7, recs.begin() + 14),
            literal({0x0c, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}));
  auto r = parse_records(recs, 4).value();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_FALSE(r[0].key);
  EXPECT_FALSE(r[0].value);
  ASSERT_TRUE(r[1].key);
  ASSERT_TRUE(r[1].value);
  EXPECT_TRUE(r[1].key->empty());
  EXPECT_TRUE(r[1].value->empty());
  EXPECT_FALSE(r[2].key);
  EXPECT_EQ(str(r[2].value), "v");
  EXPECT_EQ(str(r[3].key), "k");
  EXPECT_FALSE(r[3].value);
  for (int32_t i = 0; i < 4; ++i) EXPECT_EQ(r[size_t(i)].offset_delta, i);
}

TEST(record_batch, parse_records_large_varint_lengths) {
  // Lengths whose varints take 1, 2, 3 and 4 bytes (zig-zag doubles them).
  for (size_t n : {size_t{63}, size_t{64}, size_t{8191}, size_t{8192}, size_t{1'048'575},
                   size_t{1'048'576}, size_t{1'500'000}}) {
    bytes key(n / 3 + 1, std::byte{'k'});
    bytes value(n, std::byte{'v'});
    value.back() = std::byte{'!'};
    bytes recs;
    record_header_view hs[] = {
        {std::span<const std::byte>(key), std::span<const std::byte>(value)}};
    encode_record(recs, int64_t{1} << 40, 1'000'000, std::span<const std::byte>(key),
                  std::span<const std::byte>(value), hs);
    encode_record(recs, -5, 1'000'001, std::nullopt, as_bytes("x"));
    auto r = parse_records(recs, 2);
    ASSERT_TRUE(r) << n;
    ASSERT_EQ(r.value().size(), 2u);
    const auto& a = r.value()[0];
    EXPECT_EQ(a.timestamp_delta, int64_t{1} << 40);
    EXPECT_EQ(a.offset_delta, 1'000'000);
    ASSERT_TRUE(a.key && a.value);
    EXPECT_TRUE(std::equal(a.key->begin(), a.key->end(), key.begin(), key.end())) << n;
    EXPECT_TRUE(std::equal(a.value->begin(), a.value->end(), value.begin(), value.end())) << n;
    ASSERT_EQ(a.headers.size(), 1u);
    EXPECT_EQ(a.headers[0].value->size(), n);
    EXPECT_EQ(r.value()[1].timestamp_delta, -5);
    EXPECT_EQ(r.value()[1].offset_delta, 1'000'001);
    EXPECT_EQ(a.raw.size() + r.value()[1].raw.size(), recs.size());
  }
}

TEST(record_batch, large_record_in_a_batch) {
  bytes value(300'000, std::byte{'v'});
  for (auto codec : all_codecs) {
    batch_builder b(codec);
    b.add(as_bytes("big"), std::span<const std::byte>(value), timestamp{5});
    b.add("small", "s", timestamp{6});
    auto batch = b.build().value();
    EXPECT_EQ(validate_error(batch, {.deep = true}), ok) << name(codec);
    bytes storage;
    auto recs = records_of(batch, storage);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].value->size(), value.size());
    EXPECT_EQ(str(recs[1].key), "small");
  }
}

TEST(record_batch, parse_records_errors) {
  bytes one;
  encode_record(one, 0, 0, as_bytes("k"), as_bytes("v"));
  EXPECT_EQ(parse_records(one, -1).error(), err(batch_errc::bad_record_count));
  EXPECT_EQ(parse_records(one, 2).error(), err(batch_errc::corrupt_records));  // missing record
  EXPECT_EQ(parse_records(one, 0).error(), err(batch_errc::corrupt_records));  // trailing bytes
  EXPECT_TRUE(parse_records({}, 0));
  EXPECT_EQ(parse_records({}, 1).error(), err(batch_errc::corrupt_records));

  // A header with a null key.
  auto null_header_key = literal({0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01});
  EXPECT_EQ(parse_records(null_header_key, 1).error(), err(batch_errc::corrupt_records));
  // Header count larger than the bytes left.
  auto many_headers = literal({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x7e});
  EXPECT_EQ(parse_records(many_headers, 1).error(), err(batch_errc::corrupt_records));
  // Header value running past the record.
  auto long_header = literal({0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x10});
  EXPECT_EQ(parse_records(long_header, 1).error(), err(batch_errc::corrupt_records));
  // Key or value length below -1 (only -1 means null).
  auto key_minus_two = literal({0x0e, 0x00, 0x00, 0x00, 0x03, 0x02, 'v', 0x00});
  EXPECT_EQ(parse_records(key_minus_two, 1).error(), err(batch_errc::corrupt_records));
  auto value_minus_two = literal({0x0e, 0x00, 0x00, 0x00, 0x02, 'k', 0x03, 0x00});
  EXPECT_EQ(parse_records(value_minus_two, 1).error(), err(batch_errc::corrupt_records));
  auto header_value_minus_two =
      literal({0x12, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 'h', 0x03});
  EXPECT_EQ(parse_records(header_value_minus_two, 1).error(), err(batch_errc::corrupt_records));
  // A record whose length covers a byte after its last header.
  auto slack = literal({0x12, 0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00, 0xff});
  EXPECT_EQ(parse_records(slack, 1).error(), err(batch_errc::corrupt_records));
  // A header count near INT32_MAX must be rejected before anything is sized by it.
  auto huge_headers = literal({0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x0f});
  EXPECT_EQ(parse_records(huge_headers, 1).error(), err(batch_errc::corrupt_records));
  // A varint longer than five bytes.
  auto long_varint = literal({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  EXPECT_EQ(parse_records(long_varint, 1).error(), err(batch_errc::corrupt_records));
  // Every prefix of a valid record is rejected.
  for (size_t n = 0; n < one.size(); ++n)
    EXPECT_FALSE(parse_records(std::span<const std::byte>(one).first(n), 1)) << n;
}

// --- in-place edits ----------------------------------------------------------

TEST(record_batch, set_base_offset_and_leader_epoch_keep_the_crc) {
  for (auto codec : {compression::none, compression::zstd}) {
    auto b = two_records(codec);
    const auto crc = stored_crc(b);
    set_base_offset(b, offset{0x0123456789abcdef});
    set_leader_epoch(b, leader_epoch{0x7eadbeef});
    EXPECT_EQ(stored_crc(b), crc);
    EXPECT_EQ(get_be(b, 0, 8), 0x0123456789abcdefu);
    EXPECT_EQ(get_be(b, 12, 4), 0x7eadbeefu);
    auto h = validate_batch(b, {.deep = true});
    ASSERT_TRUE(h) << name(codec) << ": " << h.error().message();
    EXPECT_EQ(h.value().first_offset(), offset{0x0123456789abcdef});
    EXPECT_EQ(h.value().last_offset(), offset{0x0123456789abcdf0});
    EXPECT_EQ(h.value().leader_epoch, 0x7eadbeef);
    EXPECT_EQ(parse_frame(b)->base_offset, 0x0123456789abcdef);
    set_leader_epoch(b, leader_epoch{-1});
    EXPECT_EQ(get_be(b, 12, 4), 0xffffffffu);
    EXPECT_EQ(validate_error(b), ok);
  }
}

TEST(record_batch, stamp_log_append_time) {
  for (auto codec : all_codecs) {
    auto b = two_records(codec);
    const auto before = parse_header(b).value();
    EXPECT_FALSE(before.is_log_append_time());
    stamp_log_append_time(b, timestamp{1'700'000'000'123});
    EXPECT_EQ(get_be(b, 21, 2), uint64_t(int(codec) | 0x08)) << name(codec);
    EXPECT_EQ(get_be(b, 35, 8), 1'700'000'000'123u);
    EXPECT_EQ(stored_crc(b), crc32c(std::span<const std::byte>(b).subspan(21)));
    auto h = validate_batch(b, {.deep = true});
    ASSERT_TRUE(h) << name(codec) << ": " << h.error().message();
    EXPECT_TRUE(h.value().is_log_append_time());
    EXPECT_EQ(h.value().codec(), codec);
    EXPECT_EQ(h.value().max_timestamp, 1'700'000'000'123);
    EXPECT_EQ(h.value().base_timestamp, before.base_timestamp);
    EXPECT_EQ(h.value().producer_id, before.producer_id);
    // Everything else is untouched.
    auto fresh = two_records(codec);
    for (size_t i = 0; i < b.size(); ++i) {
      bool stamped = (i >= 17 && i < 23) || (i >= 35 && i < 43);
      if (!stamped) {
        EXPECT_EQ(b[i], fresh[i]) << name(codec) << " byte " << i;
      }
    }
    // Stamping again with a new time is fine too.
    stamp_log_append_time(b, timestamp{5});
    EXPECT_EQ(get_be(b, 21, 2), uint64_t(int(codec) | 0x08));
    EXPECT_EQ(validate_batch(b, {}).value().max_timestamp, 5);
  }
}

// --- batch_builder -----------------------------------------------------------

TEST(record_batch, builder_timestamps) {
  // Base taken from the first record; max over all, even out of order.
  batch_builder a;
  a.add("a", "1", timestamp{2000});
  a.add("b", "2", timestamp{2500});
  a.add("c", "3", timestamp{1990});
  auto ba = a.build().value();
  EXPECT_EQ(get_be(ba, 27, 8), 2000u);
  EXPECT_EQ(get_be(ba, 35, 8), 2500u);
  bytes storage;
  auto ra = records_of(ba, storage);
  ASSERT_EQ(ra.size(), 3u);
  EXPECT_EQ(ra[0].timestamp_delta, 0);
  EXPECT_EQ(ra[1].timestamp_delta, 500);
  EXPECT_EQ(ra[2].timestamp_delta, -10);

  // An explicit base.
  batch_builder b(compression::none, timestamp{1000});
  b.add("a", "1", timestamp{1010});
  b.add("b", "2", timestamp{1005});
  auto bb = b.build().value();
  EXPECT_EQ(get_be(bb, 27, 8), 1000u);
  EXPECT_EQ(get_be(bb, 35, 8), 1010u);
  auto rb = records_of(bb, storage);
  EXPECT_EQ(rb[0].timestamp_delta, 10);
  EXPECT_EQ(rb[1].timestamp_delta, 5);
}

TEST(record_batch, builder_counts_and_producer_fields) {
  batch_builder b(compression::lz4);
  EXPECT_EQ(b.count(), 0);
  EXPECT_EQ(b.records_bytes(), 0u);
  b.add("k", "v", timestamp{1});
  EXPECT_EQ(b.count(), 1);
  EXPECT_EQ(b.records_bytes(), 9u);
  b.set_producer(0x7fffffffffffffff, 0x7fff, 0x7fffffff);
  auto batch = b.build().value();
  auto h = validate_batch(batch, {.deep = true}).value();
  EXPECT_EQ(h.producer_id, 0x7fffffffffffffff);
  EXPECT_EQ(h.producer_epoch, 0x7fff);
  EXPECT_EQ(h.base_sequence, 0x7fffffff);
  EXPECT_EQ(h.codec(), compression::lz4);
  EXPECT_EQ(h.base_offset, 0);
  EXPECT_EQ(h.leader_epoch, -1);
  // build() is const and repeatable.
  EXPECT_EQ(b.build().value(), batch);
}

TEST(record_batch, empty_builder_makes_an_empty_batch) {
  batch_builder b;
  auto batch = b.build().value();
  EXPECT_EQ(batch.size(), 61u);
  EXPECT_EQ(get_be(batch, 57, 4), 0u);
  EXPECT_EQ(validate_error(batch), err(batch_errc::bad_record_count));
  EXPECT_EQ(validate_error(batch, {.allow_offset_gaps = true}), ok);
}

// --- errors ------------------------------------------------------------------

TEST(record_batch, error_category) {
  EXPECT_STREQ(batch_category().name(), "runnel.batch");
  for (int e = 1; e <= int(batch_errc::unsupported_codec); ++e) {
    auto ec = make_error_code(static_cast<batch_errc>(e));
    EXPECT_EQ(&ec.category(), &batch_category());
    EXPECT_FALSE(ec.message().empty());
    EXPECT_NE(ec.message(), "unknown record batch error") << e;
  }
  std::error_code ec = batch_errc::crc_mismatch;
  EXPECT_EQ(ec, batch_errc::crc_mismatch);
  EXPECT_NE(ec, batch_errc::bad_magic);
}

}  // namespace
}  // namespace runnel::model
