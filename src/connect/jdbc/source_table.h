// One thing the query-based source reads — a table, or the user's query —
// and the SQL it reads it with in each mode, through a dialect
// (dialect.h: PostgreSQL or MariaDB/MySQL).
//
// Safe high-water marks. Taking "the largest value seen" as the offset, as
// Confluent's connector does, loses rows: a transaction that took id 10
// but commits after one that took id 11 is never read once 11 has been, and
// a row stamped now() by a transaction still running is older than rows
// already read. So:
//
//   incrementing (tables): rows are read in id order and cut before the
//     first row a transaction still running may yet commit below: on
//     PostgreSQL a per-row test of xmin against the oldest running
//     transaction (age(xmin) > age(pg_snapshot_xmin(pg_current_snapshot())),
//     evaluated in the query's own snapshot); on MariaDB/MySQL a locking
//     read that cannot pass an uncommitted row (the read is held when it
//     times out: mariadb/jdbc_dialect.h).
//   timestamp modes: rows are read only below a bound taken in an earlier
//     statement than the read: the start of the oldest transaction still
//     running (PostgreSQL: pg_stat_activity.xact_start; MariaDB: the
//     oldest statement running, PROCESSLIST, or transaction that has
//     written, INNODB_TRX, less a second, and the read is the locking read
//     of incrementing mode in timestamp order), or now() when none is,
//     less timestamp.delay.interval.ms. Every transaction
//     that started before the bound has ended before the read, so its rows
//     are seen.
//   equal timestamps (timestamp mode): a batch ends only at the end of a
//     group of equal timestamps, and a record's offset is the last complete
//     group's, so a restart after any record neither skips nor repeats more
//     than its group.
//
// What remains (docs/connect/jdbc.md): a query (not a table) in
// incrementing mode has no guard; the sequence / AUTO_INCREMENT value a
// statement takes a moment before its row exists is not covered; a
// long-running writing transaction delays (never loses) rows; and the
// bound needs to see other sessions' transactions (PostgreSQL:
// pg_read_all_stats or superuser; MariaDB: the PROCESS privilege).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/record.h"
#include "connect/jdbc/dialect.h"
#include "connect/jdbc/source_config.h"

namespace runnel::connect::jdbc {

// Where a table stopped: the offset of Confluent's connector
// ({"incrementing": id, "timestamp": ms, "timestamp_nanos": ns}).
struct table_offset {
  std::optional<std::int64_t> incrementing;
  std::optional<std::int64_t> timestamp_us;  // µs since the epoch (in db.timezone if no zone)

  data to_json() const;
  static table_offset from_json(const data& d);
};

class source_table {
 public:
  // `table` is "schema.name" (a table) or empty with cfg.query set.
  static result<source_table> describe(const dialect& d, db_session& s, const source_config& cfg,
                                       const std::string& schema, const std::string& name);

  const std::string& topic() const { return topic_; }
  // The source partition: {"protocol": "1", "table": "db.schema.name"} or
  // {"query": "query"}, as Confluent's connector names them.
  const data& partition() const { return partition_; }
  std::string display_name() const;

  // Rows after `from`, at most cfg.batch_max_rows (a timestamp group may
  // exceed it), as records whose offsets are safe to resume from. `full`:
  // the batch was cut by the limit (poll again at once).
  struct batch {
    std::vector<source_record> records;
    bool full = false;
    table_offset last;  // the offset after the batch
  };
  result<batch> read(db_session& s, const table_offset& from);

 private:
  result<source_record> make_record(const sql_row& row) const;
  result<batch> read_incrementing(db_session& s, const table_offset& from);

  const source_config* cfg_ = nullptr;
  const dialect* d_ = nullptr;
  std::string from_;  // "schema"."name" AS t, or (query) AS t
  bool is_table_ = false;
  std::string topic_;
  data partition_;
  std::vector<db_column> columns_;
  std::vector<bool> optional_;
  std::vector<std::size_t> key_;
  schema_ptr key_schema_;
  schema_ptr value_schema_;
  std::string inc_expr_;
  std::string ts_expr_;
  db_column ts_column_;  // the first timestamp column (its type decides the casts)
};

}  // namespace runnel::connect::jdbc
