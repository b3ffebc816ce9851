#include "connect/postgres/cdc_source_task.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <regex>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "connect/postgres/catalog.h"
#include "connect/postgres/cdc_offset.h"
#include "connect/postgres/change_events.h"
#include "connect/postgres/connector_config.h"
#include "connect/postgres/incremental_snapshot.h"
#include "connect/postgres/replication.h"
#include "connect/postgres/snapshot_reader.h"
#include "connect/postgres/sql_connection.h"
#include "connect/postgres/xid_snapshot.h"
#include "observe/registry.h"

namespace runnel::connect::postgres {

namespace {

using steady = std::chrono::steady_clock;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Debezium's heartbeat record shapes.
schema_ptr heartbeat_key_schema() {
  static const schema_ptr s = struct_builder("io.debezium.connector.common.ServerNameKey")
                                  .field("serverName", schemas::string())
                                  .build();
  return s;
}
schema_ptr heartbeat_value_schema() {
  static const schema_ptr s = struct_builder("io.debezium.connector.common.Heartbeat")
                                  .field("ts_ms", schemas::int64())
                                  .build();
  return s;
}

// The slot's lag as this task sees it: WAL the server has decoded and sent
// past what the task has confirmed (what a restart would read again, and
// what the server cannot yet recycle on this slot's account).
observe::family<observe::gauge>& slot_lag_family() {
  static auto& f = observe::metrics().gauge_family(
      "runnel_connect_postgres_slot_lag_bytes",
      "WAL bytes the server has sent past the position the CDC task confirmed", {"slot"});
  return f;
}

class cdc_source_task final : public source_task {
 public:
  result<void> start(const config_map& props, source_task_context& ctx) override {
    CONNECT_TRY(cfg_, connector_config::parse(props));
    offsets_ = &ctx.offsets();
    CONNECT_TRY(filter_, table_filter::make(cfg_.table_include, cfg_.table_exclude));
    partition_ = data{{"server", cfg_.topic_prefix}};
    CONNECT_TRY(auto sql, sql_connection::open(cfg_.conninfo()));
    sql_ = std::make_unique<sql_connection>(std::move(sql));
    CONNECT_TRY(auto repl, replication_connection::open(cfg_.conninfo()));
    repl_ = std::make_unique<replication_connection>(std::move(repl));
    repl_->status_interval = cfg_.status_update_interval;
    events_ = std::make_unique<change_events>(
        event_options{.topic_prefix = cfg_.topic_prefix,
                      .database = cfg_.dbname,
                      .tombstones_on_delete = cfg_.tombstones_on_delete,
                      .skipped_operations = cfg_.skipped_operations},
        [this](const relation& r) -> result<std::optional<table_catalog>> {
          CONNECT_TRY(auto c, read_table_catalog(*sql_, r.oid));
          return std::optional<table_catalog>(std::move(c));
        });

    std::optional<cdc_offset> stored;
    if (auto o = ctx.offsets().offset(partition_)) {
      stored = cdc_offset::from_json(*o);
      std::string warning;
      inc_ = incremental_progress::from_offset(*o, warning);
      if (!warning.empty()) {
        spdlog::warn("{}", warning);
      }
    }
    CONNECT_TRY(find_signal_table());
    CONNECT_TRY(ensure_publication());
    CONNECT_TRY(check_signal_table_published());
    if (inc_.running()) {
      if (signal_oid_ == 0) {
        spdlog::warn(
            "postgres: the stored offset has an incremental snapshot of {} in progress, but "
            "signal.data.collection is not set: it is dropped",
            inc_.collections[0].id);
        inc_ = {};
      } else {
        spdlog::info("postgres: resuming the incremental snapshot of {} ({} tables left)",
                     inc_.collections[0].id, inc_.collections.size());
        inc_kick_ = true;
      }
    }
    CONNECT_TRY(auto slot, repl_->slot_confirmed_flush(cfg_.slot_name));
    lag_ = slot_lag_family().scoped_with({cfg_.slot_name});

    bool snapshot =
        cfg_.snapshot == snapshot_mode::always || ((cfg_.snapshot == snapshot_mode::initial ||
                                                    cfg_.snapshot == snapshot_mode::initial_only) &&
                                                   (!stored || stored->snapshot));
    if (snapshot) {
      if (slot) {
        // A snapshot consistent with the stream needs the snapshot the slot
        // exports when it is created: start the slot over.
        spdlog::warn(
            "postgres: dropping replication slot {} to take a consistent snapshot "
            "(snapshot.mode={}, {})",
            cfg_.slot_name, props.count("snapshot.mode") ? props.at("snapshot.mode") : "",
            stored ? "the last snapshot did not finish" : "no stored offset");
        CONNECT_TRY(drop_slot());
      }
      CONNECT_TRY(auto info, repl_->create_slot(cfg_.slot_name, false, true));
      // Import the exported snapshot before anything else runs on the
      // replication connection (that would end the snapshot).
      CONNECT_TRY(auto reader, snapshot_reader::begin(*sql_, info.snapshot_name, filter_,
                                                      cfg_.snapshot_fetch_size));
      snapshot_ = std::make_unique<snapshot_reader>(std::move(reader));
      snapshot_lsn_ = info.consistent_point;
      for (const auto& rel : snapshot_->tables()) {
        CONNECT_TRY(events_->on_relation(rel));
      }
      log_warnings();
      spdlog::info("postgres: snapshot of {} tables at {} (slot {})", snapshot_->tables().size(),
                   snapshot_lsn_.to_string(), cfg_.slot_name);
      return ok();
    }
    if (!slot) {
      CONNECT_TRY(auto info, repl_->create_slot(cfg_.slot_name, false, false));
      if (stored) {
        spdlog::warn(
            "postgres: replication slot {} was missing and is created at {}: changes "
            "between the stored offset {} and then were not captured",
            cfg_.slot_name, info.consistent_point.to_string(), stored->change_lsn.to_string());
      }
      slot = info.consistent_point;
    }
    resume_ = stored;
    reported_ = *slot;
    return start_streaming();
  }

