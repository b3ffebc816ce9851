// engine: runs SQL statements against the relations of one SQL process —
// plain tables written with INSERT and DELETE, and materialized views over
// them (and over other views), kept up to date incrementally as each
// statement changes a table. One-off SELECTs read the current contents.
//
// This is the statement layer that the PostgreSQL protocol server and the
// tests drive. Sources and tables over Kafka topics (connector/) feed it
// from their own threads; sinks write views' changes to topics. Without
// engine_options the catalog and contents live in memory; with a catalog
// topic and a state directory they are durable, and relations' contents
// live in RocksDB alone (src/sql/README.md, "Durable state").
//
// Thread-safety: execute() may be called from any thread; it and the
// sources' deliveries run one at a time (an internal mutex).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sql/exec/dataflow.h"
#include "sql/plan/relation.h"

namespace runnel::sql {

// What one statement returns: rows (for SELECT, SHOW, EXPLAIN, ...) and the
// command tag PostgreSQL would send ("SELECT 3", "INSERT 0 2", "CREATE
// TABLE", ...).
struct statement_result {
  std::vector<plan_column> columns;  // empty: the statement returns no rows
  row_batch rows{0};
  std::string tag;
  // SUBSCRIBE alone or COPY (SUBSCRIBE ...) TO STDOUT: the changes stream
  // (engine::stream_changes) until the client cancels or goes away;
  // `columns` are what each change row holds.
  bool streams = false;
  // Warnings to send before the result (NoticeResponse, severity WARNING).
  std::vector<sql_error> warnings;
};

class connector_host;
class group_link;
struct group_plan;
struct catalog_record;
class catalog_follower;
class forward_link;

struct engine_options {
  // The Kafka-protocol cluster of sources and sinks that do not name one
  // (properties.bootstrap.server).
  std::string brokers = "127.0.0.1:9092";
  // The durable catalog: a compacted topic on `brokers` holding every
  // CREATE (catalog/catalog_log.h); empty: the catalog lives and dies with
  // the process.
  std::string catalog_topic;
  // The durable state (state/state_store.h): a RocksDB directory holding
  // every relation's contents, every view's operator state and every
  // source's offsets, so that a restarted process resumes each view where
  // its last commit left it. Empty: in memory, views recomputed from their
  // sources after a restart. Opened by open_catalog().
  std::filesystem::path state_dir;
  // How often what sources delivered is committed (statements commit
  // before they return). A kill -9 loses at most this much work, which the
  // sources read again.
  std::chrono::milliseconds commit_interval{200};
  // With a state directory, the memory RocksDB may hold (block cache and
  // memtables, state_store_options): relations' contents are read from
  // disk through it, so a relation may be far larger than memory.
  size_t state_cache_bytes = 64 << 20;
  // With a state directory, the memory views' operator tables (groups,
  // join sides, Top-N rows...) may hold together; beyond it the largest
  // are spilled to RocksDB and read from there (state_store_options).
  size_t operator_cache_bytes = size_t{256} << 20;
  // Where sinks to databases, object stores and directories put their
  // Kafka Connect connectors (connector/connector_sink.h); null: such
  // sinks are refused. Outlives the engine.
  connector_host* connectors = nullptr;
  // Called when an exactly-once sink's transaction fails (fenced by another
  // process with the same catalog topic, the cluster refusing the commit):
  // the process cannot go on without breaking exactly-once, and a restart
  // resumes from the last committed epoch; the engine commits nothing any
  // more. Unset: the message is logged and the process exits with status 3
  // (runnel serve stops cleanly instead, and exits with 3).
  std::function<void(const std::string& why)> on_fatal;
  // How long open_catalog() waits for the sources to read again what the
  // last epoch read when its state commit was lost (exactly-once recovery).
  std::chrono::milliseconds recovery_timeout{60000};
  // Tests of the recovery: after this many transactions of this process,
  // exit (status 9, as if killed) between a transaction's commit and its
  // state's. 0: never. runnel sql reads it from the environment
  // (RUNNEL_SQL_TEST_EXIT_BETWEEN_PHASES).
  uint64_t test_exit_between_phases = 0;
  // Tests of fencing (--share): when a file exists at this path, the next
  // write into a table's topic, or DDL at the leader, renames it to
  // `<path>.held` and waits (up to 5 minutes) while that exists, after its
  // checks passed and before it writes, as a write delayed past its lease
  // would. Empty: never. runnel sql reads it from the environment
  // (RUNNEL_SQL_TEST_HOLD_WRITES).
  std::string test_hold_writes;
  // Work sharing (`runnel sql --share`, src/sql/README.md "Several
  // processes"): the group in which the processes of `catalog_topic` share
  // its pipelines; start_sharing() joins it. Null: this process runs
  // everything in its catalog. Outlives the engine.
  group_link* group = nullptr;
};

class kafka_source;
struct source_progress;
class kafka_sink;
class state_store;
class state_table;
class catalog_log;
struct catalog_entry;
class sink_epochs;
using epoch_marker_offsets = std::map<uint64_t, std::map<int32_t, int64_t>>;

class engine : public catalog_reader {
 public:
  explicit engine(engine_options options = {});
  ~engine() override;  // stops the sources, flushes the sinks

