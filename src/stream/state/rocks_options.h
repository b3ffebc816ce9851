// RocksDB options for stream state stores. A stream process holds many small
// stores (one per task and store), so the options bound each store's memory
// and file handles and share the block cache across all of them; the reasons
// for each number are in rocks_options.cc. Private to src/stream/state.
#pragma once

#include <memory>

#include <rocksdb/cache.h>
#include <rocksdb/options.h>

namespace runnel::stream::state {

// The block cache shared by every store of the process (created on first use,
// thread-safe).
std::shared_ptr<rocksdb::Cache> shared_block_cache();

rocksdb::DBOptions store_db_options();
// The primary column family: point reads (get) and short prefix scans.
rocksdb::ColumnFamilyOptions primary_cf_options();
// A time index: only range scans (no Bloom filter); expiry deletes ranges.
rocksdb::ColumnFamilyOptions index_cf_options();

}  // namespace runnel::stream::state
