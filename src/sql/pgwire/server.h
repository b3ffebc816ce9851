// pg_server: the PostgreSQL wire protocol (version 3) in front of an
// engine, so that psql and Postgres drivers connect unchanged: startup (SSL
// refused, any user accepted without a password — loopback only until
// security exists), ParameterStatus for server_version, client_encoding and
// the rest psql reads, the simple query protocol (Query), and the extended
// one (Parse, Bind, Describe, Execute, Close, Sync, Flush) with typed
// parameters in text or binary and results in text or binary (params.h),
// ErrorResponse with the SQLSTATE (sqlstate.h) and the error's position,
// Terminate, and CancelRequest (matched against each connection's
// BackendKeyData: pid and a random secret) for a FETCH that waits. Parameters are written into the
// statement as typed literals, so every statement takes them; Describe of a portal runs it (Execute
// then sends its rows), Describe of a prepared statement runs a statement that only reads once with
// NULL parameters to learn its columns.
//
// Threading: one thread accepts, one thread per connection; statements of
// all connections run one at a time on the shared engine (its own mutex,
// which a FETCH waiting for changes releases). Each connection is an engine
// session: its cursors are its own and are closed when it ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sql/engine/engine.h"

namespace runnel::sql {

class pg_server {
 public:
  // Listens on host:port (port 0: any free port) and serves `e`, which
  // must outlive the server.
  static result<std::unique_ptr<pg_server>> start(engine& e, const std::string& host,
                                                  uint16_t port);
  ~pg_server();  // stops accepting, closes every connection, joins threads

  uint16_t port() const;

  struct impl;

 private:
  explicit pg_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