  // Opens the durable state (engine_options::state_dir, if set) and the
  // durable catalog (engine_options::catalog_topic, if set) and re-creates
  // what it holds, in creation order: tables, sources, views and sinks.
  // With a state directory each resumes from its last commit (a table's
  // rows, a source's offsets and rows, a view's operator state and
  // contents); without one, tables start empty, sources from the offsets
  // they first started at, and views are recomputed from them. An entry
  // that cannot be re-created (its topic is gone, ...) is reported in the
  // returned list and left in the catalog; an unreachable catalog is an
  // error.
  result<std::vector<std::string>> open_catalog();
  // With engine_options::group, after open_catalog(): joins the group and
  // from then on follows the catalog topic (a CREATE or DROP in any
  // process shows here) and runs the pipelines the group's leader assigns
  // to this process, the others known by their schema only. `address`
  // (HOST:PORT) is where the others forward statements over this
  // process's relations. Until the first assignment every query over a
  // relation fails with errc::unavailable (SQLSTATE 57P03: retry).
  result<void> start_sharing(std::string address);

  // Runs every statement of `sql` in order and returns their results; the
  // first error stops it (earlier statements stay done), with its position
  // in `sql`. `now`: now() for one-off queries and the views' clock, in µs
  // since the epoch (0: the wall clock).
  // `session`: the connection, whose cursors (DECLARE ... CURSOR FOR
  // SUBSCRIBE) the statements see. A FETCH that waits for changes releases
  // the engine while it waits.
  result<std::vector<statement_result>> execute(std::string_view sql, int64_t now = 0,
                                                uint64_t session = 0);
  // The types of the parameters $1..$n of one statement, as PostgreSQL
  // infers them when a prepared statement is parsed: each one's declared
  // type (`declared`, unknown where the client sent none), else the type
  // its context gives it (`id = $1` with a bigint id: bigint; a value of
  // INSERT: its column's type), else text. A statement that cannot be bound
  // now gets its declared types and text for the rest (running it reports
  // the error).
  std::vector<sql_type> param_types(std::string_view sql, std::vector<sql_type> declared, int n);
  // The changes a streaming SUBSCRIBE of `session` (a statement_result
  // with `streams`) has queued, waiting up to `wait` for the first: rows
  // with op and rw_timestamp, as FETCH returns them. Fails with
  // query_canceled once the session is cancelled, and returns nothing
  // once the server stops waiting.
  result<statement_result> stream_changes(uint64_t session, std::chrono::milliseconds wait);
  // Ends the session's streaming SUBSCRIBE (the client went away).
  void end_stream(uint64_t session);
  // Drops the cursors of a session (its connection ended).
  void close_session(uint64_t session);
  // Whether `session` is inside BEGIN ... COMMIT (ReadyForQuery's 'T').
  bool in_transaction(uint64_t session);
  // The columns FETCH returns from the session's cursor `name`, if it has
  // one: what Describe of a portal that is a SQL cursor reports.
  std::optional<std::vector<plan_column>> cursor_columns(uint64_t session, std::string_view name);
  // Wakes every waiting FETCH and makes later ones return at once (the
  // server is stopping).
  void stop_waiting();
  // Cancels the session's running statement (PostgreSQL's CancelRequest):
  // a query stops within a bounded time (its operators poll the session's
  // interrupt, exec/interrupt.h), a waiting FETCH, FLUSH or streaming
  // SUBSCRIBE wakes; it fails with query_canceled (57014). Never waits for
  // the engine's mutex. A cancel that finds nothing running is forgotten
  // when the session's next statement starts.
  void cancel(uint64_t session);
  // A session parameter set at connection start (the startup message's
  // `options=-c name=value` or a parameter of its own), as SET would:
  // statement_timeout; other names are accepted and ignored. A bad value
  // is an error (22023).
  result<void> set_parameter(uint64_t session, std::string_view name, std::string_view value);

