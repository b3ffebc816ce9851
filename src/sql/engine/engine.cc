#include "sql/engine/engine.h"
#include "sql/parse/rename.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "sql/catalog/catalog_log.h"
#include "sql/catalog/table_log.h"
#include "sql/connector/connector_sink.h"
#include "sql/connector/kafka_options.h"
#include "sql/connector/kafka_sink.h"
#include "sql/connector/kafka_source.h"
#include "sql/engine/driver_queries.h"
#include "sql/engine/point_lookup.h"
#include "sql/engine/psql_describe.h"
#include "sql/engine/relation_state.h"
#include "sql/engine/sink_epochs.h"
#include "sql/engine/system_tables.h"
#include "sql/exec/rows.h"
#include "sql/group/forward.h"
#include "sql/group/group_link.h"
#include "sql/plan/binder.h"
#include "sql/plan/binder_impl.h"
#include "sql/plan/functions.h"
#include "sql/state/state_store.h"
#include "sql/types/codec.h"

namespace runnel::sql {

namespace {

int64_t wall_clock_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

schema_types types_of(const std::vector<plan_column>& cols) {
  schema_types t;
  for (const auto& c : cols) t.push_back(c.type);
  return t;
}

plan_column text_column(std::string name) {
  return plan_column{std::move(name), type_id::text, "", false};
}

}  // namespace

json star_select(const json& range_var, const json* where) {
  json target = {
      {"ResTarget",
       {{"val", {{"ColumnRef", {{"fields", json::array({{{"A_Star", json::object()}}})}}}}}}}};
  json sel = {{"targetList", json::array({target})},
              {"fromClause", json::array({{{"RangeVar", range_var}}})},
              {"limitOption", "LIMIT_OPTION_DEFAULT"},
              {"op", "SETOP_NONE"}};
  if (where) sel["whereClause"] = *where;
  return sel;
}

engine::engine(engine_options options) : options_(std::move(options)) {}

engine::~engine() {
  stop_waiting();
  if (group_) {
    {
      std::lock_guard lock(mu_);
      group_->stop = true;
    }
    if (group_->thread.joinable()) group_->thread.join();
  }
  std::vector<std::unique_ptr<kafka_source>> sources;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    commit_wake_.notify_all();
    for (auto& r : relations_)
      if (r->source) {
        r->source->stop();
        sources.push_back(std::move(r->source));
      }
  }
  if (committer_.joinable()) committer_.join();
  // Joined without mu_: a last delivery still finds its relation.
  sources.clear();
  // What they delivered last is kept: a clean stop loses nothing.
  std::unique_lock lock(mu_);
  (void)commit();
  // The relations' state tables go before the store they write to.
  auto relations = std::move(relations_);
  lock.unlock();
  relations.clear();
}

const relation_info* engine::find(std::string_view name) const {
  for (const auto& r : relations_)
    if (r->info.name == name && !r->hidden) return &r->info;
  return nullptr;
}

const relation_info* engine::by_id(uint64_t id) const {
  for (const auto& r : relations_)
    if (r->info.id == id) return &r->info;
  return system_table_by_id(id);
}

const relation_info* engine::system_table(std::string_view schema, std::string_view name) const {
  return find_system_table(schema, name);
}

engine::relation* engine::lookup(std::string_view name) {
  for (auto& r : relations_)
    if (r->info.name == name && !r->hidden) return r.get();
  return nullptr;
}

result<std::vector<statement_result>> engine::execute(std::string_view sql, int64_t now,
                                                      uint64_t session) {
  std::vector<std::unique_ptr<kafka_source>> sources;
  std::vector<std::unique_ptr<kafka_sink>> sinks;
  std::shared_ptr<interrupt> stop = arm(session);
  std::unique_lock lock(mu_);
  session_ = session;
  held_ = &lock;
  stop_ = stop.get();
  must_commit_ = false;
  forwarded_ = group_ && sql.starts_with(forwarded_marker);
  if (forwarded_) sql.remove_prefix(forwarded_marker.size());
  const bool forwarded = forwarded_;
  forward_.reset();
  auto out = execute_locked(sql, now);
  std::optional<forward_request> fwd = std::move(forward_);
  forward_.reset();
  if (group_ && !fwd && is_leader()) check_pipelines();
  // A statement's changes (an INSERT's rows, a new view's state) are
  // durable before it returns; queries leave what sources delivered to
  // the next periodic commit (a client polling would otherwise sync the
  // WAL on every poll).
  if (must_commit_) {
    if (auto c = commit(); !c && out) out = c.error();
  }
  held_ = nullptr;
  stop_ = nullptr;
  sources.swap(retired_sources_);
  sinks.swap(retired_sinks_);
  lock.unlock();
  if (fwd && out && (!fwd->pull.empty() || !fwd->pulled_views.empty())) {
    auto more = run_with_pulled(*fwd, sql.substr(fwd->offset), now, session, forwarded);
    if (!more) {
      auto e = more.error();
      if (e.position >= 0) e.position += static_cast<int>(fwd->offset);
      return e;
    }
    for (auto& r : more.value()) out.value().push_back(std::move(r));
    return out;
  }
  if (fwd && out) {
    // The statement from fwd->offset on runs where its relations are.
    auto rest = sql.substr(fwd->offset);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    const bool cursor = fwd->session_link || !fwd->stream_sql.empty();
    auto more =
        cursor ? forward_cursor(*fwd, rest, session) : forward_statements(fwd->address, rest);
    // The owner follows the catalog too, a little behind this process.
    while (!more && fwd->query && more.error().code == errc::undefined_table &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      more = forward_statements(fwd->address, rest);
    }
    if (!more) {
      auto e = more.error();
      if (e.position >= 0) e.position += static_cast<int>(fwd->offset);
      return e;
    }
    for (auto& r : more.value()) out.value().push_back(std::move(r));
    if (!fwd->must_exist.empty() || !fwd->must_go.empty()) {
      // DDL ran at the leader: this process shows it before it returns.
      std::unique_lock wait(mu_);
      group_->applied.wait_for(wait, std::chrono::seconds(10), [&] {
        for (const auto& n : fwd->must_exist)
          if (!find(n)) return false;
        for (const auto& n : fwd->must_go)
          if (find(n)) return false;
        return true;
      });
    }
  }
  return out;  // what was dropped stops (joins, flushes) here, without mu_
}

