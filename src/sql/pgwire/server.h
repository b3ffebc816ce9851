// pg_server: the PostgreSQL wire protocol (version 3) in front of an
// engine, so that psql and Postgres drivers connect unchanged. This first
// version speaks the simple query protocol: startup (SSL refused, any user
// accepted without a password — loopback only until security exists),
// ParameterStatus for server_version, client_encoding and the rest psql
// reads, Query with RowDescription/DataRow/CommandComplete in text format,
// ErrorResponse with the SQLSTATE (sqlstate.h) and the error's position,
// and Terminate. The extended protocol (Parse/Bind/Execute) is answered
// with an error until Sync.
//
// Threading: one thread accepts, one thread per connection; statements of
// all connections run one at a time on the shared engine (a mutex).
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
