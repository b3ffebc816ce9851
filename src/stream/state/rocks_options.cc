#include "stream/state/rocks_options.h"

#include <algorithm>

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>

namespace runnel::stream::state {

namespace {

// 64 MiB for data, index and filter blocks of all stores together: the hot
// part of window and join state is recent and small, and one shared LRU lets
// busy stores take what idle ones do not use, instead of a fixed slice each.
constexpr size_t block_cache_bytes = size_t{64} << 20;

// 16 MiB per memtable (RocksDB's default is 64 MiB): with tens of stores per
// process the default would pin gigabytes. Two memtables let one flush while
// the next fills.
constexpr size_t write_buffer_bytes = size_t{16} << 20;
constexpr int write_buffers = 2;

// All column families of a store share one WAL, which cannot be deleted while
// any of them still has data only in a memtable; a small index column family
// can keep old WAL files alive for a long time. Past this size RocksDB flushes
// the column families holding up the oldest WAL.
constexpr uint64_t max_total_wal_bytes = uint64_t{64} << 20;

// Table files a store keeps open. RocksDB's default (-1) keeps every file
// open forever; many stores per process would run out of descriptors.
constexpr int max_open_files = 64;

rocksdb::CompressionType fast_compression() {
  // LZ4 compresses and decompresses several times faster than Snappy at about
  // the same ratio; Debian's RocksDB is built with it, but fall back rather
  // than fail to open if a build is not.
  const auto supported = rocksdb::GetSupportedCompressions();
  if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end())
    return rocksdb::kLZ4Compression;
  if (std::find(supported.begin(), supported.end(), rocksdb::kSnappyCompression) != supported.end())
    return rocksdb::kSnappyCompression;
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions base_cf_options(bool bloom) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = write_buffer_bytes;
  cf.max_write_buffer_number = write_buffers;
  cf.compression = fast_compression();
  // Sizes levels from the bottom up, so that a small store does not carry
  // mostly-empty upper levels and space amplification stays near 1.1.
  cf.level_compaction_dynamic_level_bytes = true;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = shared_block_cache();
  // Index and filter blocks are charged to the shared cache too, so that the
  // memory of many stores is bounded by one number; L0's stay pinned because
  // every read touches them.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // A Bloom filter (10 bits per key, ~1% false positives) saves the disk read
  // of a get() for a key that is absent: the common case for a new key in an
  // aggregation. Stores that are only scanned do not need one.
  if (bloom) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // The same for the memtable, where a new window's first get() would
    // otherwise walk the skip list: about 15% more window updates per second
    // for 2% of the write buffer (320 KiB).
    cf.memtable_whole_key_filtering = true;
    cf.memtable_prefix_bloom_size_ratio = 0.02;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Expiry deletes every old window or session, one point delete per entry
  // in the primary column family (the index gets range deletes). Mark a
  // table file for compaction once 50 of any 128 consecutive entries are
  // deletes, so that space comes back and scans stop skipping tombstones
  // without waiting for the level to fill.
  cf.table_properties_collector_factories.emplace_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(128, 50));
  return cf;
}

}  // namespace

std::shared_ptr<rocksdb::Cache> shared_block_cache() {
  static const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(block_cache_bytes);
  return cache;
}

rocksdb::DBOptions store_db_options() {
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.max_open_files = max_open_files;
  db.max_total_wal_size = max_total_wal_bytes;
  // No statistics object (RocksDB's default, said here on purpose): it costs
  // a few percent on every operation and the task keeps its own metrics.
  db.statistics = nullptr;
  db.stats_dump_period_sec = 0;
  db.stats_persist_period_sec = 0;
  // RocksDB's LOG file per store: warnings only, and little of it.
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.keep_log_file_num = 2;
  db.max_log_file_size = size_t{1} << 20;
  // Background flushes and compactions run in the process-wide Env thread
  // pool that every store shares; RocksDB's default of 2 jobs is kept.
  return db;
}

rocksdb::ColumnFamilyOptions primary_cf_options() {
  return base_cf_options(true);
}

rocksdb::ColumnFamilyOptions index_cf_options() {
  return base_cf_options(false);
}

}  // namespace runnel::stream::state