result<std::vector<statement_result>> engine::run_with_pulled(const forward_request& f,
                                                              std::string_view rest, int64_t now,
                                                              uint64_t session, bool forwarded) {
  // Each remote relation's rows, from its owner (which answers from its
  // own contents; a relation it does not know yet is asked for again).
  std::map<uint64_t, row_batch> got;
  for (const auto& p : f.pull) {
    if (p.address.empty())
      return make_error(errc::unavailable, -1,
                        "\"{}\" has no SQL process running it right now (rebalancing); retry",
                        p.name);
    std::string quoted = "\"";
    for (char c : p.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += '"';
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    auto rows = forward_statements(p.address, "SELECT * FROM " + quoted);
    while (!rows && rows.error().code == errc::undefined_table &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      rows = forward_statements(p.address, "SELECT * FROM " + quoted);
    }
    if (!rows) {
      auto e = rows.error();
      e.position = -1;
      return e;
    }
    if (rows.value().size() != 1)
      return make_error(errc::internal, -1, "the SQL process at {} answered with {} results",
                        p.address, rows.value().size());
    got[p.id] = std::move(rows.value().front().rows);
  }
  std::vector<std::unique_ptr<kafka_source>> sources;
  std::vector<std::unique_ptr<kafka_sink>> sinks;
  std::unique_lock lock(mu_);
  session_ = session;
  held_ = &lock;
  forwarded_ = forwarded;  // another session's statements ran meanwhile
  // The rows stand in for the remote relations' contents while the
  // statement runs, and go with it.
  for (auto& r : relations_) {
    auto it = got.find(r->info.id);
    if (it == got.end() || !r->remote || it->second.width() != r->types.size()) continue;
    std::swap(r->contents, it->second);
    pulled_.insert(r->info.id);
  }
  for (uint64_t id : f.pulled_views) pulled_.insert(id);
  auto out = execute_locked(rest, now);
  for (auto& r : relations_)
    if (pulled_.count(r->info.id) && r->remote)
      r->contents = row_batch(static_cast<uint32_t>(r->types.size()));
  pulled_.clear();
  if (forward_) {
    // A later statement of the string must run elsewhere: not from here.
    forward_.reset();
    if (out)
      out = make_error(errc::feature_not_supported, -1,
                       "after a query over relations that different SQL processes run, send the "
                       "statements that follow it separately");
  }
  held_ = nullptr;
  sources.swap(retired_sources_);
  sinks.swap(retired_sinks_);
  lock.unlock();
  return out;
}

result<std::vector<std::string>> engine::open_catalog() {
  std::vector<std::string> failed;
  if (!options_.state_dir.empty() && !store_) {
    state_store_options so;
    so.cache_bytes = options_.state_cache_bytes;
    so.operator_cache_bytes = options_.operator_cache_bytes;
    BOOST_OUTCOME_TRY(auto st, state_store::open(options_.state_dir, so));
    auto meta = st->table(0);
    // The format of docs/format/sql-state.md, version 3. Version 1 stored
    // every column of a join's rows; its views are flagged as it is read
    // (upgrade_state) and those with a join that now leaves columns out are
    // recomputed. Version 2 keyed the rows of a relation with a primary key
    // by the row alone: restore() moves them under the key when it meets
    // them.
    auto v = meta->get("v");
    if (v && *v != "1" && *v != "2" && *v != "3")
      return make_error(errc::io_error, -1,
                        "the SQL state in {} has format version {}, this runnel reads versions 1 "
                        "to 3: run the runnel that wrote it, or move the directory away to "
                        "recompute every view from its sources",
                        options_.state_dir.string(), *v);
    if (v && *v == "1") upgrade_state(*meta);
    meta->put("v", "3");
    std::lock_guard lock(mu_);
    store_ = std::move(st);
    meta_ = std::move(meta);
  }
  std::unique_ptr<catalog_log> log;
  if (!options_.catalog_topic.empty()) {
    client::client_config cluster;
    cluster.brokers = options_.brokers;
    cluster.client_id = "runnel-sql";
    BOOST_OUTCOME_TRY(log, catalog_log::open(cluster, options_.catalog_topic));
    // --share: only the group's leader writes it, from its first plan on.
    if (options_.group) log->share();
  }
  std::vector<std::unique_ptr<kafka_source>> sources;
  std::vector<std::unique_ptr<kafka_sink>> sinks;
  std::unique_lock lock(mu_);
  held_ = &lock;
  session_ = 0;
  catalog_ = std::move(log);
  std::vector<catalog_entry> entries;
  if (catalog_) entries = catalog_->entries();
  // Exactly-once sinks: fences the previous process and finds out whether
  // its last epoch must be replayed, before any source starts.
  if (auto e = recover_sink_epochs(); !e) {
    held_ = nullptr;
    return e.error();
  }
  // State that no catalog entry owns goes before anything is re-created.
  collect_garbage(entries);
  if (auto c = commit(); !c) {
    held_ = nullptr;
    return c.error();
  }
  // Sharing: every pipeline is remote until the group assigns it.
  remote_default_ = options_.group != nullptr;
  for (const auto& e : entries) {
    replaying_ = &e;
    next_id_ = e.id;  // the same id as before: views name what they read by id
    auto r = execute_locked(e.sql, 0);
    replaying_ = nullptr;
    if (!r || !find(e.name)) {
      std::string why = r ? "it did not re-create it" : r.error().message;
      spdlog::error("sql catalog: cannot re-create \"{}\": {}", e.name, why);
      failed.push_back(e.name + ": " + why);
    }
    next_id_ = std::max(next_id_, e.id + 1);
  }
  remote_default_ = false;
  auto c = commit();
  if (store_ && !committer_.joinable()) committer_ = std::thread([this] { commit_loop(); });
  if (replay_to_) {
    // Serving starts once the sources have read again what the lost epoch
    // read (each delivers up to its marker offsets and holds the rest).
    if (replay_pending_.empty()) finish_replay();
    bool done = replay_done_.wait_for(lock, options_.recovery_timeout,
                                      [&] { return !replay_to_.has_value(); });
    if (!done && c) {
      std::string missing;
      for (uint64_t id : replay_pending_)
        if (const auto* info = by_id(id)) missing += (missing.empty() ? "" : ", ") + info->name;
      c = make_error(errc::io_error, -1,
                     "exactly-once sinks: the sources did not read again what epoch {} read "
                     "within {} ms (still reading: {}); were records deleted from their topics?",
                     replay_epoch_, options_.recovery_timeout.count(), missing);
    }
  }
  sources.swap(retired_sources_);
  sinks.swap(retired_sinks_);
  held_ = nullptr;
  lock.unlock();
  if (!c) return c.error();
  return failed;
}

result<void> engine::log_created(const std::string& name) {
  if (!catalog_ || replaying_) return outcome::success();
  relation* r = lookup(name);
  if (!r) return outcome::success();
  catalog_entry e;
  e.name = name;
  e.id = r->info.id;
  e.sql = r->info.definition;
  if (r->source) e.start_offsets = r->source->start_offsets();
  if (auto w = catalog_->put(e); !w) {
    retire(*r);
    uint64_t id = r->info.id;
    std::erase_if(relations_, [&](const std::unique_ptr<relation>& v) { return v->info.id == id; });
    forget_state(id);
    return w.error();
  }
  return outcome::success();
}

void engine::retire(relation& r) {
  if (r.source) {
    r.source->stop();
    retired_sources_.push_back(std::move(r.source));
  }
  if (r.out) retired_sinks_.push_back(std::move(r.out));
  if (r.connector.empty() || !options_.connectors) return;
  // The sink is gone whatever the worker answers; a connector left behind
  // is logged (DELETE /connectors/sql-<name> removes it).
  if (auto d = options_.connectors->remove(r.connector); !d)
    spdlog::warn("sql sink \"{}\": cannot delete connector {}: {}", r.info.name, r.connector,
                 d.error().message);
  r.connector.clear();
}

void engine::ingest(uint64_t id, row_batch changes, source_progress progress) {
  std::lock_guard lock(mu_);
  relation* r = nullptr;
  for (auto& x : relations_)
    if (x->info.id == id) r = x.get();
  if (!r) return;  // dropped while the batch was on its way
  // An epoch's writes wait in memory for the commit: a source reading a
  // backlog (a restart, a new source over a long topic) delivers faster
  // than the commit thread gets the engine, so the epoch is committed
  // here once it holds a quarter of the state cache's worth.
  if (store_ && store_->pending_bytes() >=
                    std::clamp<size_t>(options_.state_cache_bytes / 4, 4 << 20, 64 << 20))
    (void)commit();
  int64_t now = wall_clock_micros();
  for (auto& v : relations_)
    if (v->is_view()) v->flow->tick(now);
  apply_pending(now);
  // With a state directory a keyed source hands over keys and rows, and
  // the rows they replace come from the store.
  if (r->stored && r->source && r->source->keyed()) changes = take_keyed(*r, progress);
  std::vector<std::pair<int, int64_t>> moved;
  for (auto& w : r->watermarks) {
    arena scratch;
    eval_context c;
    c.strings = &scratch;
    c.now = now;
    int64_t top = w.value;
    for (size_t i = 0; i < changes.size(); ++i) {
      if (changes.weight(i) <= 0) continue;
      datum d = w.e->eval(changes.row(i), c);
      if (!d.is_null() && d.as_int() > top) top = d.as_int();
    }
    if (top > w.value) {
      w.value = top;
      moved.emplace_back(w.column, top);
    }
  }
  store_source(*r, progress);
  if (!changes.empty()) apply(*r, std::move(changes), now);
  if (!moved.empty()) {
    store_watermarks(*r);
    for (auto& v : relations_)
      if (v->is_view() && v->reads.count(id))
        for (const auto& [col, value] : moved) v->flow->watermark(id, col, value);
    apply_pending(now);
  }
  if (progress.at_hold) replay_reached(id);
}

void engine::write_sink(relation& v, const row_batch& changes) {
  if (muted_ && v.out->exactly_once()) return;
  v.out->write(changes);
}

result<std::vector<statement_result>> engine::execute_locked(std::string_view sql, int64_t now) {
  if (now == 0) now = wall_clock_micros();
  // Drivers' catalog queries runnel's SQL runs in another form (driver_queries.h).
  std::string rewritten;
  if (auto r = rewrite_driver_query(sql)) {
    rewritten = std::move(*r);
    sql = rewritten;
  }
  // psql's \d name: catalog queries answered by their shape (psql_describe.h).
  if (sql.starts_with("SELECT ") && sql.find("pg_catalog.pg_") != std::string_view::npos) {
    std::vector<described_relation> rels;
    for (const auto& r : relations_)
      if (!r->hidden) rels.push_back({&r->info, r->not_null});
    if (auto d = psql_describe(sql, rels)) {
      std::vector<statement_result> out;
      out.push_back(std::move(*d));
      return out;
    }
  }
  BOOST_OUTCOME_TRY(auto stmts, parse_sql(sql));
  // Several statements in one string run in an implicit transaction block
  // (a cursor declared in it ends with the string), as PostgreSQL's.
  struct implicit_block {
    engine& e;
    uint64_t session;
    bool on;
    ~implicit_block() {
      if (!on) return;
      e.implicit_block_.erase(session);
      if (!e.in_transaction_.count(session)) e.end_transaction(session, true);
    }
  } block{*this, session_, stmts.size() > 1 && !in_transaction_.count(session_)};
  if (block.on) implicit_block_.insert(session_);
  std::vector<statement_result> out;
  for (size_t k = 0; k + 1 < stmts.size(); ++k)
    if (stmts[k].kind == stmt_kind::subscribe)
      return make_error(errc::feature_not_supported, static_cast<int>(stmts[k].offset),
                        "SUBSCRIBE streams until it is cancelled: it must be the last statement");
  for (const auto& s : stmts) {
    // Cancelled while it waited for the engine or ran the statements
    // before, or out of time waiting; each statement has its own
    // statement_timeout (the first's counts from before the wait).
    if (stop_ && &s != &stmts.front()) stop_->start_clock();
    if (stop_ && stop_->due()) return stop_->error();
    // Views with now() in them see the clock move before each statement.
    for (auto& r : relations_)
      if (r->is_view()) r->flow->tick(now);
    apply_pending(now);
    auto r = run(s, now);
    if (forward_) {
      forward_->offset = s.offset;
      return out;  // the rest runs in another process (execute())
    }
    if (!r) {
      auto e = r.error();
      if (e.position >= 0) e.position += static_cast<int>(s.offset);
      return e;
    }
    out.push_back(std::move(r.value()));
  }
  return out;
}

void engine::apply_pending(int64_t now) {
  std::map<uint64_t, std::vector<row_batch>> changes;
  propagate(changes, now);
}

void engine::apply(relation& r, row_batch changes, int64_t now) {
  std::map<uint64_t, std::vector<row_batch>> pending;
  add_contents(r, changes);
  notify(r.info.id, changes, now);
  pending[r.info.id].push_back(std::move(changes));
  propagate(pending, now);
}

void engine::propagate(std::map<uint64_t, std::vector<row_batch>>& pending, int64_t now) {
  for (auto& v : relations_) {
    if (!v->is_view()) continue;
    v->env.now = now;
    for (uint64_t dep : v->reads) {
      auto it = pending.find(dep);
      if (it == pending.end()) continue;
      for (const auto& b : it->second) v->flow->push(dep, b);
    }
    row_batch out = v->sink->take();
    if (out.empty()) continue;
    if (v->out) {
      write_sink(*v, out);
      continue;
    }
    add_contents(*v, out);
    notify(v->info.id, out, now);
    pending[v->info.id].push_back(std::move(out));
  }
}

result<statement_result> engine::run(const statement& s, int64_t now) {
  bool reads = s.kind == stmt_kind::show || s.kind == stmt_kind::describe ||
               s.kind == stmt_kind::declare || s.kind == stmt_kind::fetch ||
               s.kind == stmt_kind::close_cursor || s.kind == stmt_kind::subscribe;
  if (s.kind == stmt_kind::pg)
    reads = s.node.contains("SelectStmt") || s.node.contains("ExplainStmt") ||
            s.node.contains("VariableSetStmt") || s.node.contains("VariableShowStmt") ||
            s.node.contains("TransactionStmt") || s.node.contains("DeallocateStmt");
  if (!reads) must_commit_ = true;  // CREATE, DROP, INSERT, DELETE, FLUSH, ...
  if (group_ && !replaying_) {
    BOOST_OUTCOME_TRY(route_ddl(s));
    if (forward_) return make_error(errc::internal, -1, "forwarded");
  }
  switch (s.kind) {
    case stmt_kind::create_view:
    case stmt_kind::create_source:
    case stmt_kind::create_sink: {
      bool existed = find(s.name) != nullptr;
      auto r = s.kind == stmt_kind::create_view     ? create_view(s, now)
               : s.kind == stmt_kind::create_source ? create_source(s, now)
                                                    : create_sink(s, now);
      if (r && !existed) {
        BOOST_OUTCOME_TRY(log_created(s.name));
      }
      return r;
    }
    case stmt_kind::drop:
      return drop(s);
    case stmt_kind::alter_rename:
      return alter_rename(s);
    case stmt_kind::show:
      return show(s);
    case stmt_kind::describe:
      return describe(s);
    case stmt_kind::declare:
      return declare(s, now);
    case stmt_kind::fetch:
      return fetch(s);
    case stmt_kind::close_cursor:
      return close_cursor(s);
    case stmt_kind::subscribe:
      return subscribe(s, now);
    case stmt_kind::flush:
      return flush();
    case stmt_kind::pg:
      break;
    default:
      return make_error(errc::feature_not_supported, 0,
                        "this statement is not supported in this version");
  }
  const json& n = s.node;
  if (n.contains("SelectStmt")) return select(n["SelectStmt"], s, now);
  if (n.contains("CreateStmt")) {
    std::string name = n["CreateStmt"]["relation"].value("relname", "");
    bool existed = find(name) != nullptr;
    auto r = create_table(s);
    if (r && !existed) {
      BOOST_OUTCOME_TRY(log_created(name));
    }
    return r;
  }
  if (n.contains("InsertStmt")) return insert(s, now);
  if (n.contains("DeleteStmt")) return remove(s, now);
  if (n.contains("UpdateStmt")) return update(s, now);
  if (n.contains("ExplainStmt")) return explain(s);
  if (n.contains("VariableSetStmt")) return set_variable(n["VariableSetStmt"]);
  if (n.contains("VariableShowStmt")) return show_variable(n["VariableShowStmt"]);
  if (n.contains("TransactionStmt")) return transaction(n["TransactionStmt"]);
  // The prepared statements are the server's (pgwire/server.cc drops them).
  if (n.contains("DeallocateStmt"))
    return statement_result{
        {}, row_batch(0), n["DeallocateStmt"].contains("name") ? "DEALLOCATE" : "DEALLOCATE ALL"};
  return make_error(errc::feature_not_supported, 0,
                    "this statement is not supported in this version");
}

result<statement_result> engine::create_table(const statement& s) {
  const json& c = s.node["CreateStmt"];
  std::string name = c["relation"].value("relname", "");
  int loc = c["relation"].value("location", -1);
  if (find(name)) {
    if (c.value("if_not_exists", false)) return statement_result{{}, row_batch(0), "CREATE TABLE"};
    return make_error(errc::duplicate_object, loc, "relation \"{}\" already exists", name);
  }
  auto r = std::make_unique<relation>();
  r->info.id = next_id_++;
  r->info.name = name;
  r->info.kind = relation_kind::table;
  r->info.definition = s.sql;
  BOOST_OUTCOME_TRY(define_columns(c, *r));
  if (remote_default_) {
    r->remote = true;
    relations_.push_back(std::move(r));
    return statement_result{{}, row_batch(0), "CREATE TABLE"};
  }
  if (options_.group) {
    // Sharing: the rows are the topic's, wherever the table ran before.
    client::client_config cluster;
    cluster.brokers = options_.brokers;
    cluster.client_id = "runnel-sql";
    BOOST_OUTCOME_TRY(
        r->log, table_log::open(cluster, table_topic(r->info.id), !r->info.primary_key.empty()));
    BOOST_OUTCOME_TRY(auto records, r->log->read_all());
    // Keyed: each key's last record is its row (none after a tombstone).
    std::vector<std::string> changes;
    if (r->log->keyed()) {
      std::map<std::string, size_t> last;
      for (size_t i = 0; i < records.size(); ++i)
        if (records[i].key) last[*records[i].key] = i;
      std::vector<size_t> live;
      for (const auto& [k, i] : last)
        if (records[i].value) live.push_back(i);
      std::sort(live.begin(), live.end());
      for (size_t i : live) changes.push_back(*records[i].value);
    } else {
      for (const auto& rec : records)
        if (rec.value) changes.push_back(*rec.value);
    }
    row_batch rows(static_cast<uint32_t>(r->types.size()));
    for (const auto& v : changes) {
      size_t pos = 0;
      int64_t count = 0;
      if (!codec::read_svarint(v, pos, count))
        return make_error(errc::io_error, -1, "table \"{}\": a change in its topic does not read",
                          name);
      datum* d = rows.add(count);
      if (!decode_row(r->types, v, pos, d, rows.strings()))
        return make_error(errc::io_error, -1, "table \"{}\": a change in its topic does not read",
                          name);
    }
    consolidate(rows, r->types);
    // State this process kept from an earlier turn is older than the topic;
    // it goes before the rows are written again (a drop is applied at the
    // commit, after the batch's writes: as create_view does, commit first).
    forget_state(r->info.id);
    BOOST_OUTCOME_TRY(commit());
    attach_state(*r);
    mark_stored(*r);
    add_contents(*r, rows);
    relations_.push_back(std::move(r));
    return statement_result{{}, row_batch(0), "CREATE TABLE"};
  }
  attach_state(*r);
  if (has_state(*r))
    restore(*r);  // a restart: the rows INSERT wrote
  else
    mark_stored(*r);
  relations_.push_back(std::move(r));
  return statement_result{{}, row_batch(0), "CREATE TABLE"};
}

result<void> engine::define_columns(const json& c, relation& rel) {
  relation* r = &rel;
  const std::string& name = r->info.name;
  int loc = c.contains("relation") ? c["relation"].value("location", -1) : -1;
  std::vector<std::string> pk_names;
  for (const auto& e : c.value("tableElts", json::array())) {
    if (e.contains("ColumnDef")) {
      const json& d = e["ColumnDef"];
      BOOST_OUTCOME_TRY(auto t, bind_type_name(d["typeName"]));
      std::string col = d.value("colname", "");
      for (const auto& existing : r->info.columns)
        if (existing.name == col)
          return make_error(errc::duplicate_object, d.value("location", -1),
                            "column \"{}\" specified more than once", col);
      r->info.columns.push_back(plan_column{col, t, name, false});
      bool not_null = false;
      for (const auto& k : d.value("constraints", json::array())) {
        std::string ct = k["Constraint"].value("contype", "");
        if (ct == "CONSTR_PRIMARY") pk_names.push_back(col);
        if (ct == "CONSTR_NOTNULL" || ct == "CONSTR_PRIMARY") not_null = true;
      }
      r->not_null.push_back(not_null);
    } else if (e.contains("Constraint") &&
               e["Constraint"].value("contype", "") == "CONSTR_PRIMARY") {
      for (const auto& k : e["Constraint"]["keys"]) pk_names.push_back(str_of(k));
    } else {
      return make_error(errc::feature_not_supported, location_of(e),
                        "this table element is not supported");
    }
  }
  for (const auto& k : pk_names) {
    int found = -1;
    for (size_t i = 0; i < r->info.columns.size(); ++i)
      if (r->info.columns[i].name == k) found = static_cast<int>(i);
    if (found < 0)
      return make_error(errc::undefined_column, loc, "column \"{}\" named in key does not exist",
                        k);
    if (std::find(r->info.primary_key.begin(), r->info.primary_key.end(), found) ==
        r->info.primary_key.end())
      r->info.primary_key.push_back(found);
    r->not_null[static_cast<size_t>(found)] = true;
  }
  r->types = types_of(r->info.columns);
  r->set_contents(row_batch(static_cast<uint32_t>(r->types.size())));
  return outcome::success();
}

result<std::unique_ptr<engine::relation>> engine::maintain(const json& query, const statement& s,
                                                           int64_t now) {
  bind_options opt;
  opt.catalog = this;
  opt.now = now;
  opt.streaming = true;
  opt.temporal_joins = s.temporal_joins;
  BOOST_OUTCOME_TRY(auto q, bind_query(query, opt));
  BOOST_OUTCOME_TRY(auto plan, rewrite(q.root, true));
  auto r = std::make_unique<relation>();
  r->info.id = next_id_++;
  r->info.name = s.name;
  r->info.definition = s.sql;
  r->info.columns = plan->columns;
  if (!s.column_names.empty()) {
    if (s.column_names.size() > r->info.columns.size())
      return make_error(errc::syntax_error, s.name_pos,
                        "CREATE VIEW specifies more column names than columns");
    for (size_t i = 0; i < s.column_names.size(); ++i) r->info.columns[i].name = s.column_names[i];
  }
  for (auto& c : r->info.columns) c.qualifier = s.name;
  r->info.deps = q.deps;
  r->types = types_of(r->info.columns);
  r->set_contents(row_batch(static_cast<uint32_t>(r->types.size())));
  if (s.emit_on_window_close) {
    BOOST_OUTCOME_TRY(set_emit_on_window_close(*plan));
  }
  r->info.append_only = plan->append_only;
  r->info.primary_key = plan->unique_key;
  r->plan = plan;
  r->env.streaming = true;
  r->env.now = now;
  r->env.name = s.name;
  r->env.new_table = [] { return make_memory_table(); };
  for (const auto& [name, id] : q.deps) {
    const relation_info* d = by_id(id);
    // A plain view is inlined: the view reads what it reads.
    if (d && d->kind == relation_kind::view)
      for (const auto& [n2, id2] : d->deps) r->reads.insert(id2);
    else
      r->reads.insert(id);
  }
  // Sharing: it runs where what it reads runs.
  r->remote = r->reads.empty() && remote_default_;
  for (uint64_t id : r->reads)
    for (const auto& other : relations_)
      if (other->info.id == id && other->remote) r->remote = true;
  if (r->remote) return r;
  // Its committed state is resumed only if what it reads was too: over an
  // input that starts again from nothing (its own state was lost) it must
  // be recomputed, so the old state goes before the tables load it.
  if (has_state(*r)) {
    bool inputs_restored = true;
    for (uint64_t id : r->reads)
      for (const auto& other : relations_)
        if (other->info.id == id && !other->restored) inputs_restored = false;
    if (!inputs_restored) {
      spdlog::warn("sql state: \"{}\" is recomputed: what it reads lost its state", s.name);
      forget_state(r->info.id);
      BOOST_OUTCOME_TRY(commit());
    } else if (stale_join_state(*r, *plan)) {
      spdlog::warn(
          "sql state: \"{}\" is recomputed: its joins' state has the layout of format "
          "version 1",
          s.name);
      forget_state(r->info.id);
      BOOST_OUTCOME_TRY(commit());
    }
  }
  attach_state(*r);  // RocksDB tables, in build order
  BOOST_OUTCOME_TRY(r->flow, dataflow::build(*plan, r->env));
  r->sink = std::make_unique<change_sink>(r->env, static_cast<uint32_t>(r->types.size()));
  r->flow->add_output(r->sink.get(), 0);
  return r;
}

namespace {

// The relations a temporal join looks rows up in (the scans under its right
// side): they go into a new view before the rest, so that the left rows
// already there find the lookup side as it is now, not empty.
void lookup_sides(const plan_node& n, bool lookup, std::set<uint64_t>& out) {
  if (n.kind == plan_kind::scan && lookup && n.relation) out.insert(n.relation->id);
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (n.inputs[i])
      lookup_sides(*n.inputs[i], lookup || (n.kind == plan_kind::join && n.temporal && i == 1),
                   out);
}

}  // namespace

void engine::start_from_inputs(relation& r) {
  r.flow->on_create();
  std::set<uint64_t> first;
  if (r.plan) lookup_sides(*r.plan, false, first);
  std::vector<uint64_t> order(first.begin(), first.end());
  for (uint64_t id : r.reads)
    if (!first.count(id)) order.push_back(id);
  for (uint64_t id : order)
    for (auto& other : relations_) {
      if (other->info.id != id) continue;
      // A piece at a time, each piece's output taken before the next: an
      // input larger than memory makes a view larger than memory.
      scan_contents(*other, [&](const row_batch& rows) {
        if (r.env.interrupted_now()) return false;
        r.flow->push(id, rows);
        if (r.env.stopped) return false;
        if (r.out)
          r.out->write(r.sink->take());
        else
          add_contents(r, r.sink->take());
        return true;
      });
      if (r.env.stopped) return;
      for (const auto& w : other->watermarks)
        if (w.value != std::numeric_limits<int64_t>::min())
          r.flow->watermark(id, w.column, w.value);
    }
}

void engine::resume_watermarks(relation& r) {
  for (uint64_t id : r.reads)
    for (auto& other : relations_) {
      if (other->info.id != id) continue;
      for (const auto& w : other->watermarks)
        if (w.value != std::numeric_limits<int64_t>::min())
          r.flow->watermark(id, w.column, w.value);
    }
}

result<statement_result> engine::create_view(const statement& s, int64_t now) {
  const char* tag = s.materialized ? "CREATE MATERIALIZED VIEW" : "CREATE VIEW";
  if (find(s.name)) {
    if (s.if_not_exists) return statement_result{{}, row_batch(0), tag};
    return make_error(errc::duplicate_object, s.name_pos, "relation \"{}\" already exists", s.name);
  }
  if (!s.materialized) {
    bind_options opt;
    opt.catalog = this;
    opt.now = now;
    opt.temporal_joins = s.temporal_joins;
    BOOST_OUTCOME_TRY(auto q, bind_query(s.node, opt));
    BOOST_OUTCOME_TRY(auto plan, rewrite(q.root, false));
    auto r = std::make_unique<relation>();
    r->info.id = next_id_++;
    r->info.name = s.name;
    r->info.definition = s.sql;
    r->info.columns = plan->columns;
    if (!s.column_names.empty()) {
      if (s.column_names.size() > r->info.columns.size())
        return make_error(errc::syntax_error, s.name_pos,
                          "CREATE VIEW specifies more column names than columns");
      for (size_t i = 0; i < s.column_names.size(); ++i)
        r->info.columns[i].name = s.column_names[i];
    }
    for (auto& c : r->info.columns) c.qualifier = s.name;
    r->info.deps = q.deps;
    r->types = types_of(r->info.columns);
    r->set_contents(row_batch(static_cast<uint32_t>(r->types.size())));
    r->info.kind = relation_kind::view;
    r->info.query = std::make_shared<const json>(s.node);
    r->info.temporal_joins = s.temporal_joins;
    // Sharing: it is where what it reads is (it holds nothing itself).
    r->remote = r->info.deps.empty() && remote_default_;
    for (const auto& [n, id] : r->info.deps)
      for (const auto& other : relations_)
        if (other->info.id == id && other->remote) r->remote = true;
    relations_.push_back(std::move(r));
    return statement_result{{}, row_batch(0), tag};
  }
  BOOST_OUTCOME_TRY(auto r, maintain(s.node, s, now));
  r->info.kind = relation_kind::materialized_view;
  if (r->remote) {
    relations_.push_back(std::move(r));
    return statement_result{{}, row_batch(0), tag};
  }
  if (has_state(*r)) {
    // A restart: its operators' state and contents are as committed, with
    // the offsets its sources resume from; only watermarks are re-sent.
    restore(*r);
    resume_watermarks(*r);
    add_contents(*r, r->sink->take());
  } else {
    // Its first load is the one part of the statement that can run long:
    // a cancel or statement_timeout stops it, and the view goes with what
    // it wrote (nothing is committed before the statement returns).
    r->env.stop = stop_;
    start_from_inputs(*r);
    r->env.stop = nullptr;
    if (r->env.stopped) {
      sql_error e = r->env.error.value_or(sql_error{errc::query_canceled, "canceled", -1, {}, {}});
      forget_state(r->info.id);
      return e;
    }
    add_contents(*r, r->sink->take());
    mark_stored(*r);
  }
  relations_.push_back(std::move(r));
  return statement_result{{}, row_batch(0), tag};
}

result<statement_result> engine::create_source(const statement& s, int64_t now) {
  (void)now;
  const char* tag = s.is_table ? "CREATE TABLE" : "CREATE SOURCE";
  if (find(s.name)) {
    if (s.if_not_exists) return statement_result{{}, row_batch(0), tag};
    return make_error(errc::duplicate_object, s.name_pos, "relation \"{}\" already exists", s.name);
  }
  BOOST_OUTCOME_TRY(auto opts, read_source_options(s, options_.brokers));
  if (replaying_) opts.pinned_offsets = replaying_->start_offsets;
  auto r = std::make_unique<relation>();
  r->info.id = next_id_++;
  r->info.name = s.name;
  r->info.kind = s.is_table ? relation_kind::table : relation_kind::source;
  r->info.definition = s.sql;
  const json& c = s.node["CreateStmt"];
  if (!c.contains("tableElts"))
    return make_error(errc::feature_not_supported, s.name_pos,
                      "a Kafka source needs its columns: CREATE {} {} (column type, ...)",
                      s.is_table ? "TABLE" : "SOURCE", s.name);
  BOOST_OUTCOME_TRY(define_columns(c, *r));
  if (opts.encode.what == kafka_encoding::kind::bytes &&
      (r->info.columns.size() != 1 || r->types[0].id != type_id::bytea))
    return make_error(errc::invalid_parameter, s.name_pos,
                      "ENCODE BYTES reads each record's value into one bytea column: CREATE {} "
                      "{} (payload BYTEA) ...",
                      s.is_table ? "TABLE" : "SOURCE", s.name);
  kafka_source_layout layout;
  layout.value_columns = r->info.columns.size();
  for (const auto& inc : s.includes) {
    sql_type t;
    if (inc.what == "key" || inc.what == "header") {
      t = inc.type == "varchar" || inc.type == "text" ? type_id::text : type_id::bytea;
    } else if (inc.what == "headers") {
      t = type_id::jsonb;  // [{"key": ..., "value": ...}, ...]: runnel has no struct arrays
    } else if (inc.what == "partition" || inc.what == "offset") {
      t = type_id::text;
    } else if (inc.what == "timestamp") {
      t = type_id::timestamptz;
    } else {
      return make_error(errc::feature_not_supported, inc.position,
                        "INCLUDE {} is not supported: key, partition, offset, timestamp, "
                        "header 'name' or headers",
                        inc.what);
    }
    std::string col = inc.alias;
    if (col.empty())
      col = inc.what == "header"    ? "_rw_kafka_header_" + inc.header
            : inc.what == "headers" ? std::string("_rw_kafka_header")
                                    : "_rw_kafka_" + inc.what;
    for (const auto& existing : r->info.columns)
      if (existing.name == col)
        return make_error(errc::duplicate_object, inc.position,
                          "column \"{}\" specified more than once", col);
    r->info.columns.push_back(plan_column{col, t, s.name, false});
    r->not_null.push_back(false);
    layout.includes.emplace_back(inc.what, inc.header);
  }
  r->types = types_of(r->info.columns);
  r->set_contents(row_batch(static_cast<uint32_t>(r->types.size())));
  if (opts.upsert && r->info.primary_key.empty())
    return make_error(errc::invalid_parameter, s.name_pos,
                      "FORMAT UPSERT needs a primary key: PRIMARY KEY (column, ...)");
  if (opts.upsert && !s.is_table)
    return make_error(errc::feature_not_supported, s.name_pos,
                      "FORMAT UPSERT is for tables: CREATE TABLE {} (...) WITH (...) FORMAT "
                      "UPSERT ENCODE JSON",
                      s.name);
  // A source keeps every row it read (it is append-only); a table is the
  // current row of each key.
  r->info.append_only = !opts.upsert && r->info.primary_key.empty();
  if (!opts.upsert) layout.primary_key = r->info.primary_key;
  for (const auto& w : s.watermarks) {
    relation::watermark wm;
    for (size_t i = 0; i < r->info.columns.size(); ++i)
      if (r->info.columns[i].name == w.column) wm.column = static_cast<int>(i);
    if (wm.column < 0)
      return make_error(errc::undefined_column, w.column_pos, "column \"{}\" does not exist",
                        w.column);
    type_id wt = r->types[static_cast<size_t>(wm.column)].id;
    if (wt != type_id::timestamp && wt != type_id::timestamptz)
      return make_error(errc::datatype_mismatch, w.column_pos,
                        "a watermark column is a timestamp, not {}",
                        type_name(r->types[static_cast<size_t>(wm.column)]));
    bind_options opt;
    opt.catalog = this;
    BOOST_OUTCOME_TRY(auto e, bind_expression(w.expr, r->info.columns, opt));
    if (e->type.id != wt) {
      BOOST_OUTCOME_TRY(e, make_cast(e, r->types[static_cast<size_t>(wm.column)], w.column_pos));
    }
    wm.e = e;
    r->watermarks.push_back(std::move(wm));
    r->info.watermarks.push_back(r->watermarks.back().column);
  }
  layout.columns = r->info.columns;
  // A column renamed after the source was created reads the field it read
  // (OPTIONS (column_name '…'), ALTER … RENAME COLUMN).
  {
    size_t i = 0;
    for (const auto& e : c["tableElts"])
      if (e.contains("ColumnDef") && i < layout.value_columns)
        layout.columns[i++].name = source_field_name(e["ColumnDef"]);
  }
  uint64_t id = r->info.id;
  if (remote_default_) {
    r->remote = true;
    relations_.push_back(std::move(r));
    return statement_result{{}, row_batch(0), tag};
  }
  if (replay_to_) {
    // An exactly-once recovery: read up to what the lost epoch had read.
    std::vector<std::pair<int32_t, int64_t>> hold;
    if (auto it = replay_to_->find(id); it != replay_to_->end())
      hold.assign(it->second.begin(), it->second.end());
    opts.hold_at = std::move(hold);
  }
  attach_state(*r);
  if (has_state(*r)) {
    // A restart: its rows, each key's current row and its watermarks as
    // committed, read on from the offsets committed with them.
    restore(*r);
    std::map<int32_t, int64_t> at(opts.pinned_offsets.begin(), opts.pinned_offsets.end());
    for (const auto& [p, o] : r->offsets) at[p] = o;
    opts.pinned_offsets.assign(at.begin(), at.end());
  } else {
    mark_stored(*r);
  }
  // With a state directory each key's current row is in the store
  // (take_keyed), not in the source's memory.
  opts.reader_keeps_rows = store_ != nullptr;
  r->upsert = opts.upsert;
  kafka_source::deliver_fn deliver = [this, id](row_batch changes, source_progress progress) {
    ingest(id, std::move(changes), std::move(progress));
  };
  BOOST_OUTCOME_TRY(r->source, kafka_source::start(opts, std::move(layout), std::move(deliver)));
  if (replay_to_) replay_pending_.insert(id);
  relations_.push_back(std::move(r));
  return statement_result{{}, row_batch(0), tag};
}

result<statement_result> engine::create_sink(const statement& s, int64_t now) {
  if (find(s.name)) {
    if (s.if_not_exists) return statement_result{{}, row_batch(0), "CREATE SINK"};
    return make_error(errc::duplicate_object, s.name_pos, "relation \"{}\" already exists", s.name);
  }
  std::optional<connector_sink_options> via;  // a sink through a Connect connector
  kafka_sink_options opts;
  if (is_connector_sink(s)) {
    BOOST_OUTCOME_TRY(via, read_connector_sink_options(s, options_.brokers));
    if (!options_.connectors)
      return make_error(errc::feature_not_supported, s.with.position,
                        "connector '{}' needs a Kafka Connect worker, which this SQL process "
                        "does not have (runnel sql and runnel serve --sql-listen have one)",
                        via->connector);
    opts = via->kafka;
  } else {
    BOOST_OUTCOME_TRY(opts, read_sink_options(s, options_.brokers));
  }
  json query = s.node;
  if (!s.from.empty()) {
    json range = {
        {"relname", s.from}, {"inh", true}, {"relpersistence", "p"}, {"location", s.from_pos}};
    query = star_select(range, nullptr);
  } else if (query.contains("SelectStmt")) {
    query = json(s.node["SelectStmt"]);
  }
  BOOST_OUTCOME_TRY(auto r, maintain(query, s, now));
  r->info.kind = relation_kind::sink;
  if (!opts.upsert && !opts.force_append_only && !r->plan->append_only)
    return make_error(errc::invalid_parameter, s.name_pos,
                      "the sink's input updates and deletes rows, which an append-only sink "
                      "cannot write: use FORMAT UPSERT ENCODE JSON (with a primary key), or "
                      "force_append_only = 'true' to drop the deletes");
  std::vector<int> key;
  if (opts.upsert) {
    if (!opts.primary_key.empty()) {
      std::string_view rest = opts.primary_key;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view part = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        int found = -1;
        for (size_t i = 0; i < r->info.columns.size(); ++i)
          if (r->info.columns[i].name == part) found = static_cast<int>(i);
        if (found < 0)
          return make_error(errc::undefined_column, s.with.position,
                            "primary_key names \"{}\", which the sink's input does not have", part);
        key.push_back(found);
      }
    } else {
      key = r->info.primary_key;
    }
    if (key.empty())
      return make_error(errc::invalid_parameter, s.name_pos,
                        "an upsert sink needs a key and its input has none: WITH (..., "
                        "primary_key = 'column, ...')");
  }
  std::vector<std::string> key_names;
  for (int k : key) key_names.push_back(r->info.columns[static_cast<size_t>(k)].name);
  if (r->remote) {
    relations_.push_back(std::move(r));
    return statement_result{{}, row_batch(0), "CREATE SINK"};
  }
  client::producer* transactional = nullptr;
  if (opts.exactly_once) {
    if (via)
      return make_error(errc::feature_not_supported, s.with.position,
                        "is_exactly_once is for Kafka sinks (connector = 'kafka'); connector "
                        "'{}' has its own delivery guarantee",
                        via->connector);
    if (!store_ || options_.catalog_topic.empty())
      return make_error(errc::feature_not_supported, s.with.position,
                        "is_exactly_once needs a durable SQL process, whose state and sinks' "
                        "transactions survive a restart: runnel sql --state-dir DIR "
                        "--catalog-topic TOPIC (runnel serve --sql-listen has both)");
    if (opts.client.brokers != options_.brokers)
      return make_error(errc::feature_not_supported, s.with.position,
                        "is_exactly_once: a transaction covers one cluster, so the sink writes "
                        "to the SQL process's own ({}), not to {}",
                        options_.brokers, opts.client.brokers);
    if (auto e = start_sink_epochs(); !e) {
      sql_error err = e.error();
      err.position = s.with.position;
      return err;
    }
    transactional = epochs_->producer();
  }
  BOOST_OUTCOME_TRY(r->out,
                    kafka_sink::start(opts, r->info.columns, std::move(key), transactional));
  r->sink_type = via ? via->connector : "kafka";
  r->sink_topic = opts.topic;
  if (via) {
    // The connector reads the topic from where its consumer group (or, for
    // an exactly-once sink such as JDBC, its target) left off; a restart
    // puts the same config again.
    finish_connector_config(*via, key_names);
    if (auto p = options_.connectors->put(via->connector_name, via->config); !p) {
      sql_error e = p.error();
      e.message =
          fmt::format("connector {} for sink \"{}\": {}", via->connector_name, s.name, e.message);
      if (e.position < 0) e.position = s.with.position;
      return e;
    }
    r->connector = via->connector_name;
  }
  if (has_state(*r)) {
    // A restart: what it wrote before stays written.
    resume_watermarks(*r);
  } else {
    // What the input holds now goes out first.
    start_from_inputs(*r);
    mark_stored(*r);
  }
  write_sink(*r, r->sink->take());
  relations_.push_back(std::move(r));
  return statement_result{{}, row_batch(0), "CREATE SINK"};
}

