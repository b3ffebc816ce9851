#include "connect/postgres/cdc_source_task.h"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "connect/postgres/catalog.h"
#include "connect/postgres/cdc_offset.h"
#include "connect/postgres/change_events.h"
#include "connect/postgres/connector_config.h"
#include "connect/postgres/replication.h"
#include "connect/postgres/snapshot_reader.h"
#include "connect/postgres/sql_connection.h"
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
    }
    CONNECT_TRY(ensure_publication());
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

  void commit_record(const source_record& r, const record_metadata*) override {
    auto it = r.source_offset.find("flush_lsn");
    if (it != r.source_offset.end() && it->is_number_integer()) {
      acked_flush_ =
          std::max(acked_flush_, lsn{static_cast<std::uint64_t>(it->get<std::int64_t>())});
    }
  }

  void commit() override {
    // The offsets of every acknowledged record are stored: PostgreSQL may
    // now release the WAL they cover. The runtime commits once more after
    // stop() (its final offset flush, as Kafka's WorkerSourceTask does): the
    // replication connection is gone then, and the position is reported by
    // the next start instead.
    if (!repl_ || !streaming_ || acked_flush_ <= reported_) {
      return;
    }
    if (auto r = repl_->send_status(acked_flush_, acked_flush_); !r) {
      spdlog::warn(
          "postgres: reporting position {} to the server failed (reported again "
          "later): {}",
          acked_flush_.to_string(), r.error().message);
      return;
    }
    reported_ = acked_flush_;
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
    if (tx_->skip < 0 || n <= tx_->skip) {
      return ok();  // delivered before the restart
    }
    change_position p{.tx_id = tx_->xid,
                      .change_lsn = x.wal_start,
                      .last_commit_lsn = last_commit_lsn_,
                      .ts_us = tx_->ts_us,
                      .snapshot = snapshot_marker::no};
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
    // The records of one message: all but the last stand before it (a
    // restart after a partial delivery repeats the message); the last
    // marks it delivered.
    for (std::size_t i = 0; i < recs.size(); ++i) {
      cdc_offset o{.commit_lsn = tx_->commit_lsn,
                   .change_lsn = x.wal_start,
                   .tx_id = tx_->xid,
                   .ts_usec = tx_->ts_us,
                   .events = i + 1 == recs.size() ? n : n - 1};
      recs[i].source_offset = o.to_json();
      out.push_back(std::move(recs[i]));
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
  lsn position_;     // the stream's position as far as records carry it
  lsn acked_flush_;  // the furthest flush_lsn the runtime acknowledged
  lsn reported_;     // what PostgreSQL was told is flushed
  steady::time_point last_idle_{};
  steady::time_point last_lag_log_{};
  std::atomic<bool> woken_{false};
  observe::scoped<observe::gauge> lag_;
};

}  // namespace

std::unique_ptr<source_task> make_cdc_source_task() {
  return std::make_unique<cdc_source_task>();
}

}  // namespace runnel::connect::postgres
