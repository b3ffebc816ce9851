// SUBSCRIBE through cursors (Materialize's DECLARE ... CURSOR FOR SUBSCRIBE
// and FETCH ... WITH (timeout), RisingWave's op and rw_timestamp columns):
// a cursor gets the relation's contents when it is declared, then every
// change the engine applies to it, in order; FETCH takes them as rows with
// their operation ('Insert' or 'Delete', one row per copy) and the time the
// change was applied (ms since the epoch).
#include <chrono>
#include <set>

#include <fmt/format.h>

#include "sql/engine/relation_state.h"
#include "sql/group/forward.h"

namespace runnel::sql {

namespace {

// The changes with deletes first, so that an update reads as the old row
// leaving and then the new one arriving.
row_batch owned_copy(const row_batch& changes, const schema_types& types) {
  row_batch c(changes.width());
  c.reserve(changes.size());
  for (bool deletes : {true, false})
    for (size_t i = 0; i < changes.size(); ++i)
      if ((changes.weight(i) < 0) == deletes) c.add(changes.row(i), changes.weight(i));
  own_strings(c, types);
  return c;
}

}  // namespace

void engine::notify(uint64_t id, const row_batch& changes, int64_t now) {
  if (changes.empty()) return;
  bool any = false;
  for (auto& c : cursors_)
    if (c->relation == id) {
      c->queue.emplace_back(now, owned_copy(changes, c->types));
      any = true;
    }
  if (any) changed_.notify_all();
}

void engine::close_session(uint64_t session) {
  {
    std::lock_guard lock(mu_);
    drop_cursors([&](const cursor& c) { return c.session == session; });
    in_transaction_.erase(session);
    // Forwarded cursors close with their connections.
    std::erase_if(links_, [&](const auto& l) { return l.first.first == session; });
    std::erase_if(remote_cursors_, [&](const auto& c) { return c.first.first == session; });
    remote_streams_.erase(session);
  }
  std::lock_guard lock(sessions_mu_);
  interrupts_.erase(session);
  statement_timeout_.erase(session);
  params_.erase(session);
}

void engine::drop_cursors(const std::function<bool(const cursor&)>& which) {
  std::set<uint64_t> owned;
  bool woken = false;
  std::erase_if(cursors_, [&](std::unique_ptr<cursor>& c) {
    if (!which(*c)) return false;
    if (c->owned) owned.insert(c->owned);
    if (c->waiting) {  // a FETCH holds it: that FETCH frees it when it wakes
      c->closed = true;
      c->relation = c->owned = 0;
      closed_cursors_.push_back(std::move(c));
      woken = true;
    }
    return true;
  });
  if (woken) changed_.notify_all();
  if (owned.empty()) return;
  for (uint64_t id : owned) forget_state(id);
  std::erase_if(relations_, [&](const std::unique_ptr<relation>& r) {
    return r->hidden && owned.count(r->info.id) > 0;
  });
}

void engine::stop_waiting() {
  {
    std::lock_guard lock(mu_);
    stop_waiting_ = true;
  }
  changed_.notify_all();
}

// The name of a session's streaming SUBSCRIBE cursor: not one FETCH can
// name without quotes.
constexpr const char* stream_cursor = "subscribe stream";
// The same, forwarded: the cursor on the connection to the process that
// runs the relation.
constexpr const char* remote_stream_cursor = "runnel forwarded stream";

result<statement_result> engine::declare(const statement& s, int64_t now) {
  for (const auto& c : cursors_)
    if (c->session == session_ && c->name == s.name)
      return make_error(errc::duplicate_cursor, -1, "cursor \"{}\" already exists", s.name);
  if (remote_cursors_.count({session_, s.name}))
    return make_error(errc::duplicate_cursor, -1, "cursor \"{}\" already exists", s.name);
  if (!s.declare_subscribe) return declare_query(s, now);
  BOOST_OUTCOME_TRY(cursor * c, open_cursor(s, s.name, now));
  c->statement = s.sql;
  c->created = now;
  return statement_result{{}, row_batch(0), "DECLARE CURSOR"};
}

result<statement_result> engine::subscribe(const statement& s, int64_t now) {
  end_stream_locked(session_);
  BOOST_OUTCOME_TRY(cursor * c, open_cursor(s, stream_cursor, now));
  statement_result out;
  out.columns = c->columns;
  out.columns.push_back(plan_column{"op", type_id::text, "", false});
  out.columns.push_back(plan_column{"rw_timestamp", type_id::int64, "", false});
  out.tag = "SUBSCRIBE";
  out.streams = true;
  return out;
}

result<statement_result> engine::stream_changes(uint64_t session, std::chrono::milliseconds wait) {
  statement s;
  s.kind = stmt_kind::fetch;
  s.name = stream_cursor;
  s.fetch_count = -1;
  s.timeout_ms = wait.count();
  // The stream is the SUBSCRIBE statement still running: its interrupt
  // (armed when it started) holds a cancel or its statement_timeout.
  std::shared_ptr<interrupt> stop = interrupt_of(session);
  std::unique_lock lock(mu_);
  if (stop->due()) return stop->error();  // changes kept coming: fetch() never waited
  if (auto st = remote_streams_.find(session); st != remote_streams_.end()) {
    // Forwarded: the owner's cursor, fetched without the engine's mutex.
    std::shared_ptr<forward_link> link = st->second;
    lock.unlock();
    BOOST_OUTCOME_TRY(auto got,
                      link->run(fmt::format("FETCH ALL FROM \"{}\" WITH (timeout = '{}ms')",
                                            remote_stream_cursor, wait.count())));
    if (got.size() != 1)
      return make_error(errc::internal, -1,
                        "the SQL process at {} answered a FETCH with {} results", link->address(),
                        got.size());
    return std::move(got.front());
  }
  session_ = session;
  held_ = &lock;
  stop_ = stop.get();
  auto out = fetch(s);
  held_ = nullptr;
  stop_ = nullptr;
  return out;
}

void engine::end_stream(uint64_t session) {
  std::lock_guard lock(mu_);
  end_stream_locked(session);
}

void engine::end_stream_locked(uint64_t session) {
  drop_cursors([&](const cursor& c) { return c.session == session && c.name == stream_cursor; });
  remote_streams_.erase(session);  // its connection closes, and the owner's cursor with it
}

result<engine::cursor*> engine::open_cursor(const statement& s, const std::string& name,
                                            int64_t now) {
  relation* r = s.from.empty() ? nullptr : lookup(s.from);
  uint64_t owned = 0;
  if (s.from.empty() || (r && r->info.kind == relation_kind::view)) {
    // SUBSCRIBE TO (query), or to a plain view: the query maintained as a
    // view of the cursor's own, which nothing else can name.
    statement v = s;
    v.name = fmt::format("subscribe query {}", next_id_);
    v.materialized = true;
    json query = s.node;
    if (!s.from.empty())
      query =
          star_select(json{{"relname", s.from}, {"inh", true}, {"location", s.from_pos}}, nullptr);
    // Sharing: a cursor's view takes an id the catalog's leader never
    // gives, so that a relation another process creates cannot collide.
    uint64_t catalog_next = next_id_;
    if (group_) next_id_ = next_hidden_id_++;
    auto made = maintain(query, v, now);
    if (group_) next_id_ = catalog_next;
    BOOST_OUTCOME_TRY(auto q, std::move(made));
    if (q->remote) {
      // Another process runs what it reads: subscribed there.
      std::set<uint64_t> ids;
      for (const auto& [n, id] : q->info.deps) ids.insert(id);
      BOOST_OUTCOME_TRY(route_cursor(s, ids, q->info.columns));
      return make_error(errc::internal, -1, "forwarded");
    }
    q->info.kind = relation_kind::materialized_view;
    q->hidden = true;
    // Its first load stops on a cancel or statement_timeout, as a new
    // materialized view's does, and the view goes with its state.
    q->env.stop = stop_;
    start_from_inputs(*q);
    q->env.stop = nullptr;
    if (q->env.stopped) {
      sql_error e = q->env.error.value_or(sql_error{errc::query_canceled, "canceled", -1, {}, {}});
      forget_state(q->info.id);
      return e;
    }
    add_contents(*q, q->sink->take());
    owned = q->info.id;
    r = q.get();
    relations_.push_back(std::move(q));
  }
  if (!r)
    return make_error(errc::undefined_table, s.from_pos, "relation \"{}\" does not exist", s.from);
  if (r->info.kind == relation_kind::sink)
    return make_error(errc::wrong_object_type, s.from_pos,
                      "cannot subscribe to sink \"{}\": subscribe to a table, source, view or "
                      "query",
                      s.from);
  if (r->remote) {
    BOOST_OUTCOME_TRY(route_cursor(s, {r->info.id}, r->info.columns));
    return make_error(errc::internal, -1, "forwarded");
  }
  auto c = std::make_unique<cursor>();
  c->session = session_;
  c->name = name;
  c->relation = r->info.id;
  c->columns = r->info.columns;
  c->types = r->types;
  c->owned = owned;
  // The contents as they are now (from the state store, with one): held
  // by the cursor until fetched.
  row_batch first(static_cast<uint32_t>(r->types.size()));
  scan_contents(*r, [&](const row_batch& rows) {
    first.keep_alive(rows);
    for (size_t i = 0; i < rows.size(); ++i) first.add(rows.row(i), rows.weight(i));
    return true;
  });
  if (r->stored) consolidate(first, c->types);  // pieces of one row: one entry
  if (!first.empty()) c->queue.emplace_back(now, owned_copy(first, c->types));
  cursors_.push_back(std::move(c));
  return cursors_.back().get();
}

result<statement_result> engine::fetch(const statement& s) {
  if (auto rc = remote_cursors_.find({session_, s.name}); rc != remote_cursors_.end()) {
    forward_request f;
    f.address = rc->second;
    f.session_link = true;
    forward_ = std::move(f);
    return make_error(errc::internal, -1, "forwarded");
  }
  cursor* c = nullptr;
  for (auto& x : cursors_)
    if (x->session == session_ && x->name == s.name) c = x.get();
  if (!c) return make_error(errc::invalid_cursor, -1, "cursor \"{}\" does not exist", s.name);
  // Nothing queued: wait (releasing the engine, so that sources and other
  // connections go on) until a change comes, the timeout passes, or the
  // server stops. No timeout: wait for the first change.
  if (c->queue.empty() && s.timeout_ms != 0 && held_ && !c->query) {
    // Other connections run statements while this one waits, and set
    // session_ and held_ for themselves: this statement's are put back
    // once it holds the mutex again.
    const uint64_t session = session_;
    std::unique_lock<std::mutex>* const lock = held_;
    interrupt* const stop = stop_;
    auto ready = [&] {
      return !c->queue.empty() || stop_waiting_ || (stop && stop->due()) || !c->moved.empty() ||
             c->closed;
    };
    // A cancel sets the interrupt without mu_ (the statement it stops may
    // hold it) and notifies: a wake-up lost between the test and the wait
    // costs at most one slice. statement_timeout ends the wait too.
    using clock = std::chrono::steady_clock;
    const auto until = s.timeout_ms < 0 ? clock::time_point::max()
                                        : clock::now() + std::chrono::milliseconds(s.timeout_ms);
    stop_ = nullptr;  // what runs while this waits (sources, the group's replays) is not ours
    c->waiting = true;
    while (!ready()) {
      const auto now = clock::now();
      if (now >= until) break;
      changed_.wait_for(*lock,
                        std::min<clock::duration>(until - now, std::chrono::milliseconds(100)));
    }
    c->waiting = false;
    if (c->closed) {  // dropped with what it read while this waited (drop_cursors)
      std::erase_if(closed_cursors_,
                    [&](const std::unique_ptr<cursor>& x) { return x.get() == c; });
      session_ = session;
      held_ = lock;
      stop_ = stop;
      return make_error(errc::invalid_cursor, -1, "cursor \"{}\" does not exist", s.name);
    }
    session_ = session;
    held_ = lock;
    stop_ = stop;
    if (stop && stop->due()) return stop->error();
  }
  if (!c->moved.empty() && c->queue.empty())
    return make_error(errc::unavailable, -1,
                      "\"{}\" is not run by this SQL process any more (its work moved to "
                      "another process): this subscription ended; declare it again",
                      c->moved);
  statement_result out;
  out.columns = c->columns;
  if (!c->query) {
    out.columns.push_back(plan_column{"op", type_id::text, "", false});
    out.columns.push_back(plan_column{"rw_timestamp", type_id::int64, "", false});
  }
  const auto width = static_cast<uint32_t>(out.columns.size());
  out.rows = row_batch(width);
  int64_t want = s.fetch_count < 0 ? std::numeric_limits<int64_t>::max() : s.fetch_count;
  int64_t n = 0;
  while (n < want && !c->queue.empty()) {
    auto& [when, batch] = c->queue.front();
    out.rows.keep_alive(batch);
    // Rows of the front batch, one per copy, past those already taken.
    int64_t skip = c->taken_from_front, seen = 0;
    bool done = true;
    for (size_t i = 0; i < batch.size(); ++i) {
      int64_t copies = batch.weight(i) < 0 ? -batch.weight(i) : batch.weight(i);
      for (int64_t k = 0; k < copies; ++k, ++seen) {
        if (seen < skip) continue;
        if (n == want) {
          done = false;
          break;
        }
        ++n;
        if (s.move) continue;
        datum* d = out.rows.add(1);
        for (size_t col = 0; col < c->columns.size(); ++col) d[col] = batch.row(i)[col];
        if (c->query) continue;
        d[width - 2] = datum::of_text(batch.weight(i) > 0 ? "Insert" : "Delete");
        d[width - 1] = datum::of_int(when / 1000);
      }
      if (!done) break;
    }
    if (!done) {
      c->taken_from_front = seen;
      break;
    }
    // The batch is kept alive by out.rows; the queue lets go of it.
    row_batch keep = std::move(batch);
    out.rows.keep_alive(keep);
    c->queue.pop_front();
    c->taken_from_front = 0;
  }
  out.tag = (s.move ? "MOVE " : "FETCH ") + std::to_string(n);
  if (s.move) out.columns.clear();  // MOVE returns no rows, only its count
  return out;
}

result<statement_result> engine::close_cursor(const statement& s) {
  if (s.name.empty()) {
    // CLOSE ALL: the forwarded ones close with their connections.
    std::erase_if(links_, [&](const auto& l) { return l.first.first == session_; });
    std::erase_if(remote_cursors_, [&](const auto& c) { return c.first.first == session_; });
  } else if (auto rc = remote_cursors_.find({session_, s.name}); rc != remote_cursors_.end()) {
    forward_request f;
    f.address = rc->second;
    f.session_link = true;
    remote_cursors_.erase(rc);
    forward_ = std::move(f);
    return make_error(errc::internal, -1, "forwarded");
  }
  size_t before = cursors_.size();
  drop_cursors([&](const cursor& c) {
    return c.session == session_ && (s.name.empty() || c.name == s.name);
  });
  if (!s.name.empty() && cursors_.size() == before)
    return make_error(errc::invalid_cursor, -1, "cursor \"{}\" does not exist", s.name);
  return statement_result{{}, row_batch(0), "CLOSE CURSOR"};
}

result<void> engine::route_cursor(const statement& s, const std::set<uint64_t>& ids,
                                  const std::vector<plan_column>& columns) {
  BOOST_OUTCOME_TRY(route_query(ids));
  if (!forward_)
    return make_error(errc::internal, s.from_pos,
                      "a subscription over remote relations stayed here");
  forward_->query = false;
  if (s.kind == stmt_kind::declare) {
    forward_->session_link = true;
    forward_->declares = s.name;
    return outcome::success();
  }
  forward_->stream_sql =
      fmt::format("DECLARE \"{}\" CURSOR FOR {}", remote_stream_cursor, s.subscribe_sql);
  forward_->stream_columns = columns;
  forward_->stream_columns.push_back(plan_column{"op", type_id::text, "", false});
  forward_->stream_columns.push_back(plan_column{"rw_timestamp", type_id::int64, "", false});
  return outcome::success();
}

result<std::vector<statement_result>> engine::forward_cursor(const forward_request& f,
                                                             std::string_view rest,
                                                             uint64_t session) {
  // The owner follows the catalog too, a little behind this process: a
  // relation it does not know yet is asked for again, for up to 3 s.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  auto again = [&](const result<std::vector<statement_result>>& r) {
    return !r && r.error().code == errc::undefined_table &&
           std::chrono::steady_clock::now() < deadline;
  };
  if (!f.stream_sql.empty()) {
    BOOST_OUTCOME_TRY(auto link, forward_link::connect(f.address));
    auto r = link->run(f.stream_sql);
    while (again(r)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r = link->run(f.stream_sql);
    }
    if (!r) {
      // Positions in the SUBSCRIBE, not in the DECLARE around it.
      auto e = r.error();
      const size_t prefix = fmt::format("DECLARE \"{}\" CURSOR FOR ", remote_stream_cursor).size();
      size_t at = rest.find(std::string_view(f.stream_sql).substr(prefix));
      if (e.position < static_cast<int>(prefix) || at == std::string_view::npos)
        e.position = -1;
      else
        e.position += static_cast<int>(at) - static_cast<int>(prefix);
      return e;
    }
    std::lock_guard lock(mu_);
    remote_streams_[session] = std::move(link);
    statement_result out;
    out.columns = f.stream_columns;
    out.tag = "SUBSCRIBE";
    out.streams = true;
    return std::vector<statement_result>{std::move(out)};
  }
  std::shared_ptr<forward_link> link;
  {
    std::lock_guard lock(mu_);
    if (auto l = links_.find({session, f.address}); l != links_.end()) link = l->second;
  }
  if (!link) {
    BOOST_OUTCOME_TRY(link, forward_link::connect(f.address));
    std::lock_guard lock(mu_);
    links_[{session, f.address}] = link;
  }
  auto r = link->run(rest);
  while (!f.declares.empty() && again(r)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    r = link->run(rest);
  }
  std::lock_guard lock(mu_);
  if (r && !f.declares.empty()) remote_cursors_[{session, f.declares}] = f.address;
  if (!r && link->broken()) {
    // The process went away: so did its cursors.
    links_.erase({session, f.address});
    std::erase_if(remote_cursors_,
                  [&](const auto& c) { return c.first.first == session && c.second == f.address; });
  }
  return r;
}

}  // namespace runnel::sql