  // Rows of relations' contents read from the state store by one-off
  // queries, subscriptions and new views so far (a point lookup by key
  // reads only its rows): for tests and diagnostics.
  uint64_t stored_rows_read() const { return stored_rows_read_; }

  // catalog_reader
  const relation_info* find(std::string_view name) const override;
  const relation_info* by_id(uint64_t id) const override;
  const relation_info* system_table(std::string_view schema, std::string_view name) const override;

  struct relation;
  struct cursor;
  struct group_state;

 private:
  result<std::vector<statement_result>> execute_locked(std::string_view sql, int64_t now);
  result<statement_result> run(const statement& s, int64_t now);
  result<statement_result> create_table(const statement& s);
  // SUBSCRIBE through cursors: DECLARE c CURSOR FOR SUBSCRIBE rel, FETCH,
  // CLOSE (subscription.cc).
  result<statement_result> declare(const statement& s, int64_t now);
  // SUBSCRIBE alone or in COPY: a cursor of the session that the server
  // streams.
  result<statement_result> subscribe(const statement& s, int64_t now);
  void end_stream_locked(uint64_t session);
  // Closes the cursors `which` picks, and the hidden views they own.
  void drop_cursors(const std::function<bool(const cursor&)>& which);
  // A cursor named `name` of this session over what `s` subscribes to.
  result<cursor*> open_cursor(const statement& s, const std::string& name, int64_t now);
  result<statement_result> fetch(const statement& s);
  result<statement_result> flush();
  result<statement_result> close_cursor(const statement& s);
  // DECLARE name CURSOR FOR SELECT: the query run now, its rows kept for
  // FETCH (query_cursor.cc).
  result<statement_result> declare_query(const statement& s, int64_t now);
  // BEGIN, COMMIT, ROLLBACK: the session's transaction block, which ends
  // the cursors PostgreSQL ends with it.
  statement_result transaction(const json& stmt);
  // COMMIT (or ROLLBACK) of the session's block: its cursors end as
  // PostgreSQL's do.
  void end_transaction(uint64_t session, bool commit);
  // pg_catalog.pg_cursors: the session's cursors (psycopg asks before it
  // closes one it did not declare itself).
  row_batch cursor_rows();
  // Queues the changes of relation `id` for the cursors subscribed to it.
  void notify(uint64_t id, const row_batch& changes, int64_t now);
  // The columns and keys of a CREATE TABLE / CREATE SOURCE into `r`.
  result<void> define_columns(const json& create_stmt, relation& r);
  result<statement_result> create_source(const statement& s, int64_t now);
  result<statement_result> create_sink(const statement& s, int64_t now);
  // A maintained query (a materialized view, a sink): bound, planned,
  // its dataflow built and fed what its inputs hold now.
  result<std::unique_ptr<relation>> maintain(const json& query, const statement& s, int64_t now);
  // A new maintained query's first output: what its inputs hold now, and
  // their watermarks.
  void start_from_inputs(relation& r);
  // A restarted maintained query: its inputs' watermarks sent again, so
  // that what operators derive from them (closed windows) is as before.
  void resume_watermarks(relation& r);
  result<statement_result> create_view(const statement& s, int64_t now);
  result<statement_result> insert(const statement& s, int64_t now);
  result<statement_result> remove(const statement& s, int64_t now);
  result<statement_result> update(const statement& s, int64_t now);
  result<statement_result> show_sinks();
  // --share: a table's changes into its topic (table_log.h), before they
  // are applied.
  result<void> log_changes(relation& r, const row_batch& changes);
  // engine_options::test_hold_writes.
  void test_hold_write() const;
  // --share: the topic of table `id`'s changes, `<catalog topic>-table-<id>`.
  std::string table_topic(uint64_t id) const {
    return options_.catalog_topic + "-table-" + std::to_string(id);
  }
  result<statement_result> select(const json& select_stmt, const statement& s, int64_t now);
  result<statement_result> explain(const statement& s);
  result<statement_result> drop(const statement& s);
  // ALTER ... RENAME TO (rename.cc): the relation and every stored
  // statement that names it, in memory, in the catalog and in the state
  // store's markers.
  result<statement_result> alter_rename(const statement& s);
  result<statement_result> rename_column(const statement& s, relation& r, statement_result done);
  // A relation's stored statement replaced (a rename rewrote it): its
  // state marker follows, a plain view's query is parsed again (`parsed`,
  // if the caller has it).
  void redefine(relation& v, const std::string& definition, const statement* parsed);
  // The relation under its new name, in what names it (dependants' deps).
  void rename_in_memory(relation& r, const std::string& to);
  result<statement_result> show(const statement& s);
  result<statement_result> describe(const statement& s);
  // SET, RESET and SHOW of a session parameter (session_settings.cc):
  // statement_timeout is kept per session; SET of anything else is
  // accepted and changes nothing.
  result<statement_result> set_variable(const json& stmt);
  // SET [LOCAL] name = value (nullopt: DEFAULT, RESET) for the session
  // running (under mu_); returns the value as SHOW shows it.
  result<std::string> set_setting(const std::string& name, const std::optional<std::string>& value,
                                  bool is_local);
  std::optional<std::string> get_setting(uint64_t session, const std::string& name);
  // The end of the session's transaction block: SET LOCAL's values go,
  // and a ROLLBACK restores SET's.
  void end_block_settings(uint64_t session, bool commit);
  row_batch setting_rows();
  result<statement_result> show_variable(const json& stmt);
  // A statement of `session` starts: its interrupt re-armed with the
  // session's statement_timeout, before it waits for mu_ (a cancel or the
  // timeout counts from then, as PostgreSQL's lock waits do).
  std::shared_ptr<interrupt> arm(uint64_t session);
  // The session's interrupt, as the statement that runs left it.
  std::shared_ptr<interrupt> interrupt_of(uint64_t session);

