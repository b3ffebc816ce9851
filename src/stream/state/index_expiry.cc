#include "stream/state/index_expiry.h"

#include <limits>
#include <memory>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "stream/state/changelog_codec.h"
#include "stream/state/errc.h"

namespace runnel::stream::state {

namespace {

// Entries deleted by one batch: bounds the memory of a large expiry.
constexpr size_t batch_entries = 1024;

}  // namespace

bool expire_by_index(
    rocks_db& db, std::string_view from, std::string_view upper,
    const std::function<std::optional<std::string>(std::string_view index_key)>& primary_key_of) {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice = slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  ro.fill_cache = false;  // these blocks are about to be dropped
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(ro, db.index()));

  // Each batch deletes a run of index entries with one range tombstone (cheap
  // to write, and later scans skip it in one step, unlike a run of point
  // tombstones) and their primary entries one by one. A batch is atomic, so
  // index and primary agree even if a later batch fails. The iterator reads
  // a snapshot and nothing else writes meanwhile (one thread owns the
  // store), so the run [first, end) holds exactly the entries visited.
  rocksdb::WriteBatch batch;
  std::string first;
  size_t pending = 0;
  auto write_run = [&](std::string_view end) {
    batch.DeleteRange(db.index(), slice(first), slice(end));
    const bool ok = bool(db.write(batch));
    batch.Clear();
    pending = 0;
    return ok;
  };
  for (it->Seek(slice(from)); it->Valid(); it->Next()) {
    const std::string_view index_key(it->key().data(), it->key().size());
    auto primary_key = primary_key_of(index_key);
    if (!primary_key) {
      db.fail(state_errc::corrupt_store);
      return false;
    }
    if (pending == 0) first.assign(index_key);
    batch.Delete(db.primary(), slice(*primary_key));
    if (++pending == batch_entries) {
      std::string end(index_key);
      end.push_back('\0');  // the next possible key after this one
      if (!write_run(end)) return false;
    }
  }
  db.check(*it);
  if (!it->status().ok()) return false;
  return pending == 0 || write_run(upper);
}

void scan_by_index(
    rocks_db& db, int64_t from, int64_t to,
    const std::function<std::optional<std::string>(std::string_view index_key)>& primary_key_of,
    const std::function<bool(std::string_view index_key, std::string_view value)>& visit) {
  rocksdb::ManagedSnapshot snapshot(db.db());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::string upper;
  rocksdb::Slice upper_slice;
  if (to < std::numeric_limits<int64_t>::max()) {
    upper = ordered_time(to + 1);
    upper_slice = slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(ro, db.index()));
  for (it->Seek(slice(ordered_time(from))); it->Valid(); it->Next()) {
    auto primary = primary_key_of(view(it->key()));
    if (!primary) {
      db.fail(state_errc::corrupt_store);
      break;
    }
    auto value = db.get(db.primary(), *primary, snapshot.snapshot());
    if (!value) {
      db.fail(state_errc::corrupt_store);
      continue;
    }
    if (!visit(view(it->key()), *value)) break;
  }
  db.check(*it);
}

}  // namespace runnel::stream::state