result<statement_result> engine::select(const json& select_stmt, const statement& s, int64_t now) {
  bind_options opt;
  opt.catalog = this;
  opt.now = now;
  opt.temporal_joins = s.temporal_joins;
  opt.get_setting = [this](const std::string& name) { return get_setting(session_, name); };
  opt.set_setting = [this](const std::string& name, const std::optional<std::string>& value,
                           bool is_local) { return set_setting(name, value, is_local); };
  BOOST_OUTCOME_TRY(auto q, bind_query(select_stmt, opt));
  BOOST_OUTCOME_TRY(auto plan, rewrite(q.root, false));
  std::set<uint64_t> ids;
  for (const auto& [name, id] : q.deps) {
    ids.insert(id);
    const relation_info* d = by_id(id);
    if (d && d->kind == relation_kind::view)
      for (const auto& [n2, id2] : d->deps) ids.insert(id2);
  }
  if (group_) {
    BOOST_OUTCOME_TRY(route_query(ids, true));
    if (forward_) return make_error(errc::internal, -1, "forwarded");
  }
  // pg_catalog and information_schema: made now from the relations.
  std::vector<const relation_info*> user;
  for (const auto& r : relations_)
    if (!r->hidden) user.push_back(&r->info);
  std::map<uint64_t, row_batch> system;
  std::vector<const plan_node*> todo{plan.get()};
  while (!todo.empty()) {
    const plan_node* n = todo.back();
    todo.pop_back();
    for (const auto& in : n->inputs) todo.push_back(in.get());
    if (n->kind == plan_kind::scan && n->relation && n->relation->kind == relation_kind::system &&
        !system.count(n->relation->id))
      system.emplace(n->relation->id, n->relation->id == cursors_table_id() ? cursor_rows()
                                      : n->relation->id == settings_table_id()
                                          ? setting_rows()
                                          : system_rows(n->relation->id, user));
  }
  BOOST_OUTCOME_TRY(auto rows, query_contents(*plan, ids, system, now));
  statement_result out;
  out.columns = plan->columns;
  int64_t n = 0;
  for (size_t i = 0; i < rows.size(); ++i) n += rows.weight(i);
  out.rows = std::move(rows);
  out.tag = "SELECT " + std::to_string(n);
  return out;
}

