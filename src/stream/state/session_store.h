// session_store: the RocksDB-backed session_bytes_store of one task.
//
// Two column families, written together in one WriteBatch:
//   default          key-length | key | end | start -> value   (find by key)
//   session_end_v1   end | key-length | key | start -> ""      (scans by end)
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

class session_store final : public session_bytes_store {
 public:
  // `log` receives every change but expiry (may be empty: no changelog).
  session_store(std::unique_ptr<rocks_db> db, change_logger log);

  void find(
      std::string_view key, int64_t earliest_end, int64_t latest_start,
      const std::function<bool(int64_t start, int64_t end, std::string_view value)>& fn) override;
  void put(std::string_view key, int64_t start, int64_t end, std::string_view value) override;
  void remove(std::string_view key, int64_t start, int64_t end) override;
  void fetch_ended(int64_t from, int64_t to,
                   const std::function<bool(std::string_view key, int64_t start, int64_t end,
                                            std::string_view value)>& fn) override;
  void expire(int64_t end_before) override;

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
  result<void> apply(const session_key& k, std::string_view primary_key,
                     std::optional<std::string_view> value);

  std::unique_ptr<rocks_db> db_;
  change_logger log_;
  // No session ends below this; see window_store::low_water_.
  int64_t low_water_ = std::numeric_limits<int64_t>::min();
};

// Opens (creating if missing) the session store in `dir`.
result<std::unique_ptr<session_store>> open_session_store(const std::filesystem::path& dir,
                                                          change_logger log);

}  // namespace runnel::stream::state
