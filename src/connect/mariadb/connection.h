// One MariaDB/MySQL connection through MariaDB Connector/C (libmariadb),
// in the text protocol: every value arrives as its text (binary-safe: BLOB
// and BIT values are the raw bytes), every statement is sent as SQL with
// its values already written as literals (literals.h).
//
// It connects over TCP to the URL's host and port, "localhost" included
// (as a JDBC driver does; Connector/C's default would use the Unix socket).
// The session is set up for the JDBC connectors at open: utf8mb4,
// time_zone '+00:00' (TIMESTAMP values arrive in UTC), READ COMMITTED (no
// gap locks under the source's locking read), and an sql_mode that is
// strict (a value that does not fit is an error, never silently cut) and
// keeps backslash escapes (the literals depend on them).
//
// Not thread-safe: one owner.
#pragma once

#include <memory>
#include <string>

#include "connect/jdbc/dialect.h"

namespace runnel::connect::mariadb {

struct connect_options {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;
};

class connection final : public jdbc::db_session {
 public:
  static result<std::unique_ptr<connection>> open(const connect_options& o);
  ~connection() override;

  // One statement; `params` must be empty (values are literals). A failed
  // statement is errc::fatal, errc::retriable when the connection is lost,
  // and errc::conflict when a lock could not be taken (a NOWAIT read, or a
  // lock wait timeout).
  result<jdbc::db_result> run(const std::string& sql, const jdbc::sql_params& params) override;

  // MariaDB (not MySQL) is on the other end.
  bool is_mariadb() const { return is_mariadb_; }

 private:
  struct handle;
  explicit connection(std::unique_ptr<handle> h);
  std::unique_ptr<handle> h_;
  bool is_mariadb_ = true;
};

}  // namespace runnel::connect::mariadb
