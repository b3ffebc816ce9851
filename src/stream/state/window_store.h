// window_store: the RocksDB-backed window_bytes_store of one task.
//
// Two column families, written together in one WriteBatch:
//   default          key-length | key | time | seq -> value   (fetch by key)
//   window_time_v1   time | key-length | key | seq -> ""      (scans by time)
// The primary key is also the changelog key, so restore rebuilds the index
// entry from the record alone. Layouts: docs/format/state-stores.md.
//
// Owned by the task that opened it; not thread-safe. Write and read errors
// are kept sticky and returned by flush() and close() (rocks_db.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/result.h"
#include "runnel/stream/store.h"
#include "stream/state/changelog_codec.h"
#include "stream/state/rocks_db.h"

namespace runnel::stream::state {

class window_store final : public window_bytes_store {
 public:
  // `log` receives every change but expiry (may be empty: no changelog).
  window_store(std::unique_ptr<rocks_db> db, change_logger log);

  std::optional<std::string> get(std::string_view key, int64_t time, uint32_t seq = 0) override;
  void put(std::string_view key, int64_t time, std::string_view value, uint32_t seq = 0) override;
  void remove(std::string_view key, int64_t time, uint32_t seq = 0) override;
  void fetch(
      std::string_view key, int64_t from, int64_t to,
      const std::function<bool(int64_t time, uint32_t seq, std::string_view value)>& fn) override;
  void fetch_all(int64_t from, int64_t to,
                 const std::function<bool(std::string_view key, int64_t time, uint32_t seq,
                                          std::string_view value)>& fn) override;
  void expire(int64_t before) override;

  // Applies one changelog record (nullopt value = tombstone) without logging
  // it, index entry included. A key that does not decode is
  // state_errc::bad_changelog_key and changes nothing.
  result<void> restore(std::string_view changelog_key, std::optional<std::string_view> value);
  result<void> flush() { return db_->flush(); }
  result<void> close() { return db_->close(); }
  uint64_t approximate_entries() const { return db_->approximate_entries(); }
  uint64_t size_bytes() const { return db_->size_bytes(); }
  static result<void> destroy(const std::filesystem::path& dir) { return rocks_db::destroy(dir); }

 private:
  result<void> apply(const window_key& k, std::string_view primary_key,
                     std::optional<std::string_view> value);

  std::unique_ptr<rocks_db> db_;
  change_logger log_;
  // No entry has a time below this. Raised by expire(), lowered by a write
  // of an older entry; lets expire() return without a seek when nothing is
  // old enough, and lets time scans start past the tombstones expiry leaves.
  int64_t low_water_ = std::numeric_limits<int64_t>::min();
  // The primary key of the last get() that found a value, if nothing was
  // written since. An aggregation reads then writes the same window; as the
  // index entry exists whenever the primary one does, that put need not
  // write the index again, which halves the cost of the update.
  std::string last_found_;
};

// Opens (creating if missing) the window store in `dir`.
result<std::unique_ptr<window_store>> open_window_store(const std::filesystem::path& dir,
                                                        change_logger log);

}  // namespace runnel::stream::state
