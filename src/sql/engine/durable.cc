// Durable state (engine_options::state_dir; src/sql/README.md "Durable
// state", docs/format/sql-state.md): what the engine writes to the state
// store besides its operators' own tables, and how it reads it back.
//
// Every relation owns the table ids [id << 16, (id + 1) << 16): its
// contents are table id << 16, and its dataflow's operators take
// id << 16 | 1, 2, ... in the order they are built (env.new_table), which
// is the same for the same definition, so that a restarted view finds each
// operator's state where it left it. Table 0 holds, per relation:
//   'r' ++ id:u64 -> its definition (it has committed state)
//   'o' ++ id:u64 -> a source's next offsets: n:varint (partition:svarint offset:svarint)*
//   'w' ++ id:u64 -> a source's watermarks: n:varint value:svarint*
// All of it changes in the engine's one write batch, which commit() writes
// atomically: the state of every view and the offsets that produced it
// move together.
#include <spdlog/spdlog.h>

#include "sql/catalog/catalog_log.h"
#include "sql/connector/kafka_source.h"
#include "sql/engine/engine.h"
#include "sql/engine/relation_state.h"
#include "sql/state/state_store.h"
#include "sql/types/codec.h"

namespace runnel::sql {

namespace {

std::string meta_key(char kind, uint64_t id) {
  std::string k(1, kind);
  codec::append_u64_be(id, k);
  return k;
}

}  // namespace

void engine::attach_state(relation& r) {
  if (!store_) return;
  // Operators read their state on every row: held in memory, written
  // through. An append-only relation's contents are only ever appended
  // (the engine holds them in memory anyway): logged, never read back
  // before a restart.
  r.stored = r.info.append_only ? store_->log_table(r.info.id << 16)
                                : store_->cached_table(r.info.id << 16);
  relation* rp = &r;
  r.env.new_table = [this, rp] {
    return store_->cached_table(rp->info.id << 16 | rp->next_table++);
  };
}

bool engine::has_state(const relation& r) {
  if (!store_) return false;
  auto v = meta_->get(meta_key('r', r.info.id));
  return v && *v == r.info.definition;
}

void engine::mark_stored(relation& r) {
  if (store_) meta_->put(meta_key('r', r.info.id), r.info.definition);
}

void engine::restore(relation& r) {
  const uint32_t width = static_cast<uint32_t>(r.types.size());
  row_batch rows(width);
  bool negative = false;
  size_t bad = 0;
  r.stored->scan("", "", [&](std::string_view key, std::string_view value) {
    if (key.empty()) return ++bad, true;
    size_t pos = 0;
    int64_t count = 1;
    if (key[0] == 'a' || key[0] == 'k') {
      if (!codec::read_svarint(value, pos, count)) return ++bad, true;
      if (key[0] == 'a' && key.size() == 9)
        r.next_seq = std::max(r.next_seq, codec::read_u64_be(key.data() + 1) + 1);
    } else if (key[0] == 'u') {
      r.current_rows.emplace_back(std::string(key.substr(1)), std::string(value));
    } else {
      return ++bad, true;
    }
    datum* d = rows.add(count);
    if (!decode_row(r.types, value, pos, d, rows.strings())) {
      rows.pop_back();
      return ++bad, true;
    }
    negative = negative || count < 0;
    return true;
  });
  if (bad)
    spdlog::error("sql state: {} undecodable entries in the contents of \"{}\" skipped", bad,
                  r.info.name);
  if (negative) consolidate(rows, r.types);
  r.set_contents(std::move(rows));
  if (auto o = meta_->get(meta_key('o', r.info.id))) {
    size_t pos = 0;
    uint64_t n = 0;
    codec::read_varint(*o, pos, n);
    for (uint64_t i = 0; i < n; ++i) {
      int64_t p = 0, off = 0;
      if (!codec::read_svarint(*o, pos, p) || !codec::read_svarint(*o, pos, off)) break;
      r.offsets[static_cast<int32_t>(p)] = off;
    }
  }
  if (auto w = meta_->get(meta_key('w', r.info.id))) {
    size_t pos = 0;
    uint64_t n = 0;
    codec::read_varint(*w, pos, n);
    for (uint64_t i = 0; i < n && i < r.watermarks.size(); ++i)
      if (!codec::read_svarint(*w, pos, r.watermarks[i].value)) break;
  }
  r.restored = true;
}

void engine::store_contents(relation& r, const row_batch& changes) {
  if (!r.stored || changes.empty()) return;
  if (r.source && r.source->keyed()) return;  // store_source() keeps its rows by key
  std::string key, value;
  if (r.info.append_only) {
    // An append-only relation (a source, most views over one): each row
    // under a sequence number, written without reading (a delete, which
    // such a relation should not see, is a row with a negative count:
    // restore() sums them).
    for (size_t i = 0; i < changes.size(); ++i) {
      if (changes.weight(i) == 0) continue;
      key.assign(1, 'a');
      codec::append_u64_be(r.next_seq++, key);
      value.clear();
      codec::append_svarint(changes.weight(i), value);
      encode_row(r.types, changes.row(i), value);
      r.stored->put(key, value);
    }
    return;
  }
  // Otherwise each distinct row under its key, with its count.
  for (size_t i = 0; i < changes.size(); ++i) {
    if (changes.weight(i) == 0) continue;
    key.assign(1, 'k');
    append_row_key(r.types, changes.row(i), key);
    int64_t count = 0;
    if (auto old = r.stored->get(key)) {
      size_t pos = 0;
      codec::read_svarint(*old, pos, count);
    }
    count += changes.weight(i);
    if (count == 0) {
      r.stored->del(key);
      continue;
    }
    value.clear();
    codec::append_svarint(count, value);
    encode_row(r.types, changes.row(i), value);
    r.stored->put(key, value);
  }
}

void engine::store_source(relation& r, const source_progress& progress) {
  if (!store_) return;
  if (!progress.next_offsets.empty()) {
    for (const auto& [p, o] : progress.next_offsets) r.offsets[p] = o;
    std::string v;
    codec::append_varint(r.offsets.size(), v);
    for (const auto& [p, o] : r.offsets) {
      codec::append_svarint(p, v);
      codec::append_svarint(o, v);
    }
    meta_->put(meta_key('o', r.info.id), v);
  }
  std::string key;
  for (const auto& [k, row] : progress.keys) {
    key.assign(1, 'u');
    key.append(k);
    if (row)
      r.stored->put(key, *row);
    else
      r.stored->del(key);
  }
}

void engine::store_watermarks(relation& r) {
  if (!store_ || r.watermarks.empty()) return;
  std::string v;
  codec::append_varint(r.watermarks.size(), v);
  for (const auto& w : r.watermarks) codec::append_svarint(w.value, v);
  meta_->put(meta_key('w', r.info.id), v);
}

void engine::forget_state(uint64_t id) {
  if (!store_) return;
  store_->drop_tables(id << 16, (id + 1) << 16);
  for (char k : {'r', 'o', 'w', 'l'}) meta_->del(meta_key(k, id));
}

void engine::upgrade_state(state_table& meta) {
  std::vector<uint64_t> ids;
  meta.scan_prefix("r", [&](std::string_view key, std::string_view) {
    if (key.size() == 9) ids.push_back(codec::read_u64_be(key.data() + 1));
    return true;
  });
  for (uint64_t id : ids) meta.put(meta_key('l', id), "1");
}

namespace {

bool leaves_columns_out(const plan_node& n) {
  if (n.kind == plan_kind::join && !n.unread.empty()) return true;
  for (const auto& in : n.inputs)
    if (leaves_columns_out(*in)) return true;
  return false;
}

}  // namespace

bool engine::stale_join_state(const relation& r, const plan_node& plan) {
  return store_ && meta_->get(meta_key('l', r.info.id)) && leaves_columns_out(plan);
}

void engine::collect_garbage(const std::vector<catalog_entry>& entries) {
  if (!store_) return;
  std::vector<uint64_t> ids;
  meta_->scan_prefix("r", [&](std::string_view key, std::string_view) {
    if (key.size() == 9) ids.push_back(codec::read_u64_be(key.data() + 1));
    return true;
  });
  for (uint64_t id : ids) {
    auto def = meta_->get(meta_key('r', id));
    bool live = false;
    for (const auto& e : entries) live = live || (e.id == id && def && *def == e.sql);
    if (!live) forget_state(id);
  }
}

result<void> engine::commit() {
  if (!store_) return outcome::success();
  last_commit_ = std::chrono::steady_clock::now();
  // Every sink's records are acknowledged before the state that says they
  // were written is committed: a kill -9 right after the commit would
  // otherwise lose the ones still queued in the producer, which the
  // resumed view does not make again. Until they are, the batch waits
  // (it stays pending and goes with the next commit).
  for (auto& rel : relations_) {
    if (!rel->out) continue;
    if (auto f = rel->out->flush(std::chrono::seconds(5)); !f) {
      spdlog::error("sql state: commit postponed: sink \"{}\": {}", rel->info.name,
                    f.error().message);
      return f.error();
    }
  }
  auto r = store_->commit();
  if (!r) spdlog::error("sql state: commit failed: {}", r.error().message);
  return r;
}

void engine::commit_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    commit_wake_.wait_for(lock, options_.commit_interval);
    if (stopping_) break;
    if (std::chrono::steady_clock::now() - last_commit_ >= options_.commit_interval &&
        store_->dirty())
      (void)commit();
  }
}

}  // namespace runnel::sql
