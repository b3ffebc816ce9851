// The initial snapshot: the captured tables read inside a REPEATABLE READ
// transaction that imports the replication slot's exported snapshot, so the
// rows are exactly those committed before the slot's consistent point and
// the stream continues with the first change after them.
//
// Rows are fetched through a cursor, a chunk at a time, so a large table
// never sits in memory; each chunk says whether it ends its table (the
// reader looks one fetch ahead) so the events can carry Debezium's
// first/last snapshot markers.
//
// Not thread-safe; the connection is the caller's and must stay open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connect/postgres/catalog.h"
#include "connect/postgres/sql_connection.h"

namespace runnel::connect::postgres {

class snapshot_reader {
 public:
  struct chunk {
    std::size_t table = 0;  // index into tables()
    std::vector<tuple> rows;
    bool first_of_table = false;
    bool last_of_table = false;
  };

  // Begins the transaction (importing `snapshot_name`; empty: a fresh
  // snapshot, for tests) and lists the tables `filter` admits.
  static result<snapshot_reader> begin(sql_connection& c, const std::string& snapshot_name,
                                       const table_filter& filter, std::int64_t fetch_size);

  const std::vector<relation>& tables() const { return tables_; }
  // The snapshot's xmin: the txId of read events.
  std::int64_t xmin() const { return xmin_; }

  // The next chunk (possibly empty rows, for an empty table); nullopt once
  // every table is read and the transaction is committed.
  result<std::optional<chunk>> next();

 private:
  result<std::vector<tuple>> fetch();

  sql_connection* c_ = nullptr;
  std::vector<relation> tables_;
  std::int64_t xmin_ = 0;
  std::int64_t fetch_size_ = 0;
  std::size_t table_ = 0;
  bool cursor_open_ = false;
  bool first_ = true;
  std::optional<std::vector<tuple>> ahead_;
  bool done_ = false;
};

}  // namespace runnel::connect::postgres
