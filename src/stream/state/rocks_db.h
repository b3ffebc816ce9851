// One open RocksDB instance of a state store: its primary column family and,
// for window and session stores, a time-index column family. It turns RocksDB
// statuses into state_errc values (logging RocksDB's message) and keeps the
// first read or write error of the store as a sticky error, which flush()
// and close() return: the store interfaces are infallible for processors, so
// the failure surfaces at the task's next commit instead of being lost.
//
// Owned by one store object; not thread-safe (the owning task calls it from
// one thread at a time). Private to src/stream/state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include "model/result.h"

namespace runnel::stream::state {

// std::string_view <-> rocksdb::Slice, for the stores' keys and values.
inline rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}
inline std::string_view view(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

class rocks_db {
 public:
  // Opens (creating if missing) the store at `dir`. `index_cf` names the
  // time-index column family, empty for none. A directory whose column
  // families are not exactly these holds another kind of store: wrong_kind.
  static result<std::unique_ptr<rocks_db>> open(const std::filesystem::path& dir,
                                                std::string_view index_cf);
  // Deletes the store's directory and everything in it. The store must not
  // be open.
  static result<void> destroy(const std::filesystem::path& dir);

  rocks_db(const rocks_db&) = delete;
  rocks_db& operator=(const rocks_db&) = delete;
  ~rocks_db();

  bool is_open() const { return db_ != nullptr; }
  const std::filesystem::path& dir() const { return dir_; }
  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* primary() const { return primary_; }
  rocksdb::ColumnFamilyHandle* index() const { return index_; }  // null if none

  // Applies `batch` atomically (WAL on, unsynced). On failure the error is
  // logged, kept sticky and returned.
  result<void> write(rocksdb::WriteBatch& batch);
  // The value of `key`, read at `snapshot` (null: latest); nullopt if absent
  // or on a read error (kept sticky).
  std::optional<std::string> get(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                 const rocksdb::Snapshot* snapshot = nullptr);
  // Keeps the error of a finished scan, if any, sticky.
  void check(const rocksdb::Iterator& it);
  // Keeps `ec` sticky unless an earlier error is already kept.
  void fail(std::error_code ec);
  std::error_code sticky_error() const { return error_; }

  // Makes every write so far durable: syncs the WAL (RocksDB writes it
  // unsynced on every write). Returns the sticky error first, if any.
  result<void> flush();
  // Flushes, then closes RocksDB. Idempotent; later calls on the store fail
  // with state_errc::closed.
  result<void> close();
  // RocksDB's estimate of the number of keys in the primary column family.
  uint64_t approximate_entries() const;
  // Bytes the store takes: its SST files and memtables, every column family.
  uint64_t size_bytes() const;

 private:
  rocks_db() = default;

  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* primary_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  std::error_code error_;
};

// Maps a failed RocksDB status to a state error and logs RocksDB's message
// with `what` (the operation) and the store directory.
std::error_code rocks_error(const rocksdb::Status& s, std::string_view what,
                            const std::filesystem::path& dir);

}  // namespace runnel::stream::state
