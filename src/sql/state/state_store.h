// state_store: the durable state of a SQL process — one RocksDB database
// (DESIGN.md decision 8) holding every operator's state_table as a key
// range (an 8-byte table id prefix; docs/format/sql-state.md).
//
// Writes of the current epoch collect in a write batch that reads see at
// once; commit() writes the batch atomically with the WAL synced. Because
// each source's read offsets are state too, one commit makes the state of
// every view and the input positions that produced it durable together: a
// process killed at any moment restarts from its last commit and
// continues, recomputing nothing that commit covered and counting nothing
// twice.
//
// Thread-safety: the engine thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "sql/error.h"
#include "sql/state/state_table.h"

namespace runnel::sql {

// The memory RocksDB may use (the block cache, with the memtables charged
// to it): what a process holding more state than memory keeps of it.
struct state_store_options {
  size_t cache_bytes = 64 << 20;
  // The memory operator tables (cached_table) may hold together: three
  // quarters for tables held whole, the largest spilled to RocksDB when
  // they no longer fit, and a quarter for a cache of point lookups in the
  // spilled ones. 0: every operator table is read from RocksDB.
  size_t operator_cache_bytes = size_t{256} << 20;
};

class state_store {
 public:
  static result<std::unique_ptr<state_store>> open(const std::filesystem::path& dir,
                                                   const state_store_options& options = {});
  ~state_store();

  // The table with this id (jobs use job_id << 16 | n; id 0 is metadata):
  // reads go to RocksDB (through the epoch's writes).
  std::unique_ptr<state_table> table(uint64_t id);
  // The same table held whole in memory (loaded now), its changed keys
  // written at the commit (once each, however often they changed): reads
  // cost what an in-memory table's cost. For operator state, which the
  // operators read on every row. While the cached tables fit
  // operator_cache_bytes; when they do not, the largest are spilled (their
  // changes written into the epoch's indexed batch, their memory freed)
  // and read from RocksDB from then on. Two handles on one id must not
  // both write; every table must go before the store.
  std::unique_ptr<state_table> cached_table(uint64_t id);
  // A table whose writes skip the epoch's index: cheaper, but reads see
  // them only after the commit. For keys written once and read only when
  // the process starts again (an append-only log of rows).
  std::unique_ptr<state_table> log_table(uint64_t id);

  // Makes everything written since the last commit durable, atomically.
  result<void> commit();
  // Bytes written since the last commit (to bound an epoch's memory;
  // changes of cached tables held in memory are not counted until the
  // commit, a spilled one's are).
  size_t pending_bytes() const;
  // Whether anything waits for the next commit.
  bool dirty() const;
  // Removes tables [from, to) (a dropped view), at the next commit.
  void drop_tables(uint64_t from, uint64_t to);
  // Bytes on disk and in memory tables of tables [from, to).
  int64_t approximate_bytes(uint64_t from, uint64_t to);

  // The first error any table hit (reads of a broken disk); commit fails with it.
  const std::optional<sql_error>& failure() const;

  struct impl;

 private:
  explicit state_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

// The 8-byte big-endian prefix of a table id.
std::string table_prefix(uint64_t id);

}  // namespace runnel::sql
