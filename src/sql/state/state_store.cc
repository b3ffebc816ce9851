#include "sql/state/state_store.h"

#include <algorithm>
#include <limits>
#include <list>
#include <map>
#include <unordered_map>
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

// Hashes std::string and std::string_view alike (lookups by a view
// without making a string).
struct string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// An operator's table (cached_table below), as the store sees it: held in
// memory with its epoch's changes, or spilled to RocksDB.
struct write_back {
  virtual ~write_back() = default;
  virtual bool dirty() const = 0;
  // Writes what changed since the last flush into the batch.
  virtual void flush() = 0;
  // Whether it may be spilled now (held in memory, and not being scanned:
  // dropping the map would pull it from under the visitor).
  virtual bool can_spill() const = 0;
  // What it is charged in memory (operator_cache_bytes).
  virtual int64_t charge() const = 0;
  // Writes its changes into the batch's index and frees its memory: from
  // now on it is read from RocksDB.
  virtual void spill() = 0;
};

// The point lookups of spilled tables (full key -> value, or none: a key
// known missing, an aggregate's new group), least recently used first out,
// bounded in bytes. Its entries are kept exact: a spilled table writes
// through it.
class point_cache {
 public:
  explicit point_cache(int64_t capacity) : capacity_(capacity) {}
  // The cached answer for `key`, if any (nullopt: not cached).
  const std::optional<std::string>* find(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }
  void set(const std::string& key, std::optional<std::string> value) {
    if (capacity_ <= 0) return;
    auto it = index_.find(key);
    if (it != index_.end()) {
      bytes_ -= cost(*it->second);
      it->second->second = std::move(value);
      bytes_ += cost(*it->second);
      entries_.splice(entries_.begin(), entries_, it->second);
    } else {
      entries_.emplace_front(key, std::move(value));
      index_.emplace(key, entries_.begin());
      bytes_ += cost(entries_.front());
    }
    while (bytes_ > capacity_ && !entries_.empty()) {
      bytes_ -= cost(entries_.back());
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }
  // Updates `key` if cached (a write of a key not read lately need not
  // push a read one out).
  void update(const std::string& key, std::optional<std::string> value) {
    if (index_.contains(key)) set(key, std::move(value));
  }
  // Forgets every key starting with `prefix` (a table that goes).
  void forget(std::string_view prefix) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (std::string_view(it->first).starts_with(prefix)) {
        bytes_ -= cost(*it);
        index_.erase(it->first);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  using entry = std::pair<std::string, std::optional<std::string>>;
  // A list node and a hash node with their key copies: ~160 bytes besides
  // the key and value themselves.
  static int64_t cost(const entry& e) {
    return static_cast<int64_t>(2 * e.first.size() + (e.second ? e.second->size() : 0) + 160);
  }
  int64_t capacity_;
  int64_t bytes_ = 0;
  std::list<entry> entries_;
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

struct state_store::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::unordered_set<write_back*> cached;
  // What operator tables held in memory may take together (three quarters
  // of operator_cache_bytes; the rest is the point cache of spilled ones),
  // and what they take.
  int64_t table_budget = 0;
  int64_t table_bytes = 0;
  std::unique_ptr<point_cache> points;
  rocksdb::WriteBatchWithIndex batch{rocksdb::BytewiseComparator(), 0, true};
  std::vector<std::pair<uint64_t, uint64_t>> drops;
  std::optional<sql_error> failure;

  void fail(const rocksdb::Status& s) {
    if (!failure) failure = make_error(errc::io_error, -1, "state store: {}", s.ToString());
  }
  // Adds `delta` to what tables in memory take; over the budget, spills
  // the largest ones until they fit again (the small, hot tables stay).
  void charge(int64_t delta) {
    table_bytes += delta;
    while (table_bytes > table_budget) {
      write_back* largest = nullptr;
      for (auto* t : cached)
        if (t->can_spill() && (!largest || t->charge() > largest->charge())) largest = t;
      if (!largest) return;  // every table left is being scanned: at the next write
      largest->spill();
    }
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

// An operator's table. While the operator tables of the process fit their
// budget (impl::table_budget) it is held whole in memory, its changed keys
// written to the batch at the commit: reads never reach RocksDB (an
// operator's state costs what it cost in memory), and a key changed many
// times in an epoch (an aggregate's group) is written once. When they no
// longer fit, the largest are spilled: their changes go into the batch's
// index, their memory is freed, and from then on they are read from
// RocksDB (through the epoch's writes), point lookups through the store's
// point_cache. A spilled table stays spilled until the process restarts.
// At creation it loads what the store holds under its prefix (a restart),
// and spills at once if that does not fit.
class cached_table : public state_table, public write_back {
 public:
  cached_table(state_store::impl* s, uint64_t id) : s_(s), prefix_(table_prefix(id)), disk_(s, id) {
    s_->cached.insert(this);
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(s_->batch.NewIteratorWithBase(s_->db->NewIterator(ro)));
    std::string hi = prefix_end(prefix_);
    for (it->Seek(prefix_); it->Valid(); it->Next()) {
      auto k = it->key();
      if (!hi.empty() && k.compare(hi) >= 0) break;
      auto v = it->value();
      std::string_view key(k.data() + prefix_.size(), k.size() - prefix_.size());
      int64_t c = entry_cost(key.size(), v.size());
      map_.emplace(std::string(key), std::string(v.data(), v.size()));
      data_bytes_ += static_cast<int64_t>(key.size() + v.size());
      charge_ += c;
      s_->table_bytes += c;
      if (s_->table_bytes > s_->table_budget) {
        // Too large to hold: read from RocksDB, where all of it is (nothing
        // of it has changed yet).
        drop_memory();
        spilled_ = true;
        break;
      }
    }
    if (!it->status().ok()) s_->fail(it->status());
  }
  ~cached_table() override {
    flush();  // a table dropped before the commit: its range is deleted after these
    drop_memory();
    if (spilled_) s_->points->forget(prefix_);
    s_->cached.erase(this);
  }
  std::optional<std::string> get(std::string_view key) override {
    if (spilled_) {
      std::string k = full(key);
      if (auto* hit = s_->points->find(k)) return *hit;
      auto v = disk_.get(key);
      s_->points->set(k, v);
      return v;
    }
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    if (spilled_) {
      disk_.put(key, value);
      s_->points->update(full(key), std::string(value));
      return;
    }
    auto it = map_.find(key);
    int64_t delta = mark_dirty(key, it != map_.end());
    if (it == map_.end()) {
      map_.emplace(std::string(key), std::string(value));
      data_bytes_ += static_cast<int64_t>(key.size() + value.size());
      delta += entry_cost(key.size(), value.size());
    } else {
      int64_t d = static_cast<int64_t>(value.size()) - static_cast<int64_t>(it->second.size());
      it->second.assign(value);
      data_bytes_ += d;
      delta += d;
    }
    charge_ += delta;
    s_->charge(delta);  // may spill this table: its change is in the map and marked dirty
  }
  void del(std::string_view key) override {
    if (spilled_) {
      disk_.del(key);
      s_->points->update(full(key), std::nullopt);
      return;
    }
    auto it = map_.find(key);
    // A key neither held nor changed this epoch: nothing to delete (a
    // tombstone for it would only cost the memtable and compactions).
    if (it == map_.end() && !dirty_.contains(key)) return;
    int64_t delta = mark_dirty(key, it != map_.end());
    if (it != map_.end()) {
      data_bytes_ -= static_cast<int64_t>(it->first.size() + it->second.size());
      delta -= entry_cost(it->first.size(), it->second.size());
      map_.erase(it);
    }
    charge_ += delta;
    s_->charge(delta);
  }
  bool dirty() const override { return !dirty_.empty(); }
  void flush() override {
    // Into the batch itself, not its index: nothing reads these keys back
    // from RocksDB before the next start (or before a spill, which writes
    // the keys still dirty into the index). Only the net change of each
    // key: a key made and deleted within the epoch (a group that opened
    // and closed, a join row that a later update replaced) was never in
    // the store and writes nothing. In key order: RocksDB's memtable
    // inserts a run of ascending keys from where the last one went,
    // comparing a few keys instead of searching its skip list from the top.
    if (dirty_.empty()) return;
    auto* wb = s_->batch.GetWriteBatch();
    std::vector<std::pair<const std::string*, const std::string*>>
        out;  // key, value (null: delete)
    out.reserve(dirty_.size());
    for (const auto& [k, stored] : dirty_) {
      auto it = map_.find(k);
      if (it != map_.end())
        out.emplace_back(&k, &it->second);
      else if (stored)
        out.emplace_back(&k, nullptr);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    // A run of deleted keys with no key left between them (a closed
    // window's groups: aggregate_op::close_below deletes a prefix of the
    // table) goes as one range deletion: one entry instead of one per key
    // in the memtable, the WAL and every compaction, which drops the keys
    // it covers. The store holds this table's keys as the map held them
    // before the epoch, so deleting the whole range [first, last] deletes
    // exactly the run when the map now holds nothing in it.
    std::string fk = prefix_, end;
    for (size_t i = 0; i < out.size();) {
      fk.resize(prefix_.size());
      fk.append(*out[i].first);
      if (out[i].second) {
        auto st = wb->Put(fk, *out[i].second);
        if (!st.ok()) s_->fail(st);
        ++i;
        continue;
      }
      // The first key held after out[i]'s: the run stops before it.
      auto next = map_.lower_bound(*out[i].first);
      size_t j = i + 1;
      while (j < out.size() && !out[j].second &&
             (next == map_.end() || *out[j].first < next->first))
        ++j;
      rocksdb::Status st;
      if (j - i >= min_range_delete) {
        end = prefix_;
        end.append(*out[j - 1].first);
        end.push_back('\0');  // the smallest key after the run's last
        st = wb->DeleteRange(fk, end);
      } else {
        for (size_t d = i; d < j && st.ok(); ++d) {
          fk.resize(prefix_.size());
          fk.append(*out[d].first);
          st = wb->Delete(fk);
        }
      }
      if (!st.ok()) s_->fail(st);
      i = j;
    }
    clear_dirty();
  }
  bool can_spill() const override { return !spilled_ && scanning_ == 0; }
  int64_t charge() const override { return charge_; }
  void spill() override {
    for (const auto& [k, stored] : dirty_) {
      auto it = map_.find(k);
      if (it == map_.end() && !stored) continue;  // never in the store: nothing to delete
      auto st = it != map_.end() ? s_->batch.Put(full(k), it->second) : s_->batch.Delete(full(k));
      if (!st.ok()) s_->fail(st);
    }
    drop_memory();
    spilled_ = true;
  }
  void scan(std::string_view from, std::string_view to, const state_visitor& fn) override {
    if (spilled_) return disk_.scan(from, to, fn);
    scan_guard g(scanning_);
    for (auto it = map_.lower_bound(from); it != map_.end(); ++it) {
      if (!to.empty() && std::string_view(it->first) >= to) break;
      if (!fn(it->first, it->second)) break;
    }
  }
  void scan_reverse(std::string_view from, std::string_view to, const state_visitor& fn) override {
    if (spilled_) return disk_.scan_reverse(from, to, fn);
    scan_guard g(scanning_);
    auto it = to.empty() ? map_.end() : map_.lower_bound(to);
    while (it != map_.begin()) {
      --it;
      if (std::string_view(it->first) < from) break;
      if (!fn(it->first, it->second)) break;
    }
  }
  int64_t bytes() override { return spilled_ ? disk_.bytes() : data_bytes_; }

 private:
  // What a key and value held in the map cost: the bytes and a std::map
  // node of two strings with the allocator's overhead (~112 bytes).
  static int64_t entry_cost(size_t key, size_t value) {
    return static_cast<int64_t>(key + value) + 112;
  }
  // Consecutive deleted keys written as one range deletion from this many
  // on (fewer: point deletions, which reads skip more cheaply).
  static constexpr size_t min_range_delete = 4;
  // A key in dirty_: its bytes and a hash set node (~72 bytes).
  static int64_t dirty_cost(size_t key) { return static_cast<int64_t>(key) + 72; }
  struct scan_guard {
    explicit scan_guard(int& n) : n_(n) { ++n_; }
    ~scan_guard() { --n_; }
    int& n_;
  };
  // Marks `key` changed (`held`: it is in the map now); returns what that
  // costs. The first change of an epoch records whether the key is in the
  // store (held before any change of this epoch is what the last commit
  // wrote), so that the flush writes no delete for a key never stored.
  int64_t mark_dirty(std::string_view key, bool held) {
    // Looked up first: emplace would make (and free) a node for a key
    // already marked, which most changes of a hot key are.
    if (dirty_.find(key) != dirty_.end()) return 0;
    dirty_.emplace(key, held);
    return dirty_cost(key.size());
  }
  void clear_dirty() {
    int64_t c = 0;
    for (const auto& [k, stored] : dirty_) c += dirty_cost(k.size());
    charge_ -= c;
    s_->table_bytes -= c;
    dirty_ = {};
  }
  void drop_memory() {
    dirty_ = {};
    map_ = {};
    s_->table_bytes -= charge_;
    charge_ = 0;
    data_bytes_ = 0;
  }
  std::string full(std::string_view key) const {
    std::string k = prefix_;
    k.append(key);
    return k;
  }
  state_store::impl* s_;
  std::string prefix_;
  rocks_table disk_;  // the same key range in RocksDB, indexed writes: what a spilled table reads
  std::map<std::string, std::string, std::less<>> map_;
  // The keys changed since the last flush, each with whether the store
  // holds it (as of the last commit).
  std::unordered_map<std::string, bool, string_hash, std::equal_to<>> dirty_;
  int64_t data_bytes_ = 0;  // keys and values in map_ (bytes(), as a memory table counts them)
  int64_t charge_ = 0;      // map_ and dirty_ with their overhead, in impl::table_bytes
  int scanning_ = 0;        // scans under way: the map must not go
  bool spilled_ = false;
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
  //
  // Index and filter are partitioned: a file's whole filter (1.2 MB per
  // million keys) does not stay in a small cache, and reading it again for
  // every point lookup (a spilled aggregate's get per row) cost more than
  // everything else together; partitions of 4 KiB are read as blocks are,
  // their top level pinned, and kept before data blocks (high priority).
  const size_t cache = std::max<size_t>(options.cache_bytes, 8 << 20);
  auto block_cache = rocksdb::NewLRUCache(cache, -1, false, 0.5);
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.block_cache = block_cache;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  t.partition_filters = true;
  t.metadata_block_size = 4096;
  t.pin_top_level_index_and_filter = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Half the cache for memtables: a memtable of a quarter of that, at most
  // three (one being written, two being flushed).
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(cache / 2, block_cache);
  o.write_buffer_size = std::clamp<size_t>(cache / 8, 2 << 20, 64 << 20);
  o.max_write_buffer_number = 3;
  o.min_write_buffer_number_to_merge = 1;
  // Compact L0 into L1 once 8 files wait, not 2: every L0 file spans the
  // sources' rows and the operators' keys, so it overlaps nearly all of
  // L1, and each L0->L1 compaction rewrites L1 whole. Waiting for more
  // files rewrites it a quarter as often (Nexmark q5 with --state: about
  // 10% less CPU); a point lookup checks up to 8 more filters, pinned in
  // memory (pin_l0_filter_and_index_blocks_in_cache).
  o.level0_file_num_compaction_trigger = 8;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(o, dir.string(), &raw);
  if (!st.ok())
    return make_error(errc::io_error, -1, "cannot open the SQL state store in {}: {}", dir.string(),
                      st.ToString());
  auto p = std::make_unique<impl>();
  p->db.reset(raw);
  const auto op = static_cast<int64_t>(std::min<size_t>(
      options.operator_cache_bytes, static_cast<size_t>(std::numeric_limits<int64_t>::max() / 2)));
  p->table_budget = op - op / 4;
  p->points = std::make_unique<point_cache>(op / 4);
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
