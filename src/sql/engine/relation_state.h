// The engine's private state (engine.cc, subscription.cc): what it keeps
// for each relation, and for each cursor of a subscription. Not for use
// outside src/sql/engine.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sql/catalog/table_log.h"
#include "sql/connector/kafka_sink.h"
#include "sql/connector/kafka_source.h"
#include "sql/engine/contents_index.h"
#include "sql/engine/engine.h"
#include "sql/exec/rows.h"
#include "sql/group/pipelines.h"
#include "sql/state/state_table.h"

namespace runnel::sql {

// Collects what a view's dataflow emits until the engine takes it.
class change_sink : public op {
 public:
  change_sink(exec_env& env, uint32_t width) : op(env), pending_(width) {}
  void push(int, const row_batch& in) override {
    pending_.keep_alive(in);
    for (size_t i = 0; i < in.size(); ++i) pending_.add(in.row(i), in.weight(i));
  }
  row_batch take() {
    row_batch out(pending_.width());
    std::swap(out, pending_);
    return out;
  }

 private:
  row_batch pending_;
};

struct engine::relation {
  relation_info info;
  schema_types types;
  row_batch contents{0};  // positive counts; a row may be in several entries (add())
  std::vector<bool> not_null;

  // A materialized view: its dataflow, and the relations it reads.
  plan_ptr plan;
  exec_env env;
  std::unique_ptr<dataflow> flow;
  std::unique_ptr<change_sink> sink;
  std::set<uint64_t> reads;

  // A source or table over a topic: what reads it, and its watermarks
  // (WATERMARK FOR column AS expression: the largest value seen so far).
  std::unique_ptr<kafka_source> source;
  struct watermark {
    int column = -1;
    expr_ptr e;
    int64_t value = std::numeric_limits<int64_t>::min();
  };
  std::vector<watermark> watermarks;
  // FORMAT UPSERT: its rows are keyed by their records' Kafka keys, not by
  // their primary key's columns.
  bool upsert = false;
  // A sink: where its dataflow's changes go (instead of `contents`).
  std::unique_ptr<kafka_sink> out;
  // A sink to a database, object store or directory: its Kafka Connect
  // connector (connector_sink.h), deleted with the sink.
  std::string connector;
  // A sink's WITH (connector = …) (kafka, jdbc, s3, …) and the topic its
  // changes go to, for SHOW SINKS.
  std::string sink_type;
  std::string sink_topic;

  // Durable state (engine_options::state_dir): the table of its contents
  // (durable.cc) — with it, the contents live there alone and `contents`
  // stays empty —, how many rows they hold, the next sequence number of an
  // append-only relation's rows, and a source's next offset of each
  // partition.
  std::unique_ptr<state_table> stored;
  int64_t stored_rows = 0;
  // An append-only relation's rows written since the last commit: its
  // table takes them without indexing them in the epoch's batch (a
  // log_table, cheaper), so readers get them here after the store's rows.
  row_batch appended{0};
  uint64_t next_seq = 0;
  std::map<int32_t, int64_t> offsets;
  bool restored = false;
  uint32_t next_table = 1;  // the next operator table (env.new_table)

  // The view of a SUBSCRIBE to a query: its cursor owns it; no name users
  // see (SHOW, pg_catalog), not in the catalog, dropped with the cursor.
  bool hidden = false;
  // --share: its pipeline runs in another process (or in none right now):
  // its columns are known (binding, psql \d, SHOW), nothing else.
  bool remote = false;
  // --share: the topic behind a table written with INSERT (table_log.h).
  std::unique_ptr<table_log> log;

  bool is_view() const { return flow != nullptr; }
  // In memory (no state directory): the contents own their strings: a
  // view's output points into its operators' batches and its plan's
  // constants. Inserts are appended; once a batch deletes, changes find
  // their rows through an index (contents_index.h), so a batch costs what
  // it changes, not the relation. engine::add_contents() picks this or the
  // state store.
  void add(const row_batch& changes) { index.apply(contents, changes, types); }
  // Replaces the contents (creation).
  void set_contents(row_batch rows) {
    contents = std::move(rows);
    index.reset();
  }
  contents_index index;
};

// DECLARE name CURSOR FOR SUBSCRIBE relation: the relation's contents when
// it was declared, then every change, queued until FETCH takes them.
struct engine::cursor {
  uint64_t session = 0;
  std::string name;
  uint64_t relation = 0;
  std::vector<plan_column> columns;
  schema_types types;
  std::deque<std::pair<int64_t, row_batch>> queue;  // (µs, changes owning their strings)
  int64_t taken_from_front = 0;                     // row copies of queue.front() fetched
  uint64_t owned = 0;  // SUBSCRIBE TO (query): the hidden view it reads, dropped with it
  // DECLARE name CURSOR FOR SELECT: one batch queued, the query's rows as
  // they were when it was declared; FETCH returns them without op and
  // rw_timestamp and never waits.
  bool query = false;
  bool hold = false;      // WITH HOLD: outlives the transaction (COMMIT keeps it)
  bool this_txn = false;  // declared in the session's open transaction (ROLLBACK drops it)
  std::string statement;  // the DECLARE (pg_cursors.statement)
  int64_t created = 0;    // µs since the epoch (pg_cursors.creation_time)
  // --share: its relation moved to another process (unload): FETCH fails
  // with 57P03 once what was queued is taken.
  std::string moved;  // the relation's name
  // A FETCH waiting on it (the engine's mutex released): a cursor closed
  // meanwhile (DROP of what it reads, CLOSE ALL of its session's other
  // statements cannot run) goes to engine::closed_cursors_ instead of being
  // freed, and the FETCH, woken, frees it and fails as for a cursor that
  // does not exist.
  bool waiting = false;
  bool closed = false;
};

// --share (sharing.cc): the group, its last assignment and the thread that
// joins it and follows the catalog.
struct engine::group_state {
  std::string address;  // this process's, as the others reach it
  std::string member_id;
  std::optional<group_plan> plan;  // none before the first assignment
  // From the moment this process rejoins until it has reconciled with the
  // new plan: it takes no writes into table logs, so that everything it
  // acknowledged is in the topic before the next owner reads it.
  bool rebalancing = true;
  std::thread thread;
  std::condition_variable applied;  // follow() applied a catalog record
  bool stop = false;
};

// SELECT * FROM range_var [WHERE where]: the rows a DELETE removes.
json star_select(const json& range_var, const json* where);
// UPDATE's rows as a SelectStmt over the table: its columns as they are,
// then as the SET expressions make them, for the rows WHERE selects
// (update.cc). Errors: an unknown or twice-assigned column, FROM, RETURNING.
result<json> update_select(const json& update_stmt, const relation_info& r);

}  // namespace runnel::sql
