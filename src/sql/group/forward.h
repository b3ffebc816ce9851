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
// Thread-safety: any thread; one connection per call, never while the
// engine's mutex is held (two processes forwarding to each other would
// otherwise wait for each other).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sql/engine/engine.h"

namespace runnel::sql {

inline constexpr std::string_view forwarded_marker = "/* runnel: forwarded */ ";

// Runs `sql` (one or more statements) at `address` (HOST:PORT, database
// dev). The remote error comes back with its SQLSTATE's code and its
// position made relative to `sql`; an unreachable process is
// errc::unavailable (retry: the group moves its pipelines).
result<std::vector<statement_result>> forward_statements(const std::string& address,
                                                         std::string_view sql);

}  // namespace runnel::sql
