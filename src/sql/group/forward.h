// forward: runs statements on another SQL process of the group over the
// PostgreSQL protocol (libpq) and hands back its results as this
// process's own, so that a client connected anywhere gets the answer of
// the process that runs the relation (`runnel sql --share`): pull queries
// go to the owner of the pipeline they read, DDL to the group's leader.
//
// A forwarded statement starts with `forwarded_marker`: the receiving
// engine never forwards it again (a routing table out of date during a
// rebalance could otherwise send it back and forth), it answers or fails
// with errc::unavailable.
//
// A subscription through a process that does not run its relation
// (SUBSCRIBE, DECLARE ... CURSOR FOR SUBSCRIBE, FETCH, CLOSE) needs the
// same connection for every statement: a `forward_link` is kept per
// session and cursor, and cancel() forwards a CancelRequest to it.
//
// Thread-safety: any thread; one connection per forward_statements() call,
// never while the engine's mutex is held (two processes forwarding to each
// other would otherwise wait for each other). A forward_link runs one
// statement at a time; cancel() may be called from any thread meanwhile.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_cancel;

#include "sql/engine/engine.h"

namespace runnel::sql {

inline constexpr std::string_view forwarded_marker = "/* runnel: forwarded */ ";

// Runs `sql` (one or more statements) at `address` (HOST:PORT, database
// dev). The remote error comes back with its SQLSTATE's code and its
// position made relative to `sql`; an unreachable process is
// errc::unavailable (retry: the group moves its pipelines).
result<std::vector<statement_result>> forward_statements(const std::string& address,
                                                         std::string_view sql);

// One connection to another process of the group, kept across statements
// (a forwarded cursor lives in it; closing the link closes the cursor).
class forward_link {
 public:
  static result<std::shared_ptr<forward_link>> connect(const std::string& address);
  ~forward_link();
  forward_link(const forward_link&) = delete;
  forward_link& operator=(const forward_link&) = delete;

  // As forward_statements(), on this connection. A connection that broke
  // (the process died) is errc::unavailable, now and for every later call.
  result<std::vector<statement_result>> run(std::string_view sql);
  // Asks the other process to cancel what this link runs (a waiting FETCH).
  void cancel();
  // The connection broke (its process went away or restarted).
  bool broken();
  const std::string& address() const { return address_; }

 private:
  forward_link() = default;
  std::string address_;
  std::mutex mu_;  // one statement at a time
  pg_conn* conn_ = nullptr;
  std::mutex cancel_mu_;
  pg_cancel* cancel_ = nullptr;
};

}  // namespace runnel::sql
