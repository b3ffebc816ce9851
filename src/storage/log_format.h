// On-disk constants of a partition log. The format is written down byte by
// byte in docs/format/log.md; change both together.
//
// A partition directory holds, per segment with base offset B (20 digits):
//   B.log        24-byte file header, then Kafka v2 record batches verbatim
//   B.index      24-byte file header, then offset index entries
//   B.timeindex  24-byte file header, then time index entries
//   B.txnindex   24-byte file header, then aborted-transaction entries (only
//                for segments holding an abort marker)
// plus O.snapshot files (producer state as of offset O), one `checkpoint`
// file (see log_checkpoint.h), and at times `spare.log`, the next segment's
// file created ahead of a roll.
#pragma once

#include <cstddef>
#include <cstdint>

namespace runnel::storage::format {

// Every file we own starts with this header (big-endian):
//   0 magic    u32  'R''N''L''G'
//   4 version  u16  1
//   6 kind     u16  file_kind
//   8 base     i64  segment base offset (0 for the checkpoint)
//  16 file_id  u32  random; a rewritten file (compaction) gets a new one, so
//                   the checkpoint can tell a file it describes from a
//                   replacement of the same size
//  20 crc      u32  CRC-32C of bytes [0, 20)
inline constexpr uint32_t magic = 0x524E4C47;
inline constexpr uint16_t version = 1;
inline constexpr size_t file_header_size = 24;

// A compacted segment has its own kind: only there may offsets jump between
// batches, so recovery checks plain segments for exactly consecutive offsets.
enum class file_kind : uint16_t {
  segment = 1,
  offset_index = 2,
  time_index = 3,
  checkpoint = 4,
  compacted_segment = 5,
  txn_index = 6,
  producer_snapshot = 7,
};

// Offset index entry (8 bytes): relative offset u32 (batch base offset minus
// segment base), position u32 (byte position of the batch in B.log).
inline constexpr size_t offset_index_entry_size = 8;
// Time index entry (16 bytes): timestamp i64 (largest batch max_timestamp in
// the segment up to and including this batch), relative offset u32,
// position u32 of that batch.
inline constexpr size_t time_index_entry_size = 16;

// Aborted-transaction index entry (32 bytes): producer id i64, first offset
// i64 (the transaction's first batch in this partition), last offset i64
// (its abort marker, which lies in this segment), last stable offset i64
// (the partition's LSO just after the marker).
inline constexpr size_t txn_index_entry_size = 32;

// A segment is at most 4 GiB so positions fit u32 (segment.bytes is capped).
inline constexpr uint64_t max_segment_bytes = (uint64_t{1} << 32) - 1;
// Batches smaller than this cannot exist: the fixed header is 61 bytes.
inline constexpr size_t min_batch_bytes = 61;

inline constexpr const char* segment_suffix = ".log";
inline constexpr const char* offset_index_suffix = ".index";
inline constexpr const char* time_index_suffix = ".timeindex";
inline constexpr const char* txn_index_suffix = ".txnindex";
// The files of one segment, data file last: compaction and recovery replace
// them index files first, so a data .swap implies its index .swap files.
// (A txnindex file exists only for a segment with an abort marker.)
inline constexpr const char* segment_file_suffixes[] = {offset_index_suffix, time_index_suffix,
                                                        txn_index_suffix, segment_suffix};
inline constexpr const char* snapshot_suffix = ".snapshot";
// Producer snapshots kept: the newest ones at segment bases (older ones only
// cost scanning back further if both of these are damaged).
inline constexpr size_t snapshots_kept = 2;
inline constexpr const char* cleaned_suffix = ".cleaned";  // compaction output being written
inline constexpr const char* swap_suffix = ".swap";        // compaction output ready to replace
// The next segment's data file, created empty ahead of a roll so that the
// roll itself opens nothing; renamed to B.log once a roll made it segment B.
inline constexpr const char* spare_segment_name = "spare.log";
inline constexpr const char* checkpoint_name = "checkpoint";
inline constexpr const char* checkpoint_tmp_name = "checkpoint.tmp";

}  // namespace runnel::storage::format
