#include "stream/state/session_store.h"

#include <algorithm>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "stream/state/errc.h"
#include "stream/state/index_expiry.h"
#include "stream/state/time_index_codec.h"

namespace runnel::stream::state {

namespace {

// The primary key a time-index entry points to (nullopt: malformed).
std::optional<std::string> primary_of_index(std::string_view index_key) {
  auto k = decode_session_index_key(index_key);
  if (!k) return std::nullopt;
  return encode_session_key(*k);
}

}  // namespace

result<std::unique_ptr<session_store>> open_session_store(const std::filesystem::path& dir,
                                                          change_logger log) {
  RUNNEL_TRY(auto db, rocks_db::open(dir, session_index_cf));
  return std::make_unique<session_store>(std::move(db), std::move(log));
}

session_store::session_store(std::unique_ptr<rocks_db> db, change_logger log)
    : db_(std::move(db)), log_(std::move(log)) {}

result<void> session_store::apply(const session_key& k, std::string_view primary_key,
                                  std::optional<std::string_view> value) {
  rocksdb::WriteBatch batch;
  const std::string index_key = encode_session_index_key(k);
  if (value) {
    batch.Put(db_->primary(), slice(primary_key), slice(*value));
    batch.Put(db_->index(), slice(index_key), rocksdb::Slice());
  } else {
    batch.Delete(db_->primary(), slice(primary_key));
    batch.Delete(db_->index(), slice(index_key));
  }
  RUNNEL_TRY(db_->write(batch));
  if (value) low_water_ = std::min(low_water_, k.end);
  return success();
}

// Logged even when the local write failed: see kv_store::put.
void session_store::put(std::string_view key, int64_t start, int64_t end, std::string_view value) {
  const session_key k{key, start, end};
  const std::string primary_key = encode_session_key(k);
  (void)apply(k, primary_key, value);
  if (log_) log_(primary_key, value);
}

void session_store::remove(std::string_view key, int64_t start, int64_t end) {
  const session_key k{key, start, end};
  const std::string primary_key = encode_session_key(k);
  (void)apply(k, primary_key, std::nullopt);
  if (log_) log_(primary_key, std::nullopt);
}

void session_store::find(
    std::string_view key, int64_t earliest_end, int64_t latest_start,
    const std::function<bool(int64_t start, int64_t end, std::string_view value)>& fn) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  constexpr int64_t max_time = std::numeric_limits<int64_t>::max();
  const std::string start =
      encode_session_key({key, std::numeric_limits<int64_t>::min(), earliest_end});
  // The largest key of this user key plus one byte bounds the scan.
  std::string upper = encode_session_key({key, max_time, max_time});
  upper.push_back('\0');
  rocksdb::Slice upper_slice = slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->primary()));
  // Ends ascend but starts do not, so every session ending at or after
  // earliest_end is looked at; one key rarely has more than a few.
  for (it->Seek(slice(start)); it->Valid(); it->Next()) {
    auto k = decode_session_key(view(it->key()));
    if (!k || k->key != key) {
      db_->fail(state_errc::corrupt_store);
      break;
    }
    if (k->start > latest_start) continue;
    if (!fn(k->start, k->end, view(it->value()))) break;
  }
  db_->check(*it);
}

void session_store::fetch_ended(
    int64_t from, int64_t to,
    const std::function<bool(std::string_view key, int64_t start, int64_t end,
                             std::string_view value)>& fn) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  from = std::max(from, low_water_);
  if (from > to) return;
  scan_by_index(*db_, from, to, primary_of_index,
                [&](std::string_view index_key, std::string_view value) {
                  auto k = decode_session_index_key(index_key);
                  return fn(k->key, k->start, k->end, value);
                });
}

void session_store::expire(int64_t end_before) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  if (end_before <= low_water_) return;
  const bool ok =
      expire_by_index(*db_, ordered_time(low_water_), ordered_time(end_before), primary_of_index);
  if (!ok) return;
  low_water_ = end_before;
}

result<void> session_store::restore(std::string_view changelog_key,
                                    std::optional<std::string_view> value) {
  auto k = decode_session_key(changelog_key);
  if (!k) return std::error_code(state_errc::bad_changelog_key);
  return apply(*k, changelog_key, value);
}

}  // namespace runnel::stream::state
