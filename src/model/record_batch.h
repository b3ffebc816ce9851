// Kafka v2 record batches ("magic 2"): the unit the broker stores verbatim
// and the network layer sends back without re-encoding (DESIGN.md decision 2).
//
// Layout (big-endian, byte offsets from the start of the batch):
//
//   0  base_offset            int64   assigned by the broker
//   8  batch_length           int32   bytes after this field
//  12  partition_leader_epoch int32
//  16  magic                  int8    always 2
//  17  crc                    uint32  CRC-32C of bytes [21, end)
//  21  attributes             int16   bits 0-2 codec, 3 timestamp type,
//                                     4 transactional, 5 control, 6 delete horizon
//  23  last_offset_delta      int32
//  27  base_timestamp         int64
//  35  max_timestamp          int64
//  43  producer_id            int64
//  51  producer_epoch         int16
//  53  base_sequence          int32
//  57  record_count           int32
//  61  records...             (compressed as one block if codec != none)
//
// Each record: length varint, attributes int8, timestamp_delta varlong,
// offset_delta varint, key_length varint (-1 = null) + key, value_length
// varint (-1 = null) + value, header_count varint, then per header key_length
// varint + key, value_length varint + value.
//
// Everything here is pure computation on bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "model/compression.h"
#include "model/result.h"
#include "model/strong_types.h"

namespace runnel::model {

namespace batch_layout {
inline constexpr size_t base_offset = 0;
inline constexpr size_t batch_length = 8;
inline constexpr size_t leader_epoch = 12;
inline constexpr size_t magic = 16;
inline constexpr size_t crc = 17;
inline constexpr size_t attributes = 21;
inline constexpr size_t last_offset_delta = 23;
inline constexpr size_t base_timestamp = 27;
inline constexpr size_t max_timestamp = 35;
inline constexpr size_t producer_id = 43;
inline constexpr size_t producer_epoch = 51;
inline constexpr size_t base_sequence = 53;
inline constexpr size_t record_count = 57;
inline constexpr size_t header_size = 61;
// Bytes that precede batch_length's coverage: base_offset + batch_length.
inline constexpr size_t log_overhead = 12;
inline constexpr int8_t current_magic = 2;
}  // namespace batch_layout

namespace batch_attr {
inline constexpr int16_t codec_mask = 0x07;
inline constexpr int16_t log_append_time = 0x08;
inline constexpr int16_t transactional = 0x10;
inline constexpr int16_t control = 0x20;
inline constexpr int16_t delete_horizon = 0x40;
}  // namespace batch_attr

enum class batch_errc {
  truncated = 1,      // fewer bytes than the fixed header needs
  bad_magic,          // magic != 2
  bad_length,         // batch_length inconsistent with the bytes given
  crc_mismatch,       // stored CRC differs from the computed one
  bad_record_count,   // count < 1 or inconsistent with last_offset_delta
  too_large,          // larger than max.message.bytes
  corrupt_records,    // the records section does not parse
  missing_key,        // a record without key in a compacted topic
  unsupported_codec,  // attribute codec > 4
};
const std::error_category& batch_category();
std::error_code make_error_code(batch_errc e);

// The fixed-size header of a batch, decoded.
struct batch_header {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t leader_epoch = -1;
  int8_t magic = batch_layout::current_magic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  compression codec() const {
    return static_cast<compression>(attributes & batch_attr::codec_mask);
  }
  bool is_log_append_time() const { return attributes & batch_attr::log_append_time; }
  bool is_transactional() const { return attributes & batch_attr::transactional; }
  bool is_control() const { return attributes & batch_attr::control; }
  offset first_offset() const { return offset{base_offset}; }
  offset last_offset() const { return offset{base_offset + last_offset_delta}; }
  // Total bytes of the batch including base_offset and batch_length.
  size_t size_bytes() const { return batch_layout::log_overhead + size_t(batch_length); }
};

// Decodes the header from the first 61 bytes. Checks only that enough bytes
// are present; use validate_batch for everything else.
result<batch_header> parse_header(std::span<const std::byte> bytes);

// Reads just base_offset and batch_length (the first 12 bytes), which is all a
// scan needs to step from batch to batch.
struct batch_frame {
  int64_t base_offset;
  int32_t batch_length;
};
std::optional<batch_frame> parse_frame(std::span<const std::byte> bytes);

struct validate_options {
  size_t max_batch_bytes = 1048588;  // Kafka's max.message.bytes default
  // Producers always send record_count == last_offset_delta + 1; compaction
  // leaves fewer records than that (even none), so stored batches may have gaps.
  bool allow_offset_gaps = false;
  // Parse every record (decompressing if needed) and check its framing and
  // offset deltas. Uncompressed batches are always walked; this forces
  // compressed batches too.
  bool deep = false;
  bool require_keys = false;  // compacted topics: every record needs a key
  // Check only the header and CRC (recovery: the CRC already covers the records).
  bool skip_records = false;
};

// Validates one whole batch: `bytes` must be exactly the batch. Returns the
// header on success.
result<batch_header> validate_batch(std::span<const std::byte> bytes, const validate_options& opts);

// CRC-32C over attributes..end, the value the crc field must hold.
uint32_t compute_batch_crc(std::span<const std::byte> batch);

// In-place edits of a batch the broker is about to store. base_offset and
// leader_epoch are outside the CRC; stamping log-append time rewrites
// attributes and max_timestamp and recomputes the CRC.
void set_base_offset(std::span<std::byte> batch, offset base);
void set_leader_epoch(std::span<std::byte> batch, leader_epoch epoch);
void stamp_log_append_time(std::span<std::byte> batch, timestamp now);

struct record_header_view {
  std::span<const std::byte> key;
  std::optional<std::span<const std::byte>> value;
};

// One record inside a decoded (decompressed) records section. The spans point
// into the buffer that was parsed.
struct record_view {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::span<const std::byte>> key;
  std::optional<std::span<const std::byte>> value;
  std::vector<record_header_view> headers;
  std::span<const std::byte> raw;  // the whole record, length prefix included
};

// Parses `count` records from an uncompressed records section.
result<std::vector<record_view>> parse_records(std::span<const std::byte> records, int32_t count);

// The records section of a batch, decompressed if needed. `storage` keeps the
// decompressed bytes alive; for uncompressed batches it stays empty and the
// span points into `batch`.
result<std::span<const std::byte>> records_section(std::span<const std::byte> batch,
                                                   const batch_header& h,
                                                   std::vector<std::byte>& storage);

}  // namespace runnel::model

template <>
struct std::is_error_code_enum<runnel::model::batch_errc> : std::true_type {};