result<row_batch> engine::query_contents(const plan_node& plan, const std::set<uint64_t>& ids,
                                         const std::map<uint64_t, row_batch>& system, int64_t now) {
  return run_query_fed(
      plan,
      [&](const query_push& push) {
        for (auto& r : relations_) {
          if (!ids.count(r->info.id)) continue;
          const uint64_t id = r->info.id;
          std::optional<std::vector<datum>> key;
          if (r->stored) key = key_lookup(plan, id, r->info.primary_key, r->types);
          bool go = true;
          scan_contents(
              *r, [&](const row_batch& rows) { return go = push(id, rows); },
              key ? &*key : nullptr);
          if (!go) return;
        }
        for (const auto& [id, rows] : system)
          if (!push(id, rows)) return;
      },
      now, stop_);
}

result<statement_result> engine::insert(const statement& s, int64_t now) {
  const json& ins = s.node["InsertStmt"];
  std::string name = ins["relation"].value("relname", "");
  int loc = ins["relation"].value("location", -1);
  relation* r = lookup(name);
  if (!r) return make_error(errc::undefined_table, loc, "relation \"{}\" does not exist", name);
  if (r->info.kind != relation_kind::table)
    return make_error(errc::wrong_object_type, loc, "cannot insert into {} \"{}\"",
                      relation_kind_name(r->info.kind), name);
  if (r->source)
    return make_error(errc::wrong_object_type, loc,
                      "cannot insert into table \"{}\": its rows come from a Kafka topic", name);
  // The target columns, in the order the rows give them.
  std::vector<int> targets;
  if (ins.contains("cols")) {
    for (const auto& c : ins["cols"]) {
      std::string col = c["ResTarget"].value("name", "");
      int found = -1;
      for (size_t i = 0; i < r->info.columns.size(); ++i)
        if (r->info.columns[i].name == col) found = static_cast<int>(i);
      if (found < 0)
        return make_error(errc::undefined_column, c["ResTarget"].value("location", -1),
                          "column \"{}\" of relation \"{}\" does not exist", col, name);
      targets.push_back(found);
    }
  } else {
    for (size_t i = 0; i < r->info.columns.size(); ++i) targets.push_back(static_cast<int>(i));
  }
  bind_options opt;
  opt.catalog = this;
  opt.now = now;
  BOOST_OUTCOME_TRY(auto q, bind_query(ins["selectStmt"], opt));
  if (group_) {
    // Sharing: where the table and what its rows are read from run.
    std::set<uint64_t> ids{r->info.id};
    for (const auto& [n, id] : q.deps) {
      ids.insert(id);
      const relation_info* d = by_id(id);
      if (d && d->kind == relation_kind::view)
        for (const auto& [n2, id2] : d->deps) ids.insert(id2);
    }
    BOOST_OUTCOME_TRY(route_query(ids));
    if (forward_) return make_error(errc::internal, -1, "forwarded");
  }
  const auto& src = q.root->columns;
  if (src.size() > targets.size())
    return make_error(errc::syntax_error, -1, "INSERT has more expressions than target columns");
  // Each table column: its value cast to the column's type, or NULL.
  std::vector<expr_ptr> exprs(r->types.size());
  for (size_t i = 0; i < r->types.size(); ++i) exprs[i] = make_null(r->types[i]);
  for (size_t k = 0; k < src.size(); ++k) {
    size_t col = static_cast<size_t>(targets[k]);
    BOOST_OUTCOME_TRY(exprs[col], make_store_cast(make_column(static_cast<int>(k), src[k].type),
                                                  r->types[col], -1));
  }
  auto proj = make_project(q.root, exprs, r->info.columns);
  BOOST_OUTCOME_TRY(auto plan, rewrite(proj, false));
  std::set<uint64_t> ids;
  for (const auto& [dep, id] : q.deps) {
    ids.insert(id);
    const relation_info* d = by_id(id);
    if (d && d->kind == relation_kind::view)
      for (const auto& [n2, id2] : d->deps) ids.insert(id2);
  }
  BOOST_OUTCOME_TRY(auto rows, query_contents(*plan, ids, {}, now));
  // Constraints, before anything changes: the keys in memory, or (in the
  // state store) each new key looked up by a seek.
  std::set<std::string> keys;
  std::string key;
  if (!r->info.primary_key.empty() && !r->stored)
    for (size_t i = 0; i < r->contents.size(); ++i) {
      key.clear();
      append_cols_key(r->types, r->contents.row(i), r->info.primary_key, key);
      keys.insert(key);
    }
  int64_t n = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const datum* row = rows.row(i);
    for (size_t c = 0; c < r->types.size(); ++c)
      if (r->not_null[c] && row[c].is_null())
        return make_error(
            errc::not_null_violation, -1,
            "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
            r->info.columns[c].name, name);
    if (!r->info.primary_key.empty()) {
      key.clear();
      append_cols_key(r->types, row, r->info.primary_key, key);
      bool taken = rows.weight(i) > 1 || !keys.insert(key).second;
      if (!taken && r->stored)
        r->stored->scan_prefix("p" + key, [&](std::string_view, std::string_view) {
          taken = true;
          return false;
        });
      if (taken)
        return make_error(errc::unique_violation, -1,
                          "duplicate key value violates unique constraint \"{}_pkey\"", name);
    }
    n += rows.weight(i);
  }
  BOOST_OUTCOME_TRY(log_changes(*r, rows));
  apply(*r, std::move(rows), now);
  return statement_result{{}, row_batch(0), "INSERT 0 " + std::to_string(n)};
}

