#include "stream/state/kv_store.h"

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "stream/state/errc.h"

namespace runnel::stream::state {

result<std::unique_ptr<kv_store>> open_kv_store(const std::filesystem::path& dir,
                                                change_logger log) {
  RUNNEL_TRY(auto db, rocks_db::open(dir, {}));
  return std::make_unique<kv_store>(std::move(db), std::move(log));
}

kv_store::kv_store(std::unique_ptr<rocks_db> db, change_logger log)
    : db_(std::move(db)), log_(std::move(log)) {}

std::optional<std::string> kv_store::get(std::string_view key) {
  return db_->get(db_->primary(), key);
}

result<void> kv_store::apply(std::string_view key, std::optional<std::string_view> value) {
  rocksdb::WriteBatch batch;
  if (value)
    batch.Put(db_->primary(), slice(key), slice(*value));
  else
    batch.Delete(db_->primary(), slice(key));
  return db_->write(batch);
}

// The change is logged even when the local write failed: the failure is
// sticky, so the task fails at commit and rebuilds the store from the
// changelog, which must then hold everything the processor did.
void kv_store::put(std::string_view key, std::string_view value) {
  (void)apply(key, value);
  if (log_) log_(key, value);
}

void kv_store::remove(std::string_view key) {
  (void)apply(key, std::nullopt);
  if (log_) log_(key, std::nullopt);
}

void kv_store::range(std::string_view from, std::string_view to, const kv_visitor& fn) {
  if (!db_->is_open()) return db_->fail(state_errc::closed);
  if (!to.empty() && to <= from) return;
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = slice(to);
  if (!to.empty()) ro.iterate_upper_bound = &upper;
  // The iterator reads an implicit snapshot, so `fn` may change the store.
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->primary()));
  for (it->Seek(slice(from)); it->Valid(); it->Next())
    if (!fn(view(it->key()), view(it->value()))) break;
  db_->check(*it);
}

result<void> kv_store::restore(std::string_view changelog_key,
                               std::optional<std::string_view> value) {
  return apply(changelog_key, value);
}

}  // namespace runnel::stream::state
