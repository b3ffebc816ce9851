// kv_store: the RocksDB-backed kv_bytes_store of one task. Keys are stored
// as they are in the default column family, so byte order is RocksDB's
// order; the changelog record is the user's key and value unchanged
// (docs/format/state-stores.md).
//
// Owned by the task that opened it; not thread-safe. Write and read errors
// are kept sticky and returned by flush() and close() (rocks_db.h).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/result.h"
#include "runnel/stream/store.h"
#include "stream/state/rocks_db.h"

namespace runnel::stream::state {

class kv_store final : public kv_bytes_store {
 public:
  // `log` receives every change (may be empty: no changelog).
  kv_store(std::unique_ptr<rocks_db> db, change_logger log);

  std::optional<std::string> get(std::string_view key) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void range(std::string_view from, std::string_view to, const kv_visitor& fn) override;

  // Applies one changelog record (nullopt value = tombstone) without logging
  // it. Every key is a valid kv changelog key.
  result<void> restore(std::string_view changelog_key, std::optional<std::string_view> value);
  // Makes all changes so far durable, or returns the store's sticky error.
  result<void> flush() { return db_->flush(); }
  result<void> close() { return db_->close(); }
  uint64_t approximate_entries() const { return db_->approximate_entries(); }
  uint64_t size_bytes() const { return db_->size_bytes(); }
  static result<void> destroy(const std::filesystem::path& dir) { return rocks_db::destroy(dir); }

 private:
  result<void> apply(std::string_view key, std::optional<std::string_view> value);

  std::unique_ptr<rocks_db> db_;
  change_logger log_;
};

// Opens (creating if missing) the key-value store in `dir`.
result<std::unique_ptr<kv_store>> open_kv_store(const std::filesystem::path& dir,
                                                change_logger log);

}  // namespace runnel::stream::state