void engine::test_hold_write() const {
  const auto& path = options_.test_hold_writes;
  if (path.empty()) return;
  // One write claims the hold (a rename is atomic): the others go on.
  std::filesystem::path held = path + ".held";
  std::error_code ec;
  std::filesystem::rename(path, held, ec);
  if (ec) return;
  auto until = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::filesystem::exists(held) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

result<void> engine::log_changes(relation& r, const row_batch& changes) {
  if (!r.log || changes.empty()) return outcome::success();
  if (group_ && !writes_here(r))
    return make_error(errc::unavailable, -1,
                      "table \"{}\" is moving between SQL processes (rebalancing); retry",
                      r.info.name);
  if (group_ && !options_.group->has_lease())
    return make_error(errc::unavailable, -1,
                      "this SQL process has not heard from its group for most of the session "
                      "timeout: table \"{}\" may have moved to another process, so it writes "
                      "nothing into it until it has rejoined; retry",
                      r.info.name);
  test_hold_write();
  auto append_changes = [&](relation& t, const std::vector<table_log::record>& out) {
    auto w = t.log->append(out);
    // Fenced: another process opened the table's topic, so the group moved
    // the table while this one was paused or cut off. It refuses (57P03)
    // and rejoins, which unloads the table here.
    if (!w && t.log->fenced() && group_) options_.group->request_rejoin();
    return w;
  };
  std::vector<table_log::record> out;
  if (r.log->keyed()) {
    // Compacted, keyed by the primary key: a row's record replaces the
    // key's last, a delete is the key's tombstone — unless the statement
    // gives the key a new row (an UPDATE), which replaces it alone.
    const auto& pk = r.info.primary_key;
    schema_types key_types;
    for (int k : pk) key_types.push_back(r.types[static_cast<size_t>(k)]);
    auto key_of = [&](size_t i) {
      std::vector<datum> key_row(pk.size());
      for (size_t k = 0; k < pk.size(); ++k)
        key_row[k] = changes.row(i)[static_cast<size_t>(pk[k])];
      std::string key;
      encode_row(key_types, key_row.data(), key);
      return key;
    };
    std::set<std::string> rewritten;
    for (size_t i = 0; i < changes.size(); ++i)
      if (changes.weight(i) > 0) rewritten.insert(key_of(i));
    for (bool deletes : {true, false})
      for (size_t i = 0; i < changes.size(); ++i) {
        if ((changes.weight(i) < 0) != deletes || changes.weight(i) == 0) continue;
        table_log::record rec;
        rec.key = key_of(i);
        if (deletes && rewritten.count(*rec.key)) continue;
        if (!deletes) {
          rec.value.emplace();
          codec::append_svarint(1, *rec.value);
          encode_row(r.types, changes.row(i), *rec.value);
        }
        out.push_back(std::move(rec));
      }
    return append_changes(r, out);
  }
  for (size_t i = 0; i < changes.size(); ++i) {
    std::string v;
    codec::append_svarint(changes.weight(i), v);
    encode_row(r.types, changes.row(i), v);
    out.push_back(table_log::record{std::nullopt, std::move(v)});
  }
  return append_changes(r, out);
}

result<statement_result> engine::remove(const statement& s, int64_t now) {
  const json& del = s.node["DeleteStmt"];
  std::string name = del["relation"].value("relname", "");
  int loc = del["relation"].value("location", -1);
  relation* r = lookup(name);
  if (!r) return make_error(errc::undefined_table, loc, "relation \"{}\" does not exist", name);
  if (r->info.kind != relation_kind::table)
    return make_error(errc::wrong_object_type, loc, "cannot delete from {} \"{}\"",
                      relation_kind_name(r->info.kind), name);
  if (r->source)
    return make_error(errc::wrong_object_type, loc,
                      "cannot delete from table \"{}\": its rows come from a Kafka topic", name);
  json sel =
      star_select(del["relation"], del.contains("whereClause") ? &del["whereClause"] : nullptr);
  BOOST_OUTCOME_TRY(auto found, select(sel, s, now));
  row_batch changes = std::move(found.rows);
  int64_t n = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    n += changes.weight(i);
    changes.set_weight(i, -changes.weight(i));
  }
  BOOST_OUTCOME_TRY(log_changes(*r, changes));
  apply(*r, std::move(changes), now);
  return statement_result{{}, row_batch(0), "DELETE " + std::to_string(n)};
}