  result<std::vector<source_record>> poll(std::chrono::milliseconds timeout) override {
    woken_.store(false);
    if (snapshot_) {
      return poll_snapshot();
    }
    if (!streaming_) {
      // initial_only after its snapshot: nothing more to do.
      std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(100)));
      return std::vector<source_record>{};
    }
    return poll_stream(timeout);
  }

  void wakeup() override { woken_.store(true); }

  void commit() override {
    // Offsets were stored: PostgreSQL may now release the WAL up to the
    // stored offset's flush_lsn — the stored one, read back, and not the
    // furthest one acknowledged through commit_record: the runtime
    // acknowledges an offset-only record (a transaction's end) as soon as
    // it is returned, while the records before it may still be on their way
    // to the broker, and it stores offsets only up to those. Confirming the
    // acknowledged one would let a kill -9 lose them: the restart resumes at
    // the stored offset, but the slot no longer sends what lies before the
    // confirmed position. (Debezium reads the committed offset back in
    // commit() for the same reason.) The runtime commits once more after
    // stop() (its final offset flush, as Kafka's WorkerSourceTask does): the
    // replication connection is gone then, and the position is reported by
    // the next start instead.
    if (!repl_ || !streaming_ || !offsets_) {
      return;
    }
    auto stored = offsets_->offset(partition_);
    if (!stored) {
      return;
    }
    auto it = stored->find("flush_lsn");
    if (it == stored->end() || !it->is_number_integer()) {
      return;  // inside a transaction: the last whole one was reported
    }
    lsn flush{static_cast<std::uint64_t>(it->get<std::int64_t>())};
    if (flush <= reported_) {
      return;
    }
    if (auto r = repl_->send_status(flush, flush); !r) {
      spdlog::warn(
          "postgres: reporting position {} to the server failed (reported again "
          "later): {}",
          flush.to_string(), r.error().message);
      return;
    }
    reported_ = flush;
  }

  void stop() override {
    repl_.reset();
    if (cfg_.slot_drop_on_stop && sql_) {
      if (auto r = sql_->query("SELECT pg_drop_replication_slot($1)", {cfg_.slot_name}); !r) {
        spdlog::warn("postgres: dropping slot {} on stop: {}", cfg_.slot_name, r.error().message);
      }
    }
    sql_.reset();
  }

 private:
  struct transaction {
    std::int64_t xid = 0;
    lsn commit_lsn;
    std::int64_t ts_us = 0;
    std::int64_t seen = 0;  // change messages so far
    std::int64_t skip = 0;  // already delivered before a restart (-1: all)
  };

