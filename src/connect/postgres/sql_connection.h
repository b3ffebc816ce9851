// An ordinary libpq connection for what the CDC connector asks with plain
// SQL: the catalog (which tables, their columns, keys and NOT NULL
// columns) and the initial snapshot, read inside a transaction that imports
// the replication slot's exported snapshot.
//
// Sessions are set to the output forms value_mapping.h parses (DateStyle
// ISO, IntervalStyle postgres), so a value read here maps exactly as the
// same value streamed by pgoutput.
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect::postgres {

using sql_row = std::vector<std::optional<std::string>>;  // NULL as nullopt

// A result column as the server describes it (what a query-based source
// needs to map values it did not declare: value_mapping.h takes the OID and
// modifier).
struct sql_column {
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
};

struct sql_result {
  std::vector<sql_column> columns;
  std::vector<sql_row> rows;
};

class sql_connection {
 public:
  static result<sql_connection> open(const std::string& conninfo);

  sql_connection(sql_connection&&) noexcept;
  sql_connection& operator=(sql_connection&&) noexcept;
  ~sql_connection();

  // Runs one statement (with $1.. parameters as text); rows as text. A
  // failed statement is errc::fatal (errc::retriable when the connection
  // is gone).
  result<std::vector<sql_row>> query(const std::string& sql,
                                     const std::vector<std::string>& params = {});
  // The same, with the result's column names and types.
  result<sql_result> query_with_columns(const std::string& sql,
                                        const std::vector<std::string>& params = {});
  // The same, with parameters that may be NULL (nullopt).
  result<sql_result> execute(const std::string& sql,
                             const std::vector<std::optional<std::string>>& params);

 private:
  struct conn;
  explicit sql_connection(std::unique_ptr<conn> c);
  std::unique_ptr<conn> c_;
};

// A libpq conninfo string from Debezium's database.* keys.
std::string make_conninfo(const std::string& host, int port, const std::string& user,
                          const std::string& password, const std::string& dbname);

}  // namespace runnel::connect::postgres