result<statement_result> engine::explain(const statement& s) {
  const json& q = s.node["ExplainStmt"]["query"];
  if (!q.contains("SelectStmt"))
    return make_error(errc::feature_not_supported, 0, "EXPLAIN of this statement is not supported");
  bind_options opt;
  opt.catalog = this;
  BOOST_OUTCOME_TRY(auto b, bind_query(q["SelectStmt"], opt));
  BOOST_OUTCOME_TRY(auto plan, rewrite(b.root, false));
  statement_result out;
  out.columns = {text_column("QUERY PLAN")};
  out.rows = row_batch(1);
  std::string text = sql::explain(*plan);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    datum* d = out.rows.add(1);
    d[0] =
        datum::of_text(out.rows.strings().copy(std::string_view(text).substr(start, end - start)));
    start = end + 1;
  }
  out.tag = "EXPLAIN";
  return out;
}

result<statement_result> engine::drop(const statement& s) {
  std::string tag = "DROP " + s.object_kind;
  for (auto& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& name : s.names) {
    relation* r = lookup(name);
    if (!r) {
      if (s.if_exists) continue;
      return make_error(errc::undefined_table, s.name_pos, "{} \"{}\" does not exist",
                        s.object_kind, name);
    }
    if (relation_kind_name(r->info.kind) != s.object_kind)
      return make_error(errc::wrong_object_type, s.name_pos, "\"{}\" is not a {}", name,
                        s.object_kind);
    // What depends on it, directly or through others.
    std::set<uint64_t> doomed{r->info.id};
    for (auto& v : relations_)
      for (const auto& [n, id] : v->info.deps)
        if (doomed.count(id)) doomed.insert(v->info.id);
    // A SUBSCRIBE to a query over it does not hold it: it ends with it.
    std::set<uint64_t> shown;
    for (auto& v : relations_)
      if (doomed.count(v->info.id) && !v->hidden) shown.insert(v->info.id);
    if (shown.size() > 1 && !s.cascade) {
      std::string other;
      for (auto& v : relations_)
        if (v->info.id != r->info.id && shown.count(v->info.id)) other = v->info.name;
      sql_error e =
          make_error(errc::dependent_objects, s.name_pos,
                     "cannot drop {} {} because other objects depend on it", s.object_kind, name);
      e.detail = "materialized view " + other + " depends on " + s.object_kind + " " + name;
      e.hint = "Use DROP ... CASCADE to drop the dependent objects too.";
      return e;
    }
    // Cursors over what goes close (a waiting FETCH or SUBSCRIBE ends with
    // "cursor does not exist" instead of waiting for ever).
    drop_cursors([&](const cursor& c) {
      return doomed.count(c.relation) > 0 || (c.owned && doomed.count(c.owned) > 0);
    });
    if (catalog_)
      for (auto& v : relations_)
        if (doomed.count(v->info.id) && !v->hidden) {
          BOOST_OUTCOME_TRY(catalog_->remove(v->info.name));
        }
    if (group_) {
      // --share: a table written with INSERT takes its topic with it (the
      // leader runs DROP; the owner stops appending when it follows the
      // tombstone). A topic that cannot be deleted now is left behind.
      client::client_config cluster;
      cluster.brokers = options_.brokers;
      cluster.client_id = "runnel-sql";
      for (auto& v : relations_) {
        if (!doomed.count(v->info.id) || v->hidden || v->info.kind != relation_kind::table)
          continue;
        auto parsed = parse_sql(v->info.definition);
        if (!parsed || parsed.value().size() != 1 || parsed.value().front().kind != stmt_kind::pg)
          continue;  // a table over a topic of its own (WITH (connector = ...))
        if (auto d = table_log::remove(cluster, table_topic(v->info.id)); !d)
          spdlog::warn("DROP TABLE {}: {}", v->info.name, d.error().message);
      }
    }
    for (auto& v : relations_) {
      if (!doomed.count(v->info.id)) continue;
      forget_state(v->info.id);
      retire(*v);
    }
    std::erase_if(relations_,
                  [&](const std::unique_ptr<relation>& v) { return doomed.count(v->info.id) > 0; });
  }
  return statement_result{{}, row_batch(0), tag};
}