  // Drops the slot, waiting (bounded) for a previous run's server process
  // to let go of it: after a kill -9 the server notices the closed
  // connection soon, but not at once.
  result<void> drop_slot() {
    auto deadline = steady::now() + std::chrono::seconds(30);
    for (;;) {
      auto r = sql_->query("SELECT pg_drop_replication_slot($1)", {cfg_.slot_name});
      if (r || r.error().message.find("is active") == std::string::npos ||
          steady::now() >= deadline) {
        if (!r) {
          return r.error();
        }
        return ok();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  result<void> ensure_publication() {
    CONNECT_TRY(auto rows, sql_->query("SELECT puballtables FROM pg_publication WHERE pubname = $1",
                                       {cfg_.publication_name}));
    bool exists = !rows.empty();
    if (cfg_.autocreate == publication_autocreate::disabled) {
      if (!exists) {
        return make_error(errc::invalid_config,
                          "postgres: publication " + cfg_.publication_name +
                              " does not exist and publication.autocreate.mode is disabled");
      }
      return ok();
    }
    if (cfg_.autocreate == publication_autocreate::all_tables) {
      if (!exists) {
        CONNECT_TRY(sql_->query("CREATE PUBLICATION " + quote_identifier(cfg_.publication_name) +
                                " FOR ALL TABLES"));
        spdlog::info("postgres: created publication {} FOR ALL TABLES", cfg_.publication_name);
      }
      return ok();
    }
    CONNECT_TRY(auto tables, list_tables(*sql_));
    std::string list;
    for (const auto& t : tables) {
      if (filter_.admits(t.schema, t.name)) {
        list += (list.empty() ? "" : ", ") + quote_identifier(t.schema) + "." +
                quote_identifier(t.name);
      }
    }
    if (signal_oid_ != 0 && !filter_.admits(cfg_.signal_schema, cfg_.signal_table)) {
      list += (list.empty() ? "" : ", ") + quote_identifier(cfg_.signal_schema) + "." +
              quote_identifier(cfg_.signal_table);
    }
    if (list.empty()) {
      return make_error(errc::invalid_config,
                        "postgres: no table matches table.include.list/table.exclude.list, so "
                        "the filtered publication " +
                            cfg_.publication_name + " would be empty");
    }
    auto name = quote_identifier(cfg_.publication_name);
    CONNECT_TRY(sql_->query(exists ? "ALTER PUBLICATION " + name + " SET TABLE " + list
                                   : "CREATE PUBLICATION " + name + " FOR TABLE " + list));
    return ok();
  }

  result<void> start_streaming() {
    CONNECT_TRY(repl_->start(cfg_.slot_name, lsn{}, {cfg_.publication_name}, false));
    streaming_ = true;
    position_ = reported_;
    last_idle_ = steady::now();
    last_lag_log_ = steady::now();
    spdlog::info("postgres: streaming slot {} from {}", cfg_.slot_name, reported_.to_string());
    return ok();
  }

  void log_warnings() {
    for (const auto& w : events_->take_warnings()) {
      spdlog::warn("{}", w);
    }
  }

  result<std::vector<source_record>> poll_snapshot() {
    std::vector<source_record> out;
    CONNECT_TRY(auto chunk, snapshot_->next());
    if (!chunk) {
      // Every table read: the snapshot is complete; stream from its point.
      cdc_offset done{.commit_lsn = snapshot_lsn_,
                      .change_lsn = snapshot_lsn_,
                      .ts_usec = now_us(),
                      .flush_lsn = snapshot_lsn_};
      done.incremental = inc_;  // an incremental snapshot resumed after it
      source_record r;
      r.source_partition = partition_;
      r.source_offset = done.to_json();
      out.push_back(std::move(r));  // offset-only
      snapshot_.reset();
      reported_ = snapshot_lsn_;
      spdlog::info("postgres: snapshot complete ({} rows)", snapshot_rows_);
      if (cfg_.snapshot == snapshot_mode::initial_only) {
        return out;
      }
      CONNECT_TRY(start_streaming());
      return out;
    }
    const auto& tables = snapshot_->tables();
    const auto& rel = tables[chunk->table];
    bool last_table = chunk->table + 1 == tables.size();
    for (std::size_t i = 0; i < chunk->rows.size(); ++i) {
      bool first_row = chunk->first_of_table && i == 0;
      bool last_row = chunk->last_of_table && i + 1 == chunk->rows.size();
      // Debezium's markers; where a row is both (the only row of a
      // table), "last" wins, as in Debezium.
      auto marker = snapshot_marker::yes;
      if (last_row && last_table) {
        marker = snapshot_marker::last;
      } else if (last_row) {
        marker = snapshot_marker::last_in_data_collection;
      } else if (first_row && snapshot_rows_ == 0) {
        marker = snapshot_marker::first;
      } else if (first_row) {
        marker = snapshot_marker::first_in_data_collection;
      }
      auto ts = now_us();
      change_position p{.tx_id = snapshot_->xmin(),
                        .change_lsn = snapshot_lsn_,
                        .last_commit_lsn = std::nullopt,
                        .ts_us = ts,
                        .snapshot = marker};
      CONNECT_TRY(auto recs, events_->on_read(rel.oid, chunk->rows[i], p));
      cdc_offset o{.commit_lsn = snapshot_lsn_,
                   .change_lsn = snapshot_lsn_,
                   .tx_id = snapshot_->xmin(),
                   .ts_usec = ts,
                   .snapshot = true};
      for (auto& r : recs) {
        r.source_offset = o.to_json();
        out.push_back(std::move(r));
      }
      ++snapshot_rows_;
    }
    return out;
  }

  result<std::vector<source_record>> poll_stream(std::chrono::milliseconds timeout) {
    std::vector<source_record> out;
    if (inc_kick_) {
      // Resuming a stored incremental snapshot: its next chunk.
      inc_kick_ = false;
      if (!window_ && !inc_paused_) {
        CONNECT_TRY(next_chunk());
      }
    }
    auto deadline = steady::now() + timeout;
    while (static_cast<std::int64_t>(out.size()) < cfg_.max_batch_size && !woken_.load()) {
      auto now = steady::now();
      auto wait =
          out.empty() && now < deadline
              ? std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                         std::chrono::milliseconds(200))
              : std::chrono::milliseconds(0);
      CONNECT_TRY(auto x, repl_->next(wait));
      if (!x) {
        idle(out);
        if (!out.empty() || steady::now() >= deadline) {
          break;
        }
        continue;
      }
      CONNECT_TRY(auto m, decode(x->payload));
      CONNECT_TRY(handle(m, *x, out));
    }
    log_lag();
    return out;
  }

  // Between transactions with nothing else to send: an offset-only (or
  // heartbeat) record moves the position to the server's, so the slot
  // releases WAL even when no captured table changes.
  void idle(std::vector<source_record>& out) {
    if (tx_) {
      return;
    }
    auto now = steady::now();
    bool heartbeat = cfg_.heartbeat_interval.count() > 0;
    auto interval = heartbeat ? cfg_.heartbeat_interval : cfg_.status_update_interval;
    if (now - last_idle_ < interval) {
      return;
    }
    auto wal = repl_->server_wal_end();
    if (!heartbeat && wal <= position_) {
      return;
    }
    last_idle_ = now;
    position_ = std::max(position_, wal);
    cdc_offset o{.commit_lsn = position_,
                 .change_lsn = position_,
                 .tx_id = last_xid_,
                 .ts_usec = now_us(),
                 .flush_lsn = position_};
    o.incremental = inc_;
    source_record r;
    r.source_partition = partition_;
    r.source_offset = o.to_json();
    if (heartbeat) {
      r.topic = cfg_.heartbeat_topic();
      r.key_schema = heartbeat_key_schema();
      r.key = data{{"serverName", cfg_.topic_prefix}};
      r.value_schema = heartbeat_value_schema();
      r.value = data{{"ts_ms", now_us() / 1000}};
    }
    out.push_back(std::move(r));
  }

  result<void> handle(const message& m, const xlog_data& x, std::vector<source_record>& out) {
    if (const auto* b = std::get_if<begin_msg>(&m)) {
      tx_ = transaction{.xid = b->xid,
                        .commit_lsn = b->final_lsn,
                        .ts_us = b->commit_time.unix_micros(),
                        .seen = 0,
                        .skip = resume_ ? resume_->delivered_of(b->final_lsn) : 0};
      last_xid_ = b->xid;
      return ok();
    }
    if (const auto* c = std::get_if<commit_msg>(&m)) {
      if (!tx_) {
        return make_error(errc::fatal,
                          "postgres: a Commit without its Begin at " + c->commit_lsn.to_string());
      }
      cdc_offset o{.commit_lsn = tx_->commit_lsn,
                   .change_lsn = c->end_lsn,
                   .tx_id = tx_->xid,
                   .ts_usec = tx_->ts_us,
                   .events = tx_->seen,
                   .tx_complete = true,
                   .flush_lsn = c->end_lsn};
      o.incremental = inc_;
      source_record r;
      r.source_partition = partition_;
      r.source_offset = o.to_json();
      out.push_back(std::move(r));  // offset-only: the transaction is whole
      // source.sequence's first element, as Debezium writes it: where the
      // last transaction's WAL ended (its Commit's end LSN), not where its
      // commit record began.
      last_commit_lsn_ = c->end_lsn;
      position_ = std::max(position_, c->end_lsn);
      tx_.reset();
      return ok();
    }
    if (const auto* rel = std::get_if<relation>(&m)) {
      if (filter_.admits(rel->schema, rel->name)) {
        ignored_.erase(rel->oid);
        CONNECT_TRY(events_->on_relation(*rel));
        log_warnings();
      } else {
        ignored_.insert(rel->oid);
      }
      return ok();
    }
    std::uint32_t oid = 0;
    if (const auto* i = std::get_if<insert_msg>(&m)) {
      oid = i->relation_oid;
    } else if (const auto* u = std::get_if<update_msg>(&m)) {
      oid = u->relation_oid;
    } else if (const auto* d = std::get_if<delete_msg>(&m)) {
      oid = d->relation_oid;
    } else if (!std::holds_alternative<truncate_msg>(m)) {
      return ok();  // Type, Origin, Message: nothing to emit
    }
    if (!tx_) {
      return make_error(errc::fatal,
                        "postgres: a change outside a transaction at " + x.wal_start.to_string());
    }
    auto n = ++tx_->seen;
    // Delivered before the restart: not emitted again, but an incremental
    // snapshot still learns which keys it changed (note_changes).
    bool delivered = tx_->skip < 0 || n <= tx_->skip;
    if (delivered && signal_oid_ == 0) {
      return ok();
    }
    change_position p{.tx_id = tx_->xid,
                      .change_lsn = x.wal_start,
                      .last_commit_lsn = last_commit_lsn_,
                      .ts_us = tx_->ts_us,
                      .snapshot = snapshot_marker::no};
    if (signal_oid_ != 0 && oid == signal_oid_ && !delivered) {
      if (const auto* i = std::get_if<insert_msg>(&m)) {
        CONNECT_TRY(on_signal(*i, x, n, out));
      }
    }
    std::vector<source_record> recs;
    if (const auto* t = std::get_if<truncate_msg>(&m)) {
      truncate_msg mine = *t;
      std::erase_if(mine.relation_oids, [&](std::uint32_t o) { return ignored_.contains(o); });
      if (!mine.relation_oids.empty()) {
        CONNECT_TRY(recs, events_->on_truncate(mine, p));
      }
    } else if (!ignored_.contains(oid)) {
      if (const auto* i = std::get_if<insert_msg>(&m)) {
        CONNECT_TRY(recs, events_->on_insert(*i, p));
      } else if (const auto* u = std::get_if<update_msg>(&m)) {
        CONNECT_TRY(recs, events_->on_update(*u, p));
      } else if (const auto* d = std::get_if<delete_msg>(&m)) {
        CONNECT_TRY(recs, events_->on_delete(*d, p));
      }
    }
    if (signal_oid_ != 0) {
      note_changes(m, oid, recs);
    }
    if (delivered) {
      return ok();
    }
    // The records of one message: all but the last stand before it (a
    // restart after a partial delivery repeats the message); the last
    // marks it delivered.
    for (std::size_t i = 0; i < recs.size(); ++i) {
      recs[i].source_offset = stream_offset(x, i + 1 == recs.size() ? n : n - 1);
      out.push_back(std::move(recs[i]));
    }
    return ok();
  }

  // The offset of a record inside the current transaction, `events` of its
  // messages delivered, with the incremental snapshot's progress.
  data stream_offset(const xlog_data& x, std::int64_t events) const {
    cdc_offset o{.commit_lsn = tx_->commit_lsn,
                 .change_lsn = x.wal_start,
                 .tx_id = tx_->xid,
                 .ts_usec = tx_->ts_us,
                 .events = events};
    o.incremental = inc_;
    return o.to_json();
  }

  // An offset-only record: message n of the transaction is handled and the
  // incremental snapshot's progress changed with it.
  void progress_record(const xlog_data& x, std::int64_t n, std::vector<source_record>& out) {
    source_record r;
    r.source_partition = partition_;
    r.source_offset = stream_offset(x, n);
    out.push_back(std::move(r));
  }

  // --- incremental snapshots (incremental_snapshot.h) ---

  result<std::optional<std::uint32_t>> table_oid(const std::string& schema,
                                                 const std::string& table) {
    CONNECT_TRY(auto rows, sql_->query("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON "
                                       "n.oid = c.relnamespace WHERE n.nspname = $1 AND "
                                       "c.relname = $2 AND c.relkind IN ('r', 'p')",
                                       {schema, table}));
    if (rows.empty() || !rows[0][0]) {
      return std::optional<std::uint32_t>{};
    }
    return std::optional<std::uint32_t>(static_cast<std::uint32_t>(std::stoul(*rows[0][0])));
  }

  result<void> find_signal_table() {
    if (cfg_.signal_table.empty()) {
      return ok();
    }
    auto name = cfg_.signal_schema + "." + cfg_.signal_table;
    CONNECT_TRY(auto oid, table_oid(cfg_.signal_schema, cfg_.signal_table));
    if (!oid) {
      return make_error(errc::invalid_config,
                        "postgres: the signal table " + name +
                            " (signal.data.collection) does not exist; create it with "
                            "CREATE TABLE " +
                            name +
                            " (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data "
                            "varchar(2048))");
    }
    CONNECT_TRY(auto rel, read_relation(*sql_, *oid));
    if (rel.columns.size() < 3) {
      return make_error(errc::invalid_config, "postgres: the signal table " + name +
                                                  " needs three columns: id, type and data");
    }
    signal_oid_ = *oid;
    signal_columns_.clear();
    for (std::size_t i = 0; i < 3; ++i) {
      signal_columns_.push_back(rel.columns[i].name);
    }
    return ok();
  }

  result<void> check_signal_table_published() {
    if (signal_oid_ == 0) {
      return ok();
    }
    CONNECT_TRY(auto rows,
                sql_->query("SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND "
                            "schemaname = $2 AND tablename = $3",
                            {cfg_.publication_name, cfg_.signal_schema, cfg_.signal_table}));
    if (rows.empty()) {
      return make_error(errc::invalid_config,
                        "postgres: the signal table " + cfg_.signal_schema + "." +
                            cfg_.signal_table + " is not in the publication " +
                            cfg_.publication_name +
                            ": signals and snapshot watermarks would never be seen (add it "
                            "with ALTER PUBLICATION … ADD TABLE)");
    }
    return ok();
  }

  result<void> write_watermark(const std::string& id, const char* type) {
    CONNECT_TRY(sql_->query("INSERT INTO " + quote_identifier(cfg_.signal_schema) + "." +
                                quote_identifier(cfg_.signal_table) + " (" +
                                quote_identifier(signal_columns_[0]) + ", " +
                                quote_identifier(signal_columns_[1]) + ", " +
                                quote_identifier(signal_columns_[2]) + ") VALUES ($1, $2, NULL)",
                            {id, type}));
    return ok();
  }

  // The captured tables `names` denote (schema.table, or a regular
  // expression matching it whole), in catalog order.
  result<std::vector<std::string>> resolve_collections(const std::vector<std::string>& names) {
    CONNECT_TRY(auto tables, list_tables(*sql_));
    std::vector<std::string> out;
    for (const auto& want : names) {
      std::optional<std::regex> re;
      try {
        re.emplace(want);
      } catch (const std::regex_error&) {
      }
      bool found = false;
      for (const auto& t : tables) {
        auto full = t.schema + "." + t.name;
        bool match = full == want || (re && std::regex_match(full, *re));
        if (auto parts = split_table_name(want);
            parts && parts->first == t.schema && parts->second == t.name) {
          match = true;
        }
        if (!match) {
          continue;
        }
        found = true;
        if (!filter_.admits(t.schema, t.name)) {
          spdlog::warn(
              "postgres: execute-snapshot: {} is not captured (table.include.list / "
              "table.exclude.list) and is skipped",
              full);
          continue;
        }
        if (std::find(out.begin(), out.end(), full) == out.end()) {
          out.push_back(full);
        }
      }
      if (!found) {
        spdlog::warn("postgres: execute-snapshot: no table matches {}; skipped", want);
      }
    }
    return out;
  }

  result<void> on_signal(const insert_msg& m, const xlog_data& x, std::int64_t n,
                         std::vector<source_record>& out) {
    auto field = [&](std::size_t i) -> std::optional<std::string> {
      if (i < m.new_tuple.size() && m.new_tuple[i].what == value::kind::text) {
        return m.new_tuple[i].data;
      }
      return std::nullopt;
    };
    signal_row s{.id = field(0).value_or(""), .type = field(1).value_or(""), .data = field(2)};
    if (s.type == "snapshot-window-open") {
      if (window_ && s.id == window_->chunk_id + "-open") {
        window_->open = true;
      }
      return ok();
    }
    if (s.type == "snapshot-window-close") {
      if (window_ && s.id == window_->chunk_id + "-close") {
        if (!window_->open) {
          spdlog::warn("postgres: incremental snapshot: chunk {} closed before it opened",
                       window_->chunk_id);
        }
        CONNECT_TRY(close_window(x, n, out));
      }
      return ok();
    }
    if (s.type == "log") {
      auto j = data::parse(s.data.value_or(""), nullptr, false);
      spdlog::info("postgres: signal {}: {}", s.id,
                   j.is_object() && j.contains("message") && j["message"].is_string()
                       ? j["message"].get<std::string>()
                       : s.data.value_or(""));
      return ok();
    }
    if (s.type == "pause-snapshot") {
      spdlog::info("postgres: incremental snapshot paused (signal {})", s.id);
      inc_paused_ = true;
      return ok();
    }
    if (s.type == "resume-snapshot") {
      spdlog::info("postgres: incremental snapshot resumed (signal {})", s.id);
      inc_paused_ = false;
      if (!window_ && inc_.running()) {
        CONNECT_TRY(next_chunk());
      }
      return ok();
    }
    if (s.type != "execute-snapshot" && s.type != "stop-snapshot") {
      spdlog::warn("postgres: signal {} of unknown type '{}' ignored", s.id, s.type);
      return ok();
    }
    auto parsed = parse_snapshot_signal(s.data);
    if (!parsed) {
      spdlog::warn("postgres: signal {} ({}) ignored: {}", s.id, s.type, parsed.error().message);
      return ok();
    }
    auto& sig = parsed.value();
    if (sig.type != "incremental") {
      spdlog::warn(
          "postgres: signal {} ({}) ignored: snapshot type '{}' is not supported (only "
          "incremental)",
          s.id, s.type, sig.type);
      return ok();
    }
    if (s.type == "execute-snapshot") {
      if (sig.collections.empty()) {
        spdlog::warn("postgres: signal {} (execute-snapshot) ignored: no data-collections", s.id);
        return ok();
      }
      CONNECT_TRY(auto names, resolve_collections(sig.collections));
      bool was_running = inc_.running();
      for (const auto& name : names) {
        incremental_collection c{.id = name, .condition = sig.condition(name)};
        if (!c.condition) {
          // A condition may name the table as the signal did.
          for (const auto& want : sig.collections) {
            if (auto cond = sig.condition(want)) {
              if (auto parts = split_table_name(want);
                  parts && parts->first + "." + parts->second == name) {
                c.condition = cond;
              }
            }
          }
        }
        if (std::find(inc_.collections.begin(), inc_.collections.end(), c) ==
            inc_.collections.end()) {
          inc_.collections.push_back(std::move(c));
        }
      }
      spdlog::info(
          "postgres: incremental snapshot of {} requested by signal {} ({} tables "
          "queued)",
          fmt_list(names), s.id, inc_.collections.size());
      progress_record(x, n, out);
      if (!was_running && !window_ && !inc_paused_) {
        CONNECT_TRY(next_chunk());
      }
      return ok();
    }
    // stop-snapshot: the named tables (all, when none are named) leave the
    // snapshot; a chunk of one of them that is being read is dropped.
    std::vector<std::string> names;
    if (!sig.collections.empty()) {
      CONNECT_TRY(names, resolve_collections(sig.collections));
    }
    bool current = false;
    std::vector<incremental_collection> left;
    for (std::size_t i = 0; i < inc_.collections.size(); ++i) {
      const auto& c = inc_.collections[i];
      bool stop =
          sig.collections.empty() || std::find(names.begin(), names.end(), c.id) != names.end();
      if (stop && i == 0) {
        current = true;
      } else if (!stop) {
        left.push_back(c);
      }
    }
    if (current) {
      window_.reset();
      inc_.last_key.reset();
      inc_.maximum_key.reset();
    }
    std::optional<incremental_collection> head;
    if (!current && !inc_.collections.empty()) {
      head = inc_.collections[0];
    }
    inc_.collections.clear();
    if (head) {
      inc_.collections.push_back(*head);
    }
    for (auto& c : left) {
      if (!head || !(c == *head)) {
        inc_.collections.push_back(std::move(c));
      }
    }
    spdlog::info("postgres: incremental snapshot stopped for {} by signal {} ({} tables left)",
                 sig.collections.empty() ? std::string("every table") : fmt_list(names), s.id,
                 inc_.collections.size());
    progress_record(x, n, out);
    if (current && inc_.running() && !inc_paused_) {
      CONNECT_TRY(next_chunk());
    }
    return ok();
  }

  static std::string fmt_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
      s += (s.empty() ? "" : ", ") + x;
    }
    return s.empty() ? "no table" : s;
  }

