// interrupt: how a running statement learns that it must stop — a cancel
// from another connection (PostgreSQL's CancelRequest: psql's Ctrl-C, a
// driver's cancel()) or its statement_timeout passing. The engine keeps one
// per session and re-arms it when the session's next statement starts; the
// operators of the statement's query poll it as they run
// (exec_env::interrupted(), every few hundred rows), and the engine's
// waits (FETCH, FLUSH) look at it as they wake.
//
// Thread-safety: cancel() from any thread (a relaxed atomic store, so a
// cancel never waits for the engine's mutex that the statement holds);
// the rest from the thread running the session's statement.
#pragma once

#include <atomic>
#include <chrono>

#include "sql/error.h"

namespace runnel::sql {

class interrupt {
 public:
  enum reason : int { none = 0, user = 1, timeout = 2 };
  using clock = std::chrono::steady_clock;

  // A query string starts: a cancel sent before it is forgotten
  // (PostgreSQL ignores a cancel that finds the session idle), and its
  // first statement may run for `limit` (0: no statement_timeout).
  void arm(std::chrono::milliseconds limit) {
    why_.store(none, std::memory_order_relaxed);
    limit_ = limit;
    start_clock();
  }
  // The next statement of the query string starts: as PostgreSQL (13 on)
  // does, statement_timeout applies to each statement separately. A
  // cancel stays: it stops the rest of the string.
  void start_clock() {
    deadline_ = limit_.count() > 0 ? clock::now() + limit_ : clock::time_point::max();
  }
  // SET statement_timeout in the string: the statements after it get it.
  void set_limit(std::chrono::milliseconds limit) { limit_ = limit; }
  // Stops the statement running, if any; the first reason wins.
  void cancel(reason r) {
    int expected = none;
    why_.compare_exchange_strong(expected, r, std::memory_order_relaxed);
  }
  // Whether the statement must stop now: cancelled, or past its deadline.
  bool due() {
    if (why_.load(std::memory_order_relaxed) != none) return true;
    if (deadline_ == clock::time_point::max() || clock::now() < deadline_) return false;
    cancel(timeout);
    return true;
  }
  // The error the statement fails with once due(): 57014, in PostgreSQL's words.
  sql_error error() const {
    return sql_error{errc::query_canceled,
                     why_.load(std::memory_order_relaxed) == timeout
                         ? "canceling statement due to statement timeout"
                         : "canceling statement due to user request",
                     -1,
                     {},
                     {}};
  }

 private:
  std::atomic<int> why_{none};
  clock::time_point deadline_ = clock::time_point::max();
  std::chrono::milliseconds limit_{0};
};

}  // namespace runnel::sql
