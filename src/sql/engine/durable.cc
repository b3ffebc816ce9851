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
//   'n' ++ id:u64 -> how many rows its contents hold: svarint
// and 'e' -> the last epoch of the exactly-once sinks, in decimal
// (sink_epochs.h): written in the same batch as the state of that epoch.
// The contents live in their table alone (no copy in memory): one-off
// queries, subscriptions and new views read them through the store's
// block cache, a bounded batch at a time (scan_contents), or by a seek
// when a query fixes the relation's key (point_lookup.h).
// All of it changes in the engine's one write batch, which commit()
// writes atomically: the state of every view and the offsets that
// produced it move together.
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "sql/catalog/catalog_log.h"
#include "sql/connector/kafka_source.h"
#include "sql/engine/engine.h"
#include "sql/engine/relation_state.h"
#include "sql/engine/sink_epochs.h"
#include "sql/exec/rows.h"
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
  // The contents are read from RocksDB (its block cache bounds what stays
  // in memory), with the epoch's own writes: through the batch's index,
  // or for an append-only relation, whose rows are only ever appended and
  // never looked up, from `appended` (indexing each row cost q0 70% more
  // CPU). Operators read their state on every row: held in memory,
  // written through (cached_table).
  r.stored =
      r.info.append_only ? store_->log_table(r.info.id << 16) : store_->table(r.info.id << 16);
  r.appended = row_batch(static_cast<uint32_t>(r.types.size()));
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

namespace {

// The key of a row of a relation that is neither append-only nor a keyed
// source: 'p' ++ its primary key ++ the row (a seek finds a key's rows),
// or 'k' ++ the row when it has none.
void row_entry_key(const engine::relation& r, const datum* row, std::string& key) {
  if (r.info.primary_key.empty()) {
    key.assign(1, 'k');
  } else {
    key.assign(1, 'p');
    append_cols_key(r.types, row, r.info.primary_key, key);
  }
  append_row_key(r.types, row, key);
}

// The count of a contents entry ('u': one row), and where its row starts.
bool entry_count(std::string_view key, std::string_view value, size_t& pos, int64_t& count) {
  pos = 0;
  count = 1;
  if (key.empty()) return false;
  if (key[0] == 'u') return true;
  if (key[0] != 'a' && key[0] != 'k' && key[0] != 'p') return false;
  return codec::read_svarint(value, pos, count);
}

// Rows per batch read from the store: large enough to amortize a seek,
// small enough that a batch (and what a view makes of it) stays small.
constexpr size_t scan_batch_rows = 4096;

}  // namespace