  // Applies `changes` to table `r` and to every view that depends on it.
  void apply(relation& r, row_batch changes, int64_t now);
  // Feeds the pending changes of each relation to the views that read it,
  // in creation order, adding each view's own changes as they come.
  void propagate(std::map<uint64_t, std::vector<row_batch>>& pending, int64_t now);
  // Takes what the views emitted on their own (a tick moved time).
  void apply_pending(int64_t now);
  relation* lookup(std::string_view name);
  // Writes the catalog entry of a relation just created (if there is a
  // catalog and this is not a replay of it); on failure the relation is
  // dropped again, so that nothing runs that a restart would lose.
  result<void> log_created(const std::string& name);
  // Stops what runs for a relation that goes (dropped, moved to another
  // process, refused by the catalog): its source is asked to stop and its
  // source and sink are kept for execute() to join and flush without mu_,
  // and a sink's Kafka Connect connector (connector_sink.h) is deleted.
  void retire(relation& r);
  // A batch of changes from the source of relation `id` (its thread).
  void ingest(uint64_t id, row_batch changes, source_progress progress);

  // Durable state (durable.cc). The state tables of relation `id`: its
  // contents are table id << 16, its operators' id << 16 | 1, 2, ...
  void attach_state(relation& r);
  // Whether the store holds state of `r` committed for this same
  // definition (a restart), which restore() then loads.
  bool has_state(const relation& r);
  void restore(relation& r);
  // Records that `r` now has state (the marker has_state() reads).
  void mark_stored(relation& r);
  // Applies a change to `r`'s contents: in memory, or (with a state
  // directory) to its table alone.
  void add_contents(relation& r, const row_batch& changes);
  // Writes a change of `r`'s contents to its table.
  void store_contents(relation& r, const row_batch& changes);
  void store_source(relation& r, const source_progress& progress);
  // A keyed source's batch with a state directory: each key's new row
  // (source_progress::keys) replaces its current row in the table, and the
  // changes are the retractions and rows that makes.
  row_batch take_keyed(relation& r, const source_progress& progress);
  // Calls `fn` with `r`'s contents (rows with positive counts; a row may
  // come in several pieces) until it returns false: the in-memory batch
  // at once, or the state store's rows a bounded batch at a time. With
  // `lookup` (point_lookup.h), only the rows with that key, when the
  // layout allows a seek.
  void scan_contents(relation& r, const std::function<bool(const row_batch&)>& fn,
                     const std::vector<datum>* lookup = nullptr);
  // How many rows `r` holds (sum of counts).
  int64_t row_count(const relation& r) const;
  // The one-off query `plan` over the contents of relations `ids`.
  result<row_batch> query_contents(const plan_node& plan, const std::set<uint64_t>& ids,
                                   const std::map<uint64_t, row_batch>& system, int64_t now);
  void store_watermarks(relation& r);
  void forget_state(uint64_t id);
  // Format version 1 -> 2: flags every relation with state ('l' ++ id), so
  // that a view whose joins now store fewer columns is recomputed.
  void upgrade_state(state_table& meta);
  bool stale_join_state(const relation& r, const plan_node& plan);
  // Removes the state of relations that are not in `entries` (dropped
  // before a commit, or created for another catalog), before a replay.
  void collect_garbage(const std::vector<catalog_entry>& entries);
  result<void> commit();
  void commit_loop();
  // Exactly-once sinks (durable.cc, src/sql/README.md "Exactly-once Kafka
  // sinks"): starts the transactional producer if it is not yet running.
  result<void> start_sink_epochs();
  // open_catalog(): compares the last committed marker with the store's
  // epoch, before anything is re-created; sets up a replay if the store
  // lost the last epoch's commit.
  result<void> recover_sink_epochs();
  // A source of the replay delivered everything before its marker offsets.
  void replay_reached(uint64_t id);
  // The replay is complete: its state committed under the marker's epoch,
  // the sinks unmuted, the sources released.
  void finish_replay();
  // The process cannot go on (options_.on_fatal).
  void fatal(const std::string& why);
  // Writes a view's changes to its sink, unless a replay mutes it.
  void write_sink(relation& v, const row_batch& changes);

