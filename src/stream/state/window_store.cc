#include "stream/state/window_store.h"

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
  auto k = decode_window_index_key(index_key);
  if (!k) return std::nullopt;
  return encode_window_key(*k);
}

}  // namespace

result<std::unique_ptr<window_store>> open_window_store(const std::filesystem::path& dir,
                                                        change_logger log) {
  RUNNEL_TRY(auto db, rocks_db::open(dir, window_index_cf));
  return std::make_unique<window_store>(std::move(db), std::move(log));
}

window_store::window_store(std::unique_ptr<rocks_db> db, change_logger log)
    : db_(std::move(db)), log_(std::move(log)) {}

result<void> window_store::apply(const window_key& k, std::string_view primary_key,
                                 std::optional<std::string_view> value) {
  // An empty last_found_ never equals a primary key (those are >= 16 bytes).
  const bool index_exists = value && primary_key == last_found_;
  last_found_.clear();
  rocksdb::WriteBatch batch;
  const std::string index_key = encode_window_index_key(k);
  if (value) {
    batch.Put(db_->primary(), slice(primary_key), slice(*value));
    if (!index_exists) batch.Put(db_->index(), slice(index_key), rocksdb::Slice());
  } else {
    batch.Delete(db_->primary(), slice(primary_key));
    batch.Delete(db_->index(), slice(index_key));
  }
  RUNNEL_TRY(db_->write(batch));
  if (value) low_water_ = std::min(low_water_, k.time);
  return success();
}

std::optional<std::string> window_store::get(std::string_view key, int64_t time, uint32_t seq) {
  std::string primary_key = encode_window_key({key, time, seq});
  auto value = db_->get(db_->primary(), primary_key);
  if (value)
    last_found_ = std::move(primary_key);
  else
    last_found_.clear();
  return value;
}

// Logged even when the local write failed: see kv_store::put.
void window_store::put(std::string_view key, int64_t time, std::string_view value, uint32_t seq) {
  const window_key k{key, time, seq};
  const std::string primary_key = encode_window_key(k);
  (void)apply(k, primary_key, value);
  if (log_) log_(primary_key, value);
}

void window_store::remove(std::string_view key, int64_t time, uint32_t seq) {
  const window_key k{key, time, seq};
  const std::string primary_key = encode_window_key(k);
  (void)apply(k, primary_key, std::nullopt);
  if (log_) log_(primary_key, std::nullopt);
}

void window_store::fetch(
    std::string_view key, int64_t from, int64_t to,
    const std::function<bool(int64_t time, uint32_t seq, std::string_view value)>& fn) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  if (from > to) return;
  const std::string start = encode_window_key({key, from, 0});
  // Every key of this user key has the same length, so the last possible key
  // at time `to` plus one byte is an exclusive bound past all of them.
  std::string upper = encode_window_key({key, to, std::numeric_limits<uint32_t>::max()});
  upper.push_back('\0');
  rocksdb::Slice upper_slice = slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->primary()));
  for (it->Seek(slice(start)); it->Valid(); it->Next()) {
    auto k = decode_window_key(view(it->key()));
    if (!k || k->key != key) {
      db_->fail(state_errc::corrupt_store);
      break;
    }
    if (!fn(k->time, k->seq, view(it->value()))) break;
  }
  db_->check(*it);
}

void window_store::fetch_all(int64_t from, int64_t to,
                             const std::function<bool(std::string_view key, int64_t time,
                                                      uint32_t seq, std::string_view value)>& fn) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  from = std::max(from, low_water_);
  if (from > to) return;
  scan_by_index(*db_, from, to, primary_of_index,
                [&](std::string_view index_key, std::string_view value) {
                  auto k = decode_window_index_key(index_key);
                  return fn(k->key, k->time, k->seq, value);
                });
}

void window_store::expire(int64_t before) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  last_found_.clear();
  if (before <= low_water_) return;
  const bool ok =
      expire_by_index(*db_, ordered_time(low_water_), ordered_time(before), primary_of_index);
  if (!ok) return;
  low_water_ = before;
}

result<void> window_store::restore(std::string_view changelog_key,
                                   std::optional<std::string_view> value) {
  auto k = decode_window_key(changelog_key);
  if (!k) return std::error_code(state_errc::bad_changelog_key);
  return apply(*k, changelog_key, value);
}

}  // namespace runnel::stream::state