  // The high watermark seen: the chunk's rows that no change in the window
  // superseded are emitted, the progress moves past the chunk, and the next
  // chunk is read (unless paused).
  result<void> close_window(const xlog_data& x, std::int64_t n, std::vector<source_record>& out) {
    auto w = std::move(*window_);
    window_.reset();
    std::size_t emitted = 0;
    for (std::size_t i = 0; i < w.rows.size(); ++i) {
      if (w.dropped[i]) {
        continue;
      }
      w.rows[i].source_offset = stream_offset(x, n - 1);
      out.push_back(std::move(w.rows[i]));
      ++emitted;
    }
    inc_rows_ += static_cast<std::int64_t>(emitted);
    if (w.table_done) {
      spdlog::info("postgres: incremental snapshot of {} complete", inc_.collections[0].id);
      inc_.next_table();
      if (!inc_.running()) {
        spdlog::info("postgres: incremental snapshot complete ({} rows)", inc_rows_);
        inc_rows_ = 0;
      }
    } else {
      inc_.last_key = w.end_key;
    }
    progress_record(x, n, out);
    if (inc_.running() && !inc_paused_) {
      CONNECT_TRY(next_chunk());
    }
    return ok();
  }

  // A streamed change of a captured table, as an incremental snapshot needs
  // it: the chunk waiting for its high watermark leaves out its row of that
  // key when the chunk's snapshot did not see the change's transaction (the
  // change is newer than the row; it and every later change of the key are
  // in the stream, each with the whole row). The change is also remembered
  // until a chunk's snapshot sees its transaction: a transaction can commit
  // in the WAL, and even be streamed here, before it is visible to a query,
  // so a chunk read next may still miss it (next_chunk consults these).
  void note_changes(const message& m, std::uint32_t oid, const std::vector<source_record>& recs) {
    auto xid = static_cast<std::uint32_t>(tx_->xid);
    auto note = [&](std::uint32_t table, std::string key) {
      if (window_ && window_->oid == table && !window_->snap.sees(xid)) {
        window_->drop(key, xid, "in its window");
      }
      if (recent_.size() >= k_recent_changes) {
        // Between snapshots (or paused) nothing prunes the list: only the
        // newest changes can matter to the next chunk, the oldest go
        // quietly. While chunks are read, each prunes what its snapshot
        // sees, so a full list means transactions stay invisible long.
        if (inc_.running() && !inc_paused_ && !recent_full_warned_) {
          spdlog::warn(
              "postgres: more than {} streamed changes are not yet visible to an incremental "
              "snapshot's chunk; the oldest are forgotten",
              k_recent_changes);
          recent_full_warned_ = true;
        }
        recent_.pop_front();
      }
      recent_.push_back({xid, table, std::move(key)});
    };
    if (const auto* t = std::get_if<truncate_msg>(&m)) {
      for (auto o : t->relation_oids) {
        note(o, "");  // every key of the table
      }
      return;
    }
    if (ignored_.contains(oid)) {
      return;
    }
    std::string last;
    for (const auto& r : recs) {
      if (r.key.is_null()) {
        continue;  // no primary key: never snapshotted incrementally
      }
      auto key = r.key.dump();
      if (key != last) {  // a delete and its tombstone: one key
        last = key;
        note(oid, std::move(key));
      }
    }
  }

