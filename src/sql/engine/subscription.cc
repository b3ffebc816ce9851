// SUBSCRIBE through cursors (Materialize's DECLARE ... CURSOR FOR SUBSCRIBE
// and FETCH ... WITH (timeout), RisingWave's op and rw_timestamp columns):
// a cursor gets the relation's contents when it is declared, then every
// change the engine applies to it, in order; FETCH takes them as rows with
// their operation ('Insert' or 'Delete', one row per copy) and the time the
// change was applied (ms since the epoch).
#include <chrono>

#include "sql/engine/relation_state.h"

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
  std::lock_guard lock(mu_);
  std::erase_if(cursors_, [&](const std::unique_ptr<cursor>& c) { return c->session == session; });
}

void engine::cancel(uint64_t session) {
  {
    std::lock_guard lock(mu_);
    cancelled_.insert(session);
  }
  changed_.notify_all();
}

void engine::stop_waiting() {
  {
    std::lock_guard lock(mu_);
    stop_waiting_ = true;
  }
  changed_.notify_all();
}

result<statement_result> engine::declare(const statement& s, int64_t now) {
  if (!s.declare_subscribe)
    return make_error(errc::feature_not_supported, 0,
                      "cursors over a SELECT are not supported: DECLARE name CURSOR FOR "
                      "SUBSCRIBE relation");
  if (s.from.empty())
    return make_error(errc::feature_not_supported, 0,
                      "SUBSCRIBE to a query is not supported yet: create a materialized view "
                      "and subscribe to it");
  relation* r = lookup(s.from);
  if (!r)
    return make_error(errc::undefined_table, s.from_pos, "relation \"{}\" does not exist", s.from);
  if (r->info.kind == relation_kind::view || r->info.kind == relation_kind::sink)
    return make_error(errc::wrong_object_type, s.from_pos,
                      "cannot subscribe to {} \"{}\": subscribe to a table, source or "
                      "materialized view",
                      relation_kind_name(r->info.kind), s.from);
  for (const auto& c : cursors_)
    if (c->session == session_ && c->name == s.name)
      return make_error(errc::duplicate_object, s.name_pos, "cursor \"{}\" already exists", s.name);
  auto c = std::make_unique<cursor>();
  c->session = session_;
  c->name = s.name;
  c->relation = r->info.id;
  c->columns = r->info.columns;
  c->types = r->types;
  if (!r->contents.empty()) c->queue.emplace_back(now, owned_copy(r->contents, c->types));
  cursors_.push_back(std::move(c));
  return statement_result{{}, row_batch(0), "DECLARE CURSOR"};
}

result<statement_result> engine::fetch(const statement& s) {
  cursor* c = nullptr;
  for (auto& x : cursors_)
    if (x->session == session_ && x->name == s.name) c = x.get();
  if (!c)
    return make_error(errc::invalid_cursor, s.name_pos, "cursor \"{}\" does not exist", s.name);
  // Nothing queued: wait (releasing the engine, so that sources and other
  // connections go on) until a change comes, the timeout passes, or the
  // server stops. No timeout: wait for the first change.
  if (c->queue.empty() && s.timeout_ms != 0 && held_) {
    // Other connections run statements while this one waits, and set
    // session_ and held_ for themselves: this statement's are put back
    // once it holds the mutex again.
    const uint64_t session = session_;
    std::unique_lock<std::mutex>* const lock = held_;
    auto ready = [&] { return !c->queue.empty() || stop_waiting_ || cancelled_.count(session); };
    if (s.timeout_ms < 0)
      changed_.wait(*lock, ready);
    else
      changed_.wait_for(*lock, std::chrono::milliseconds(s.timeout_ms), ready);
    session_ = session;
    held_ = lock;
    if (cancelled_.erase(session))
      return make_error(errc::query_canceled, -1, "canceling statement due to user request");
  }
  statement_result out;
  out.columns = c->columns;
  out.columns.push_back(plan_column{"op", type_id::text, "", false});
  out.columns.push_back(plan_column{"rw_timestamp", type_id::int64, "", false});
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
        datum* d = out.rows.add(1);
        for (size_t col = 0; col < c->columns.size(); ++col) d[col] = batch.row(i)[col];
        d[width - 2] = datum::of_text(batch.weight(i) > 0 ? "Insert" : "Delete");
        d[width - 1] = datum::of_int(when / 1000);
        ++n;
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
  out.tag = "FETCH " + std::to_string(n);
  return out;
}

result<statement_result> engine::close_cursor(const statement& s) {
  size_t before = cursors_.size();
  std::erase_if(cursors_, [&](const std::unique_ptr<cursor>& c) {
    return c->session == session_ && (s.name.empty() || c->name == s.name);
  });
  if (!s.name.empty() && cursors_.size() == before)
    return make_error(errc::invalid_cursor, s.name_pos, "cursor \"{}\" does not exist", s.name);
  return statement_result{{}, row_batch(0), "CLOSE CURSOR"};
}

}  // namespace runnel::sql
