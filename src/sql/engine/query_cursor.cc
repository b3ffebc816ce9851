// Cursors over a SELECT, as PostgreSQL's (DECLARE name [NO SCROLL] CURSOR
// [WITH HOLD] FOR SELECT ..., FETCH, MOVE, CLOSE), and the transaction
// block they live in. psycopg's server-side cursors and drivers that page
// through a result use them.
//
// The query runs once, when the cursor is declared, and its rows wait in
// the cursor for FETCH: the cursor sees its inputs as they were then, as
// PostgreSQL's snapshot does. Without WITH HOLD, a cursor needs BEGIN and
// ends with COMMIT or ROLLBACK; with it, COMMIT keeps it (until CLOSE or
// the end of the session) and ROLLBACK drops it only if it was declared
// in that transaction. Cursors over SUBSCRIBE (subscription.cc) are
// runnel's own and are not tied to transactions.
#include "sql/engine/relation_state.h"

namespace runnel::sql {

result<statement_result> engine::declare_query(const statement& s, int64_t now) {
  if (!s.node.contains("SelectStmt"))
    return make_error(errc::syntax_error, 0, "DECLARE CURSOR needs a SELECT or SUBSCRIBE");
  const bool in_block = in_transaction_.count(session_) || implicit_block_.count(session_);
  if (!s.hold && !in_block)
    return make_error(errc::no_active_transaction, -1,
                      "DECLARE CURSOR can only be used in transaction blocks");
  BOOST_OUTCOME_TRY(auto rows, select(s.node["SelectStmt"], s, now));
  auto c = std::make_unique<cursor>();
  c->session = session_;
  c->name = s.name;
  c->columns = std::move(rows.columns);
  c->query = true;
  c->hold = s.hold;
  c->this_txn = in_block;
  c->statement = s.sql;
  c->created = now;
  // The batch owns its strings (or keeps alive what does): the cursor
  // keeps it until FETCH has taken every row.
  if (!rows.rows.empty()) c->queue.emplace_back(now, std::move(rows.rows));
  cursors_.push_back(std::move(c));
  return statement_result{{}, row_batch(0), "DECLARE CURSOR"};
}

void engine::end_transaction(uint64_t session, bool commit) {
  in_transaction_.erase(session);
  end_block_settings(session, commit);
  drop_cursors([&](const cursor& c) {
    if (c.session != session || !c.query) return false;
    bool keep = c.hold && (commit || !c.this_txn);
    return !keep;
  });
  for (auto& c : cursors_)
    if (c->session == session) c->this_txn = false;
}

statement_result engine::transaction(const json& stmt) {
  std::string kind = stmt.value("kind", "");
  const uint64_t session = session_;
  auto end = [&](bool commit) { end_transaction(session, commit); };
  if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") {
    in_transaction_.insert(session);  // a second BEGIN: PostgreSQL warns, nothing changes
    return statement_result{{}, row_batch(0), "BEGIN"};
  }
  if (kind == "TRANS_STMT_COMMIT") {
    end(true);
    return statement_result{{}, row_batch(0), "COMMIT"};
  }
  if (kind == "TRANS_STMT_ROLLBACK") {
    end(false);
    return statement_result{{}, row_batch(0), "ROLLBACK"};
  }
  // SAVEPOINT, RELEASE, ROLLBACK TO: accepted, as before (nothing to undo).
  std::string tag = kind == "TRANS_STMT_SAVEPOINT"     ? "SAVEPOINT"
                    : kind == "TRANS_STMT_RELEASE"     ? "RELEASE"
                    : kind == "TRANS_STMT_ROLLBACK_TO" ? "ROLLBACK"
                                                       : "BEGIN";
  return statement_result{{}, row_batch(0), tag};
}

row_batch engine::cursor_rows() {
  row_batch out(6);
  for (const auto& c : cursors_) {
    // Not the streaming SUBSCRIBE's own (subscription.cc: "subscribe stream").
    if (c->session != session_ || c->name == "subscribe stream") continue;
    datum* d = out.add(1);
    d[0] = datum::of_text(out.strings().copy(c->name));
    d[1] = datum::of_text(out.strings().copy(c->statement));
    d[2] = datum::of_bool(c->hold || !c->query);  // SUBSCRIBE cursors outlive transactions
    d[3] = datum::of_bool(false);
    d[4] = datum::of_bool(false);
    d[5] = datum::of_int(c->created);
  }
  return out;
}

bool engine::in_transaction(uint64_t session) {
  std::lock_guard lock(mu_);
  return in_transaction_.count(session) > 0;
}

std::optional<std::vector<plan_column>> engine::cursor_columns(uint64_t session,
                                                               std::string_view name) {
  std::lock_guard lock(mu_);
  for (const auto& c : cursors_)
    if (c->session == session && c->name == name) {
      auto cols = c->columns;
      if (!c->query) {
        cols.push_back(plan_column{"op", type_id::text, "", false});
        cols.push_back(plan_column{"rw_timestamp", type_id::int64, "", false});
      }
      return cols;
    }
  return std::nullopt;
}

}  // namespace runnel::sql