  // A chunk's rows and the snapshot they were read in.
  struct chunk_read {
    xid_snapshot snap;
    std::vector<sql_row> rows;
  };

  // Runs the chunk's query in a REPEATABLE READ transaction whose snapshot
  // (pg_current_snapshot()) says which transactions the rows include.
  result<chunk_read> read_chunk(const std::string& sql, const std::vector<std::string>& params) {
    CONNECT_TRY(sql_->query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    auto read = [&]() -> result<chunk_read> {
      CONNECT_TRY(auto s, sql_->query("SELECT pg_current_snapshot()::text"));
      std::optional<xid_snapshot> snap;
      if (!s.empty() && !s[0].empty() && s[0][0]) {
        snap = xid_snapshot::parse(*s[0][0]);
      }
      if (!snap) {
        return make_error(errc::fatal,
                          "postgres: incremental snapshot: pg_current_snapshot() is unreadable");
      }
      CONNECT_TRY(auto rows, sql_->query(sql, params));
      return chunk_read{std::move(*snap), std::move(rows)};
    }();
    if (!read) {
      if (auto r = sql_->query("ROLLBACK"); !r) {
        spdlog::warn("postgres: incremental snapshot: ROLLBACK failed: {}", r.error().message);
      }
      return read.error();
    }
    CONNECT_TRY(sql_->query("COMMIT"));
    return read;
  }

  // Reads the next chunk of the first table left between its watermarks
  // (window_); tables that are gone, have no primary key or are empty are
  // passed over.
  result<void> next_chunk() {
    while (inc_.running()) {
      const auto c = inc_.collections[0];
      auto parts = split_table_name(c.id);
      std::optional<std::uint32_t> oid;
      if (parts) {
        CONNECT_TRY(oid, table_oid(parts->first, parts->second));
      }
      if (!oid) {
        spdlog::warn("postgres: incremental snapshot: table {} no longer exists; skipped", c.id);
        inc_.next_table();
        continue;
      }
      CONNECT_TRY(auto cat, read_table_catalog(*sql_, *oid));
      if (cat.primary_key.empty()) {
        spdlog::warn(
            "postgres: incremental snapshot: table {} has no primary key to read it in "
            "chunks by; skipped",
            c.id);
        inc_.next_table();
        continue;
      }
      CONNECT_TRY(auto rel, read_relation(*sql_, *oid));
      if (!events_->table(*oid)) {
        CONNECT_TRY(events_->on_relation(rel));
        log_warnings();
      }
      std::vector<std::string> columns;
      for (const auto& col : rel.columns) {
        columns.push_back(col.name);
      }
      std::vector<std::size_t> key_index;
      std::vector<std::string> key_types;
      for (const auto& k : cat.primary_key) {
        auto it = std::find(columns.begin(), columns.end(), k);
        if (it == columns.end()) {
          return make_error(errc::fatal, "postgres: incremental snapshot: key column " + k +
                                             " of " + c.id + " is not a published column");
        }
        key_index.push_back(static_cast<std::size_t>(it - columns.begin()));
        CONNECT_TRY(auto t, sql_->query("SELECT format_type(atttypid, atttypmod) FROM "
                                        "pg_attribute WHERE attrelid = $1 AND attname = $2",
                                        {std::to_string(*oid), k}));
        if (t.empty() || !t[0][0]) {
          return make_error(errc::fatal,
                            "postgres: incremental snapshot: no type for key "
                            "column " +
                                k + " of " + c.id);
        }
        key_types.push_back(*t[0][0]);
      }
      if (!inc_.maximum_key || inc_.maximum_key->size() != cat.primary_key.size()) {
        auto maximum = sql_->query(
            maximum_key_query(parts->first, parts->second, cat.primary_key, c.condition));
        if (!maximum && maximum.error().kind != errc::retriable) {
          // A condition the server refuses (or a table it cannot read):
          // that table is skipped, the connector keeps running.
          spdlog::warn("postgres: incremental snapshot of {} skipped: {}", c.id,
                       maximum.error().message);
          inc_.next_table();
          continue;
        }
        CONNECT_TRY(auto mx, std::move(maximum));
        if (mx.empty()) {
          spdlog::info("postgres: incremental snapshot of {}: no rows", c.id);
          inc_.next_table();
          continue;
        }
        std::vector<std::string> key;
        for (const auto& v : mx[0]) {
          key.push_back(v.value_or(""));
        }
        inc_.maximum_key = std::move(key);
        inc_.last_key.reset();
        spdlog::info("postgres: incremental snapshot of {} begins (chunks of {} rows)", c.id,
                     cfg_.incremental_chunk_size);
      }
      if (inc_.last_key && inc_.last_key->size() != cat.primary_key.size()) {
        inc_.last_key.reset();
      }
      window w;
      w.chunk_id = new_chunk_id();
      w.oid = *oid;
      w.topic = events_->table(*oid)->topic();
      std::vector<std::string> params;
      if (inc_.last_key) {
        params = *inc_.last_key;
      }
      params.insert(params.end(), inc_.maximum_key->begin(), inc_.maximum_key->end());
      auto sql = chunk_query(parts->first, parts->second, columns, cat.primary_key, key_types,
                             inc_.last_key.has_value(), c.condition, cfg_.incremental_chunk_size);
      // Low watermark, the chunk, high watermark: each its own transaction.
      // The high watermark is written after the chunk's snapshot was taken,
      // so every transaction that snapshot sees commits before it in the
      // WAL; those it does not see are left out by note_changes.
      CONNECT_TRY(write_watermark(w.chunk_id + "-open", "snapshot-window-open"));
      CONNECT_TRY(auto read, read_chunk(sql, params));
      CONNECT_TRY(write_watermark(w.chunk_id + "-close", "snapshot-window-close"));
      w.snap = std::move(read.snap);
      auto& rows = read.rows;
      change_position p{.tx_id = tx_ ? tx_->xid : last_xid_,
                        .change_lsn = position_,
                        .last_commit_lsn = last_commit_lsn_,
                        .ts_us = now_us(),
                        .snapshot = snapshot_marker::incremental};
      for (auto& row : rows) {
        tuple t;
        t.reserve(row.size());
        for (auto& v : row) {
          t.push_back(v ? value{value::kind::text, std::move(*v)} : value{value::kind::null, {}});
        }
        CONNECT_TRY(auto recs, events_->on_read(*oid, t, p));
        for (auto& r : recs) {
          w.by_key[r.key.dump()] = w.rows.size();
          w.rows.push_back(std::move(r));
          w.dropped.push_back(false);
        }
        if (&row == &rows.back()) {
          for (auto i : key_index) {
            w.end_key.push_back(i < t.size() ? t[i].data : "");
          }
        }
      }
      // Changes streamed before the chunk was read whose transactions its
      // snapshot does not see yet: their rows are stale. Those it sees are
      // in every later snapshot too, and forgotten.
      for (const auto& c : recent_) {
        if (c.oid == w.oid && !w.snap.sees(c.xid)) {
          w.drop(c.key, c.xid, "before its snapshot");
        }
      }
      std::erase_if(recent_, [&](const recent_change& c) { return w.snap.sees(c.xid); });
      w.table_done = rows.empty() ||
                     static_cast<std::int64_t>(rows.size()) < cfg_.incremental_chunk_size ||
                     w.end_key == *inc_.maximum_key;
      window_ = std::move(w);
      return ok();
    }
    return ok();
  }

  void log_lag() {
    auto wal = repl_->server_wal_end();
    auto lag = wal > reported_ ? wal.value - reported_.value : 0;
    if (lag_) {
      lag_->set(static_cast<double>(lag));
    }
    auto now = steady::now();
    if (now - last_lag_log_ < std::chrono::seconds(60)) {
      return;
    }
    last_lag_log_ = now;
    spdlog::info("postgres: slot {}: server at {}, confirmed {} (WAL held: {} bytes)",
                 cfg_.slot_name, wal.to_string(), reported_.to_string(), lag);
  }

  // A chunk between its watermarks.
  struct window {
    std::string chunk_id;
    bool open = false;  // the low watermark was seen in the stream
    std::uint32_t oid = 0;
    std::string topic;
    xid_snapshot snap;                                    // what the chunk's query saw
    std::vector<source_record> rows;                      // op r, in key order
    std::vector<bool> dropped;                            // superseded by a newer change
    std::unordered_map<std::string, std::size_t> by_key;  // key JSON → row
    std::vector<std::string> end_key;                     // the chunk's last key
    bool table_done = false;                              // the chunk ends its table

    // Leaves out the row of `key` (every row: empty key, a truncate), a
    // change of transaction `xid` the snapshot did not see being newer.
    void drop(const std::string& key, std::uint32_t xid, const char* when) {
      if (key.empty()) {
        spdlog::debug(
            "postgres: incremental snapshot: chunk {}: every row left out (truncate "
            "by txn {} {})",
            chunk_id, xid, when);
        std::fill(dropped.begin(), dropped.end(), true);
        return;
      }
      if (auto it = by_key.find(key); it != by_key.end() && !dropped[it->second]) {
        spdlog::debug(
            "postgres: incremental snapshot: chunk {}: row {} left out (changed by "
            "txn {} {})",
            chunk_id, key, xid, when);
        dropped[it->second] = true;
      }
    }
  };

  // A change streamed while the signal table is set (note_changes).
  struct recent_change {
    std::uint32_t xid = 0;
    std::uint32_t oid = 0;
    std::string key;  // JSON; empty: every key (a truncate)
  };
  // Enough for every transaction that can be between its commit record and
  // its visibility at once, many times over; more is only a stalled server.
  static constexpr std::size_t k_recent_changes = 65536;

  connector_config cfg_;
  table_filter filter_;
  data partition_;
  std::unique_ptr<sql_connection> sql_;
  std::unique_ptr<replication_connection> repl_;
  std::unique_ptr<change_events> events_;
  std::unique_ptr<snapshot_reader> snapshot_;
  lsn snapshot_lsn_;
  std::int64_t snapshot_rows_ = 0;
  std::optional<cdc_offset> resume_;
  bool streaming_ = false;
  std::optional<transaction> tx_;
  std::set<std::uint32_t> ignored_;
  std::optional<lsn> last_commit_lsn_;
  std::int64_t last_xid_ = 0;
  lsn position_;                      // the stream's position as far as records carry it
  offset_reader* offsets_ = nullptr;  // the runtime's stored offsets (commit())
  lsn reported_;                      // what PostgreSQL was told is flushed
  steady::time_point last_idle_{};
  steady::time_point last_lag_log_{};
  std::atomic<bool> woken_{false};
  observe::scoped<observe::gauge> lag_;
  // Incremental snapshots: the progress the offsets carry, the chunk being
  // read, and the signal table.
  incremental_progress inc_;
  std::optional<window> window_;
  std::deque<recent_change> recent_;
  bool recent_full_warned_ = false;
  bool inc_paused_ = false;
  bool inc_kick_ = false;
  std::int64_t inc_rows_ = 0;
  std::uint32_t signal_oid_ = 0;
  std::vector<std::string> signal_columns_;
};

}  // namespace

std::unique_ptr<source_task> make_cdc_source_task() {
  return std::make_unique<cdc_source_task>();
}

}  // namespace runnel::connect::postgres