  // Work sharing (sharing.cc). DDL goes to the group's leader, which alone
  // writes the catalog (so two processes never pick one id); a query goes
  // to the process that runs what it reads. `forward_` is set instead of a
  // result by the statement that must run elsewhere; execute() sends it
  // (the rest of the text from `offset`) once mu_ is released.
  struct forward_request {
    std::string address;
    size_t offset = 0;
    bool query = false;                   // a pull query: retried while the owner catches up
    std::vector<std::string> must_exist;  // DDL: the names the catalog must show before it returns
    std::vector<std::string> must_go;
    // Cursors (subscription.cc): on the session's kept connection to
    // `address` (a FETCH or CLOSE of a cursor declared there), with the
    // DECLARE's cursor registered once it succeeded.
    bool session_link = false;
    std::string declares;  // DECLARE: the cursor's name
    // SUBSCRIBE alone or in COPY: its own connection, on which this runs
    // instead of the statement; `stream_columns` are what it streams.
    std::string stream_sql;
    std::vector<plan_column> stream_columns;
    // A query over relations that different processes run: each remote
    // relation's rows pulled from its owner, then the statement run here
    // again with them (`pulled_`).
    struct pull_from {
      uint64_t id;
      std::string name;
      std::string address;
    };
    std::vector<pull_from> pull;
    std::vector<uint64_t> pulled_views;  // plain views over them, answered here too
  };
  result<void> route_ddl(const statement& s);
  // `may_pull`: a SELECT, which may read relations that different
  // processes run by pulling the remote ones' rows here.
  result<void> route_query(const std::set<uint64_t>& ids, bool may_pull = false);
  // Runs the statements from `f.offset` again over the remote relations'
  // rows pulled from their owners (execute(), without mu_ on entry).
  result<std::vector<statement_result>> run_with_pulled(const forward_request& f,
                                                        std::string_view rest, int64_t now,
                                                        uint64_t session, bool forwarded);
  // A subscription whose relation another process runs: forward_ set to
  // its owner, on a connection kept for the cursor (subscription.cc).
  result<void> route_cursor(const statement& s, const std::set<uint64_t>& ids,
                            const std::vector<plan_column>& columns);
  // Sends what execute() must forward for a cursor (without mu_).
  result<std::vector<statement_result>> forward_cursor(const forward_request& f,
                                                       std::string_view rest, uint64_t session);
  // Each relation's pipeline (pipelines.h), hidden ones left out.
  std::map<uint64_t, uint64_t> pipelines_locked() const;
  // HOST:PORT of the process that owns `pipeline`, empty if none.
  std::string owner_address(uint64_t pipeline) const;
  bool is_leader() const;
  // Whether this process may write `r`'s table log now: the plan gives it
  // its pipeline (or the pipeline is newer than the plan and runs here),
  // and no rebalance is under way.
  bool writes_here(const relation& r) const;
  // The group thread: joins, reconciles, follows the catalog.
  void group_loop_with(catalog_follower& follower);
  // Runs the pipelines `plan` gives this process, stops the others (their
  // state stays in the state directory for a later return).
  // `restart`: this process was out of the group; what it runs is
  // stopped and started again.
  void reconcile(const group_plan& plan, bool restart);
  // Replays the catalog entries of `ids` in creation order, running them
  // unless `remote`.
  void replay(const std::set<uint64_t>& ids, bool remote);
  // A catalog record written by any process.
  void follow(const catalog_record& r);
  // Stops and forgets relations here; the catalog and state are kept.
  void unload(const std::set<uint64_t>& ids);
  // The leader asks for a new assignment when DDL changed the pipelines.
  void check_pipelines();
  result<statement_result> show_processes();

