#include "sql/state/state_store.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_buffer_manager.h>

#include "sql/types/codec.h"

namespace runnel::sql {

std::string table_prefix(uint64_t id) {
  std::string p;
  codec::append_u64_be(id, p);
  return p;
}

// A table that holds its epoch's writes itself until the commit.
struct write_back {
  virtual ~write_back() = default;
  virtual bool dirty() const = 0;
  // Writes what changed since the last flush into the batch.
  virtual void flush() = 0;
};

struct state_store::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::unordered_set<write_back*> cached;
  rocksdb::WriteBatchWithIndex batch{rocksdb::BytewiseComparator(), 0, true};
  std::vector<std::pair<uint64_t, uint64_t>> drops;
  std::optional<sql_error> failure;

  void fail(const rocksdb::Status& s) {
    if (!failure) failure = make_error(errc::io_error, -1, "state store: {}", s.ToString());
  }
};

namespace {

class rocks_table : public state_table {
 public:
  rocks_table(state_store::impl* s, uint64_t id, bool indexed = true)
      : s_(s), prefix_(table_prefix(id)), indexed_(indexed) {}

  std::optional<std::string> get(std::string_view key) override {
    std::string k = full(key), v;
    rocksdb::ReadOptions ro;
    auto st = s_->batch.GetFromBatchAndDB(s_->db.get(), ro, k, &v);
    if (st.IsNotFound()) return std::nullopt;
    if (!st.ok()) {
      s_->fail(st);
      return std::nullopt;
    }
    return v;
  }
  void put(std::string_view key, std::string_view value) override {
    rocksdb::Slice v(value.data(), value.size());
    auto st = indexed_ ? s_->batch.Put(full(key), v) : s_->batch.GetWriteBatch()->Put(full(key), v);
    if (!st.ok()) s_->fail(st);
  }
  void del(std::string_view key) override {
    auto st = indexed_ ? s_->batch.Delete(full(key)) : s_->batch.GetWriteBatch()->Delete(full(key));
    if (!st.ok()) s_->fail(st);
  }
  void scan(std::string_view from, std::string_view to, const state_visitor& fn) override {
    std::string lo = full(from), hi = to.empty() ? prefix_end(prefix_) : full(to);
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(s_->batch.NewIteratorWithBase(s_->db->NewIterator(ro)));
    for (it->Seek(lo); it->Valid(); it->Next()) {
      auto k = it->key();
      if (!hi.empty() && k.compare(hi) >= 0) break;
      auto v = it->value();
      if (!fn(std::string_view(k.data() + prefix_.size(), k.size() - prefix_.size()),
              std::string_view(v.data(), v.size())))
        break;
    }
    if (!it->status().ok()) s_->fail(it->status());
  }
  void scan_reverse(std::string_view from, std::string_view to, const state_visitor& fn) override {
    std::string lo = full(from), hi = to.empty() ? prefix_end(prefix_) : full(to);
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(s_->batch.NewIteratorWithBase(s_->db->NewIterator(ro)));
    if (hi.empty())
      it->SeekToLast();
    else
      it->SeekForPrev(hi);
    for (; it->Valid(); it->Prev()) {
      auto k = it->key();
      if (!hi.empty() && k.compare(hi) >= 0) continue;
      if (k.compare(lo) < 0) break;
      auto v = it->value();
      if (!fn(std::string_view(k.data() + prefix_.size(), k.size() - prefix_.size()),
              std::string_view(v.data(), v.size())))
        break;
    }
    if (!it->status().ok()) s_->fail(it->status());
  }
  int64_t bytes() override {
    std::string lo = prefix_, hi = prefix_end(prefix_);
    rocksdb::Range r(lo, hi);
    uint64_t size = 0;
    rocksdb::SizeApproximationOptions o;
    o.include_memtables = true;
    o.include_files = true;
    auto st = s_->db->GetApproximateSizes(o, s_->db->DefaultColumnFamily(), &r, 1, &size);
    (void)st;
    return static_cast<int64_t>(size);
  }

 private:
  std::string full(std::string_view key) const {
    std::string k = prefix_;
    k.append(key);
    return k;
  }
  state_store::impl* s_;
  std::string prefix_;
  bool indexed_;
};

// A table held whole in memory, its changed keys written to the batch at
// the commit: reads never reach RocksDB (an operator's state costs what it
// cost in memory), and a key changed many times in an epoch (an
// aggregate's group) is written once. At creation it loads what the store
// holds under its prefix (a restart).
class cached_table : public state_table, public write_back {
 public:
  cached_table(state_store::impl* s, uint64_t id)
      : s_(s), prefix_(table_prefix(id)), mem_(make_memory_table()) {
    s_->cached.insert(this);
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(s_->batch.NewIteratorWithBase(s_->db->NewIterator(ro)));
    std::string hi = prefix_end(prefix_);
    for (it->Seek(prefix_); it->Valid(); it->Next()) {
      auto k = it->key();
      if (!hi.empty() && k.compare(hi) >= 0) break;
      auto v = it->value();
      mem_->put(std::string_view(k.data() + prefix_.size(), k.size() - prefix_.size()),
                std::string_view(v.data(), v.size()));
    }
    if (!it->status().ok()) s_->fail(it->status());
  }
  ~cached_table() override {
    flush();  // a table dropped before the commit: its range is deleted after these
    s_->cached.erase(this);
  }
  std::optional<std::string> get(std::string_view key) override { return mem_->get(key); }
  void put(std::string_view key, std::string_view value) override {
    mem_->put(key, value);
    dirty_.emplace(key);
  }
  void del(std::string_view key) override {
    mem_->del(key);
    dirty_.emplace(key);
  }
  bool dirty() const override { return !dirty_.empty(); }
  void flush() override {
    // Into the batch itself, not its index: nothing reads these keys back
    // from RocksDB before the next start.
    auto* wb = s_->batch.GetWriteBatch();
    for (const auto& k : dirty_) {
      auto v = mem_->get(k);
      auto st = v ? wb->Put(full(k), *v) : wb->Delete(full(k));
      if (!st.ok()) s_->fail(st);
    }
    dirty_.clear();
  }
  void scan(std::string_view from, std::string_view to, const state_visitor& fn) override {
    mem_->scan(from, to, fn);
  }
  void scan_reverse(std::string_view from, std::string_view to, const state_visitor& fn) override {
    mem_->scan_reverse(from, to, fn);
  }
  int64_t bytes() override { return mem_->bytes(); }

