#include "stream/state/rocks_db.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "stream/state/errc.h"
#include "stream/state/rocks_options.h"

namespace runnel::stream::state {

std::error_code rocks_error(const rocksdb::Status& s, std::string_view what,
                            const std::filesystem::path& dir) {
  spdlog::error("state store {}: {} failed: {}", dir.string(), what, s.ToString());
  if (s.IsCorruption()) return state_errc::corrupt_store;
  if (s.IsIOError()) return state_errc::io_error;
  return state_errc::store_error;
}

result<std::unique_ptr<rocks_db>> rocks_db::open(const std::filesystem::path& dir,
                                                 std::string_view index_cf) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    spdlog::error("state store {}: cannot create directory: {}", dir.string(), ec.message());
    return std::error_code(state_errc::io_error);
  }

  std::vector<std::string> wanted{rocksdb::kDefaultColumnFamilyName};
  if (!index_cf.empty()) wanted.emplace_back(index_cf);
  const rocksdb::DBOptions options = store_db_options();

  // An existing store must have exactly the column families of this kind: a
  // window store opened as a key-value store would otherwise lose its index
  // silently, and the other way round would gain an empty one.
  if (std::filesystem::exists(dir / "CURRENT", ec)) {
    std::vector<std::string> present;
    if (auto s = rocksdb::DB::ListColumnFamilies(options, dir.string(), &present); !s.ok())
      return rocks_error(s, "listing column families", dir);
    std::sort(present.begin(), present.end());
    std::vector<std::string> expected = wanted;
    std::sort(expected.begin(), expected.end());
    if (present != expected) {
      // A damaged MANIFEST can list fewer column families than the store
      // has; a read-only open (which takes no lock) tells that apart from a
      // store of another kind.
      std::vector<rocksdb::ColumnFamilyDescriptor> as_is;
      for (const auto& name : present)
        as_is.emplace_back(name, name == rocksdb::kDefaultColumnFamilyName ? primary_cf_options()
                                                                           : index_cf_options());
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      rocksdb::DB* raw = nullptr;
      auto s = rocksdb::DB::OpenForReadOnly(options, dir.string(), as_is, &handles, &raw);
      if (!s.ok()) return rocks_error(s, "open", dir);
      std::unique_ptr<rocksdb::DB> probe(raw);
      for (auto* h : handles) probe->DestroyColumnFamilyHandle(h);
      spdlog::error("state store {}: holds column families [{}], expected [{}]", dir.string(),
                    fmt::join(present, ", "), fmt::join(expected, ", "));
      return std::error_code(state_errc::wrong_kind);
    }
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, primary_cf_options());
  if (!index_cf.empty()) families.emplace_back(std::string(index_cf), index_cf_options());

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir.string(), families, &handles, &raw); !s.ok())
    return rocks_error(s, "open", dir);

  std::unique_ptr<rocks_db> out(new rocks_db());
  out->dir_ = dir;
  out->db_.reset(raw);
  out->primary_ = handles[0];
  if (handles.size() > 1) out->index_ = handles[1];
  return out;
}

result<void> rocks_db::destroy(const std::filesystem::path& dir) {
  // remove_all rather than rocksdb::DestroyDB: DestroyDB leaves the directory
  // behind when it holds anything RocksDB does not know, and the caller wants
  // the store gone whatever state it is in.
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    spdlog::error("state store {}: cannot remove: {}", dir.string(), ec.message());
    return std::error_code(state_errc::io_error);
  }
  return success();
}

rocks_db::~rocks_db() {
  if (auto r = close(); !r)
    spdlog::warn("state store {}: close on destruction: {}", dir_.string(), r.error().message());
}

result<void> rocks_db::write(rocksdb::WriteBatch& batch) {
  if (!db_) {
    fail(state_errc::closed);
    return std::error_code(state_errc::closed);
  }
  // Unsynced WAL writes: a process crash loses nothing (the OS has the
  // bytes), a machine crash loses what followed the last flush(), which the
  // changelog replays.
  if (auto s = db_->Write(rocksdb::WriteOptions(), &batch); !s.ok()) {
    auto ec = rocks_error(s, "write", dir_);
    fail(ec);
    return ec;
  }
  return success();
}

std::optional<std::string> rocks_db::get(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                         const rocksdb::Snapshot* snapshot) {
  if (!db_) {
    fail(state_errc::closed);
    return std::nullopt;
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  auto s = db_->Get(ro, cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.ok()) return value;
  // A failed read must not look like an absent key for good: an aggregation
  // would restart from zero. Keep it sticky so the task fails at commit.
  if (!s.IsNotFound()) fail(rocks_error(s, "get", dir_));
  return std::nullopt;
}

void rocks_db::check(const rocksdb::Iterator& it) {
  if (auto s = it.status(); !s.ok()) fail(rocks_error(s, "scan", dir_));
}

void rocks_db::fail(std::error_code ec) {
  if (!error_) error_ = ec;
}

result<void> rocks_db::flush() {
  if (error_) return error_;
  if (!db_) return std::error_code(state_errc::closed);
  if (auto s = db_->FlushWAL(/*sync=*/true); !s.ok()) {
    auto ec = rocks_error(s, "WAL sync", dir_);
    fail(ec);
    return ec;
  }
  return success();
}

result<void> rocks_db::close() {
  if (!db_) return success();
  std::error_code first = error_;
  if (!first) {
    if (auto s = db_->FlushWAL(/*sync=*/true); !s.ok()) first = rocks_error(s, "WAL sync", dir_);
  }
  for (auto* h : {primary_, index_}) {
    if (h == nullptr) continue;
    if (auto s = db_->DestroyColumnFamilyHandle(h); !s.ok() && !first)
      first = rocks_error(s, "releasing a column family", dir_);
  }
  primary_ = index_ = nullptr;
  if (auto s = db_->Close(); !s.ok() && !first) first = rocks_error(s, "close", dir_);
  db_.reset();
  fail(first);
  if (first) return first;
  return success();
}

uint64_t rocks_db::approximate_entries() const {
  uint64_t n = 0;
  if (db_ && db_->GetIntProperty(primary_, rocksdb::DB::Properties::kEstimateNumKeys, &n)) return n;
  return 0;
}

uint64_t rocks_db::size_bytes() const {
  if (!db_) return 0;
  uint64_t sst = 0, mem = 0;
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
  return sst + mem;
}

}  // namespace runnel::stream::state