  engine_options options_;
  std::unique_ptr<group_state> group_;
  // Replays and the catalog of other processes: a relation that reads
  // nothing (a source, a table) is created remote (known by its schema,
  // not run) when set; one that reads is remote when anything it reads is.
  bool remote_default_ = false;
  std::optional<forward_request> forward_;
  // Forwarded cursors: each session's connections to other processes
  // (by address), the cursors declared on them (by session and name), and
  // each session's streaming SUBSCRIBE on its own connection. Guarded by
  // mu_; the links are used without it.
  std::map<std::pair<uint64_t, std::string>, std::shared_ptr<forward_link>> links_;
  std::map<std::pair<uint64_t, std::string>, std::string> remote_cursors_;
  std::map<uint64_t, std::shared_ptr<forward_link>> remote_streams_;
  // Remote relations whose rows a query pulled here (their contents hold
  // them while it runs).
  std::set<uint64_t> pulled_;
  bool forwarded_ = false;                       // the statements running came from another process
  uint64_t next_hidden_id_ = uint64_t{1} << 40;  // ids of cursors' views, never the catalog's
  std::mutex mu_;                                // guards everything below
  std::deque<std::unique_ptr<relation>> relations_;  // creation order: a view after what it reads
  uint64_t next_id_ = 1;
  std::unique_ptr<catalog_log> catalog_;
  const catalog_entry* replaying_ = nullptr;  // the entry open_catalog() re-creates
  std::vector<std::unique_ptr<cursor>> cursors_;
  // Cursors closed while a FETCH waited on them (cursor::waiting): freed by
  // that FETCH when it wakes.
  std::vector<std::unique_ptr<cursor>> closed_cursors_;
  uint64_t session_ = 0;                          // the session of the statement running
  std::unique_lock<std::mutex>* held_ = nullptr;  // execute()'s lock on mu_, for FETCH to wait on
  std::condition_variable changed_;               // a cursor got changes, or stop_waiting()
  bool stop_waiting_ = false;
  // The interrupt of the statement running (with session_; null for the
  // catalog's replays), which its query's operators poll.
  interrupt* stop_ = nullptr;
  // Per session, under sessions_mu_ rather than mu_ (a cancel must not wait
  // for the statement it stops): the interrupt its statements share (cancel
  // and statement_timeout) and its statement_timeout in ms (absent: 0, no
  // limit).
  std::mutex sessions_mu_;
  std::map<uint64_t, std::shared_ptr<interrupt>> interrupts_;
  std::map<uint64_t, int64_t> statement_timeout_;  // the value in effect, from params_
  // Each session's parameters (session_settings.cc), names lowercased:
  // SET's, SET LOCAL's until the transaction block ends, and SET's as they
  // were before the block's first SET (ROLLBACK restores them).
  struct session_params {
    std::map<std::string, std::string> set;
    std::map<std::string, std::string> local;
    std::optional<std::map<std::string, std::string>> before_block;
  };
  std::map<uint64_t, session_params> params_;
  std::set<uint64_t> in_transaction_;  // sessions inside BEGIN ... COMMIT
  // Sessions running a query string of several statements without BEGIN
  // before it: PostgreSQL's implicit transaction block, which ends with the
  // string.
  std::set<uint64_t> implicit_block_;
  // Dropped sources and sinks, destroyed once mu_ is released: a source's
  // thread may be waiting for mu_ to deliver, and joining it under mu_
  // would wait forever.
  std::vector<std::unique_ptr<kafka_source>> retired_sources_;
  std::vector<std::unique_ptr<kafka_sink>> retired_sinks_;
  // Durable state (null: in memory).
  std::unique_ptr<state_store> store_;
  std::unique_ptr<state_table> meta_;  // table 0: markers, offsets, watermarks
  std::chrono::steady_clock::time_point last_commit_{};
  bool must_commit_ = false;             // the statements running changed something
  uint64_t stored_rows_read_ = 0;        // stored_rows_read()
  std::condition_variable commit_wake_;  // the destructor stops commit_loop
  bool stopping_ = false;
  std::thread committer_;
  // Exactly-once sinks (null: none ran with this catalog).
  std::unique_ptr<sink_epochs> epochs_;
  uint64_t epoch_ = 0;         // the last committed epoch
  uint64_t transactions_ = 0;  // committed by this process
  // A transaction failed (fatal()): nothing is committed any more, state
  // included — it would say the aborted records were written.
  bool epochs_failed_ = false;
  // An exactly-once recovery replaying the last epoch: each source's
  // offsets to read up to (by relation id), those still reading, and
  // whether the exactly-once sinks are muted (their output of that epoch
  // is already committed downstream).
  std::optional<epoch_marker_offsets> replay_to_;
  uint64_t replay_epoch_ = 0;
  std::set<uint64_t> replay_pending_;
  bool muted_ = false;
  std::condition_variable replay_done_;
};

}  // namespace runnel::sql