 private:
  std::string full(std::string_view key) const {
    std::string k = prefix_;
    k.append(key);
    return k;
  }
  state_store::impl* s_;
  std::string prefix_;
  std::unique_ptr<state_table> mem_;
  std::unordered_set<std::string> dirty_;
};

}  // namespace

state_store::state_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
state_store::~state_store() = default;

result<std::unique_ptr<state_store>> state_store::open(const std::filesystem::path& dir,
                                                       const state_store_options& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(errc::io_error, -1, "cannot create the state directory {}: {}", dir.string(),
                      ec.message());
  rocksdb::Options o;
  o.create_if_missing = true;
  o.IncreaseParallelism(2);
  o.OptimizeLevelStyleCompaction(64 << 20);
  // Memory is bounded by one LRU cache: data, index and filter blocks live
  // in it, and the memtables are charged to it (WriteBufferManager), so
  // that state far larger than memory is served from disk with at most
  // `cache_bytes` of it held (plus the epoch's write batch). Bloom filters
  // make a point lookup of a missing key (an upsert's first record) cheap.
  const size_t cache = std::max<size_t>(options.cache_bytes, 8 << 20);
  auto block_cache = rocksdb::NewLRUCache(cache);
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.block_cache = block_cache;
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Half the cache for memtables: a memtable of a quarter of that, at most
  // three (one being written, two being flushed).
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(cache / 2, block_cache);
  o.write_buffer_size = std::clamp<size_t>(cache / 8, 2 << 20, 64 << 20);
  o.max_write_buffer_number = 3;
  o.min_write_buffer_number_to_merge = 1;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(o, dir.string(), &raw);
  if (!st.ok())
    return make_error(errc::io_error, -1, "cannot open the SQL state store in {}: {}", dir.string(),
                      st.ToString());
  auto p = std::make_unique<impl>();
  p->db.reset(raw);
  return std::unique_ptr<state_store>(new state_store(std::move(p)));
}

std::unique_ptr<state_table> state_store::table(uint64_t id) {
  return std::make_unique<rocks_table>(impl_.get(), id);
}

std::unique_ptr<state_table> state_store::log_table(uint64_t id) {
  return std::make_unique<rocks_table>(impl_.get(), id, false);
}

std::unique_ptr<state_table> state_store::cached_table(uint64_t id) {
  return std::make_unique<class cached_table>(impl_.get(), id);
}

result<void> state_store::commit() {
  for (auto* t : impl_->cached) t->flush();
  if (impl_->failure) return *impl_->failure;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto* wb = impl_->batch.GetWriteBatch();
  for (auto [from, to] : impl_->drops) {
    auto st = wb->DeleteRange(table_prefix(from), table_prefix(to));
    if (!st.ok()) return make_error(errc::io_error, -1, "state store: {}", st.ToString());
  }
  if (wb->Count() == 0) return success();
  auto st = impl_->db->Write(wo, wb);
  if (!st.ok()) {
    impl_->fail(st);
    return *impl_->failure;
  }
  impl_->batch.Clear();
  impl_->drops.clear();
  return success();
}

size_t state_store::pending_bytes() const {
  return impl_->batch.GetWriteBatch()->GetDataSize();
}

bool state_store::dirty() const {
  for (auto* t : impl_->cached)
    if (t->dirty()) return true;
  return impl_->batch.GetWriteBatch()->Count() > 0 || !impl_->drops.empty();
}

void state_store::drop_tables(uint64_t from, uint64_t to) {
  impl_->drops.emplace_back(from, to);
}

int64_t state_store::approximate_bytes(uint64_t from, uint64_t to) {
  std::string lo = table_prefix(from), hi = table_prefix(to);
  rocksdb::Range r(lo, hi);
  uint64_t size = 0;
  rocksdb::SizeApproximationOptions o;
  o.include_memtables = true;
  o.include_files = true;
  auto st = impl_->db->GetApproximateSizes(o, impl_->db->DefaultColumnFamily(), &r, 1, &size);
  (void)st;
  return static_cast<int64_t>(size);
}

const std::optional<sql_error>& state_store::failure() const {
  return impl_->failure;
}

}  // namespace runnel::sql