void engine::restore(relation& r) {
  // The contents stay in the store; what the engine keeps of them is the
  // next sequence number (after the last 'a' entry) and the row count.
  r.stored->scan_reverse("a", "b", [&](std::string_view key, std::string_view) {
    if (key.size() == 9) r.next_seq = codec::read_u64_be(key.data() + 1) + 1;
    return false;
  });
  // Format version 2 keyed the rows of a relation with a primary key by
  // the row alone ('k'); version 3 puts the key first ('p'), so that a
  // lookup by key is a seek. Moved once, at the first restart.
  if (!r.info.primary_key.empty()) {
    std::vector<std::pair<std::string, std::string>> moved;
    const uint32_t width = static_cast<uint32_t>(r.types.size());
    r.stored->scan_prefix("k", [&](std::string_view key, std::string_view value) {
      row_batch one(width);
      size_t pos = 0;
      int64_t count = 0;
      datum* d = one.add(1);
      if (!entry_count(key, value, pos, count) ||
          !decode_row(r.types, value, pos, d, one.strings()))
        return true;
      std::string to;
      row_entry_key(r, d, to);
      moved.emplace_back(std::move(to), std::string(value));
      return true;
    });
    if (!moved.empty()) {
      r.stored->delete_prefix("k");
      for (const auto& [k, v] : moved) r.stored->put(k, v);
    }
  }
  if (auto n = meta_->get(meta_key('n', r.info.id))) {
    size_t pos = 0;
    codec::read_svarint(*n, pos, r.stored_rows);
  } else {
    // Written before version 3: counted once.
    int64_t rows = 0;
    r.stored->scan("", "", [&](std::string_view key, std::string_view value) {
      size_t pos = 0;
      int64_t count = 0;
      if (entry_count(key, value, pos, count)) rows += count;
      return true;
    });
    r.stored_rows = rows;
  }
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

void engine::add_contents(relation& r, const row_batch& changes) {
  if (r.stored)
    store_contents(r, changes);
  else
    r.add(changes);
}

int64_t engine::row_count(const relation& r) const {
  if (r.stored) return r.stored_rows;
  int64_t rows = 0;
  for (size_t i = 0; i < r.contents.size(); ++i) rows += r.contents.weight(i);
  return rows;
}

void engine::scan_contents(relation& r, const std::function<bool(const row_batch&)>& fn,
                           const std::vector<datum>* lookup) {
  if (!r.stored) {
    if (!r.contents.empty()) fn(r.contents);
    return;
  }
  // A seek: the rows of one key, where the layout is by key ('p', or a
  // source keyed by its primary key's columns: 'u').
  std::string from, to;
  if (lookup && !r.info.primary_key.empty() && !r.info.append_only) {
    if (!r.upsert) {
      from.assign(1, r.source && r.source->keyed() ? 'u' : 'p');
      append_cols_key(r.types, lookup->data(), r.info.primary_key, from);
      to = prefix_end(from);
    }
  }
  // One iterator per batch, started after the last key of the one before:
  // `fn` may write to the store (a new view's output) between batches.
  const uint32_t width = static_cast<uint32_t>(r.types.size());
  size_t bad = 0;
  for (;;) {
    row_batch rows(width);
    std::string last;
    size_t seen = 0;
    r.stored->scan(from, to, [&](std::string_view key, std::string_view value) {
      ++seen;
      last.assign(key);
      size_t pos = 0;
      int64_t count = 0;
      if (!entry_count(key, value, pos, count)) return ++bad, seen < scan_batch_rows;
      datum* d = rows.add(count);
      if (!decode_row(r.types, value, pos, d, rows.strings())) {
        rows.pop_back();
        ++bad;
      }
      return seen < scan_batch_rows;
    });
    stored_rows_read_ += rows.size();
    if (!rows.empty() && !fn(rows)) return;
    if (seen < scan_batch_rows) break;
    from = last;
    from.push_back('\0');  // the next key after `last`
  }
  // The epoch's appended rows, after the store's (a commit between two
  // batches moved them there: then this is empty).
  if (!r.appended.empty()) {
    stored_rows_read_ += r.appended.size();
    fn(r.appended);
  }
  if (bad)
    spdlog::error("sql state: {} undecodable entries in the contents of \"{}\" skipped", bad,
                  r.info.name);
}

void engine::store_contents(relation& r, const row_batch& changes) {
  if (!r.stored || changes.empty()) return;
  if (r.source && r.source->keyed()) return;  // take_keyed() keeps its rows by key
  std::string key, value;
  int64_t delta = 0;
  if (r.info.append_only) {
    // An append-only relation (a source, most views over one): each row
    // under a sequence number, written without reading (a delete, which
    // such a relation should not see, is a row with a negative count:
    // readers sum them).
    for (size_t i = 0; i < changes.size(); ++i) {
      if (changes.weight(i) == 0) continue;
      key.assign(1, 'a');
      codec::append_u64_be(r.next_seq++, key);
      value.clear();
      codec::append_svarint(changes.weight(i), value);
      encode_row(r.types, changes.row(i), value);
      r.stored->put(key, value);
      r.appended.add(changes.row(i), changes.weight(i));
      delta += changes.weight(i);
    }
    r.appended.keep_alive(changes);
  } else {
    // Otherwise each distinct row under its key, with its count.
    for (size_t i = 0; i < changes.size(); ++i) {
      if (changes.weight(i) == 0) continue;
      row_entry_key(r, changes.row(i), key);
      int64_t count = 0;
      if (auto old = r.stored->get(key)) {
        size_t pos = 0;
        codec::read_svarint(*old, pos, count);
      }
      count += changes.weight(i);
      delta += changes.weight(i);
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
  if (delta == 0) return;
  r.stored_rows += delta;
  value.clear();
  codec::append_svarint(r.stored_rows, value);
  meta_->put(meta_key('n', r.info.id), value);
}

row_batch engine::take_keyed(relation& r, const source_progress& progress) {
  row_batch changes(static_cast<uint32_t>(r.types.size()));
  std::string key;
  int64_t delta = 0;
  // In record order: a key's row is retracted before the one replacing it
  // is added, and a key twice in the batch reads its first row back from
  // the epoch's writes.
  for (const auto& [k, row] : progress.keys) {
    key.assign(1, 'u');
    key.append(k);
    if (auto old = r.stored->get(key)) {
      size_t pos = 0;
      datum* d = changes.add(-1);
      if (decode_row(r.types, *old, pos, d, changes.strings()))
        --delta;
      else
        changes.pop_back();
    }
    if (!row) {
      r.stored->del(key);
      continue;
    }
    size_t pos = 0;
    datum* d = changes.add(1);
    if (!decode_row(r.types, *row, pos, d, changes.strings())) {
      changes.pop_back();
      r.stored->del(key);
      continue;
    }
    ++delta;
    r.stored->put(key, *row);
  }
  if (delta != 0) {
    r.stored_rows += delta;
    std::string value;
    codec::append_svarint(r.stored_rows, value);
    meta_->put(meta_key('n', r.info.id), value);
  }
  return changes;
}

void engine::store_source(relation& r, const source_progress& progress) {
  if (!store_ || progress.next_offsets.empty()) return;
  for (const auto& [p, o] : progress.next_offsets) r.offsets[p] = o;
  std::string v;
  codec::append_varint(r.offsets.size(), v);
  for (const auto& [p, o] : r.offsets) {
    codec::append_svarint(p, v);
    codec::append_svarint(o, v);
  }
  meta_->put(meta_key('o', r.info.id), v);
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
  for (char k : {'r', 'o', 'w', 'l', 'n'}) meta_->del(meta_key(k, id));
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
  if (epochs_failed_)
    return make_error(errc::io_error, -1,
                      "exactly-once sinks: a transaction failed; this process commits nothing "
                      "more (restart it)");
  last_commit_ = std::chrono::steady_clock::now();
  // Every sink's records are acknowledged before the state that says they
  // were written is committed: a kill -9 right after the commit would
  // otherwise lose the ones still queued in the producer, which the
  // resumed view does not make again. Until they are, the batch waits
  // (it stays pending and goes with the next commit).
  for (auto& rel : relations_) {
    if (!rel->out || rel->out->exactly_once()) continue;
    if (auto f = rel->out->flush(std::chrono::seconds(5)); !f) {
      spdlog::error("sql state: commit postponed: sink \"{}\": {}", rel->info.name,
                    f.error().message);
      return f.error();
    }
  }
  // Exactly-once sinks: (1) the epoch's marker and the sinks' records
  // committed in one transaction, (2) the state with the same epoch. A kill
  // between the two leaves the marker one epoch ahead, which the restart
  // replays (recover_sink_epochs). During that replay nothing is committed
  // downstream: the state catches up with what already was.
  if (epochs_ && !muted_) {
    epoch_marker m;
    m.epoch = epoch_ + 1;
    for (const auto& rel : relations_)
      if (rel->source) m.sources[rel->info.id] = rel->offsets;
    if (auto c = epochs_->commit(m); !c) {
      fatal(c.error().message);
      return c.error();
    }
    epoch_ = m.epoch;
    meta_->put("e", std::to_string(epoch_));
    if (++transactions_ == options_.test_exit_between_phases) {
      spdlog::warn("exactly-once sinks: exiting between the phases of epoch {} (a test)", epoch_);
      spdlog::default_logger()->flush();
      std::_Exit(9);
    }
  }
  auto r = store_->commit();
  if (!r) {
    spdlog::error("sql state: commit failed: {}", r.error().message);
    // The marker of this epoch is committed and its state is not: only a
    // restart's replay puts them together again.
    if (epochs_ && !muted_)
      fatal("the state of epoch " + std::to_string(epoch_) +
            " was not committed: " + r.error().message);
    return r;
  }
  // What the epoch appended is now in the store.
  for (auto& rel : relations_)
    if (!rel->appended.empty()) rel->appended = row_batch(rel->appended.width());
  return r;
}

result<void> engine::start_sink_epochs() {
  if (epochs_) return outcome::success();
  client::client_config cluster;
  cluster.brokers = options_.brokers;
  cluster.client_id = "runnel-sql";
  BOOST_OUTCOME_TRY(epochs_, sink_epochs::start(cluster, options_.catalog_topic));
  return outcome::success();
}

result<void> engine::recover_sink_epochs() {
  if (!store_ || options_.catalog_topic.empty()) return outcome::success();
  if (auto e = meta_->get("e")) epoch_ = std::strtoull(e->c_str(), nullptr, 10);
  client::client_config cluster;
  cluster.brokers = options_.brokers;
  cluster.client_id = "runnel-sql";
  BOOST_OUTCOME_TRY(bool used, sink_epochs::used_before(cluster, options_.catalog_topic));
  if (!used) return outcome::success();
  auto check = [&](const std::optional<epoch_marker>& m) -> result<void> {
    if (!m || m->epoch <= epoch_ + 1) return outcome::success();
    return make_error(errc::invalid_parameter, -1,
                      "exactly-once sinks: the last transaction committed for catalog \"{}\" is "
                      "epoch {}, and the state in {} is at epoch {}: this state is not the one "
                      "those transactions came from (another process, or a state directory "
                      "that was replaced). Resuming would write the sinks' output again; delete "
                      "the topic {} to accept that",
                      options_.catalog_topic, m->epoch, options_.state_dir.string(), epoch_,
                      sink_epochs::marker_topic(options_.catalog_topic));
  };
  // Checked before fencing whoever holds the transactional id now (a
  // process with another state must not stop a running one), and again
  // after: only then is the marker final.
  BOOST_OUTCOME_TRY(auto before, sink_epochs::read(cluster, options_.catalog_topic));
  BOOST_OUTCOME_TRY(check(before));
  BOOST_OUTCOME_TRY(start_sink_epochs());
  BOOST_OUTCOME_TRY(auto marker, sink_epochs::read(cluster, options_.catalog_topic));
  BOOST_OUTCOME_TRY(check(marker));
  if (!marker) {
    if (epoch_ > 0)
      spdlog::warn("exactly-once sinks: no epoch marker in {} (the state is at epoch {}): going on",
                   sink_epochs::marker_topic(options_.catalog_topic), epoch_);
    return outcome::success();
  }
  if (marker->epoch < epoch_) {
    spdlog::warn("exactly-once sinks: the epoch marker ({}) is behind the state ({}): going on",
                 marker->epoch, epoch_);
    return outcome::success();
  }
  if (marker->epoch == epoch_) return outcome::success();
  // Killed between the transaction's commit and the state's: the sinks'
  // output of that epoch is committed, its state is not. The sources read
  // again from the state's offsets up to exactly the marker's, with the
  // exactly-once sinks muted.
  spdlog::warn("exactly-once sinks: the state lost epoch {}: replaying it with the sinks muted",
               marker->epoch);
  replay_to_ = marker->sources;
  replay_epoch_ = marker->epoch;
  muted_ = true;
  return outcome::success();
}

void engine::replay_reached(uint64_t id) {
  if (!replay_pending_.erase(id) || !replay_pending_.empty()) return;
  finish_replay();
}

void engine::finish_replay() {
  if (!replay_to_) return;
  epoch_ = replay_epoch_;
  meta_->put("e", std::to_string(epoch_));
  if (auto c = commit(); !c) fatal("the replayed epoch was not committed: " + c.error().message);
  replay_to_.reset();
  replay_pending_.clear();
  muted_ = false;
  for (auto& rel : relations_)
    if (rel->source) rel->source->release();
  spdlog::info("exactly-once sinks: epoch {} replayed; the sinks go on", epoch_);
  replay_done_.notify_all();
}

void engine::fatal(const std::string& why) {
  if (epochs_failed_) return;
  epochs_failed_ = true;
  if (options_.on_fatal) return options_.on_fatal(why);
  spdlog::critical(
      "exactly-once sinks: {}; stopping the process (a restart resumes from the last "
      "committed epoch)",
      why);
  spdlog::default_logger()->flush();
  std::_Exit(3);
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