result<statement_result> engine::show(const statement& s) {
  statement_result out;
  out.rows = row_batch(1);
  auto add = [&](std::string_view v) {
    datum* d = out.rows.add(1);
    d[0] = datum::of_text(out.rows.strings().copy(v));
  };
  std::optional<relation_kind> kind;
  if (s.show_what == "tables")
    kind = relation_kind::table;
  else if (s.show_what == "materialized views")
    kind = relation_kind::materialized_view;
  else if (s.show_what == "views")
    kind = relation_kind::view;
  else if (s.show_what == "sources")
    kind = relation_kind::source;
  if (s.show_what == "sinks") return show_sinks();
  if (kind) {
    out.columns = {text_column("Name")};
    for (const auto& r : relations_)
      if (r->info.kind == *kind && !r->hidden) add(r->info.name);
  } else if (s.show_what == "create") {
    const relation_info* r = find(s.show_arg);
    if (!r)
      return make_error(errc::undefined_table, -1, "relation \"{}\" does not exist", s.show_arg);
    out.columns = {text_column("Name"), text_column("Create Sql")};
    out.rows = row_batch(2);
    datum* d = out.rows.add(1);
    d[0] = datum::of_text(out.rows.strings().copy(r->name));
    d[1] = datum::of_text(out.rows.strings().copy(r->definition));
  } else if (s.show_what == "processes") {
    return show_processes();
  } else if (s.show_what == "stats") {
    // What each relation holds and has seen, for benchmarks and operators:
    // its rows (a view's contents, everything a source has read so far),
    // the bytes its operators keep in state, the records its source read
    // and skipped, and its rows with failed expressions or behind a
    // watermark.
    auto big = [](std::string name) {
      return plan_column{std::move(name), type_id::int64, "", false};
    };
    out.columns = {text_column("Name"), text_column("Kind"), big("Rows"),       big("State Bytes"),
                   big("Records Read"), big("Bad Records"),  big("Row Errors"), big("Late Rows")};
    out.rows = row_batch(8);
    for (const auto& r : relations_) {
      if (r->hidden || r->remote) continue;  // another process runs it (SHOW PROCESSES)
      int64_t rows = row_count(*r);
      datum* d = out.rows.add(1);
      d[0] = datum::of_text(out.rows.strings().copy(r->info.name));
      d[1] = datum::of_text(relation_kind_name(r->info.kind));
      d[2] = datum::of_int(rows);
      d[3] = datum::of_int(r->flow ? r->flow->state_bytes() : 0);
      d[4] = datum::of_int(r->source ? static_cast<int64_t>(r->source->records()) : 0);
      d[5] = datum::of_int(r->source ? static_cast<int64_t>(r->source->bad_records()) : 0);
      d[6] = datum::of_int(static_cast<int64_t>(r->env.row_errors));
      d[7] = datum::of_int(static_cast<int64_t>(r->env.late_rows));
    }
  } else if (s.show_what == "columns") {
    statement d = s;
    d.name = s.show_arg;
    return describe(d);
  } else {
    return make_error(errc::feature_not_supported, 0, "SHOW {} is not supported in this version",
                      s.show_what);
  }
  out.tag = "SHOW";
  return out;
}

result<statement_result> engine::describe(const statement& s) {
  const relation_info* r = find(s.name);
  if (!r)
    return make_error(errc::undefined_table, s.name_pos, "relation \"{}\" does not exist", s.name);
  statement_result out;
  out.columns = {text_column("Name"), text_column("Type"), text_column("Is Hidden")};
  out.rows = row_batch(3);
  for (const auto& c : r->columns) {
    datum* d = out.rows.add(1);
    d[0] = datum::of_text(out.rows.strings().copy(c.name));
    d[1] = datum::of_text(out.rows.strings().copy(type_name(c.type)));
    d[2] = datum::of_text(c.hidden ? "true" : "false");
  }
  out.tag = "DESCRIBE";
  return out;
}

}  // namespace runnel::sql
