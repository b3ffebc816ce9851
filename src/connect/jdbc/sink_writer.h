// What the JDBC sink writes for one record, through a dialect (dialect.h:
// PostgreSQL or MariaDB/MySQL): the row's columns from pk.mode,
// fields.whitelist and the record's key and value; the destination table,
// created (auto.create) or given new columns (auto.evolve) from the
// record's schema; and the INSERT, upsert (PostgreSQL: ON CONFLICT … DO
// UPDATE; MariaDB: ON DUPLICATE KEY UPDATE), UPDATE or DELETE statement.
//
// Every statement runs in the caller's open transaction (sink_task wraps a
// batch and its offsets in one). PostgreSQL's DDL is transactional and
// runs there too; MariaDB's DDL commits the open transaction, so for it
// the caller runs prepare() on every record of a batch before the
// transaction begins. After a rollback the writer must forget what it
// learnt (forget()).
//
// Not thread-safe: one owner (the task's thread).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "connect/api/record.h"
#include "connect/jdbc/dialect.h"
#include "connect/jdbc/sink_config.h"

namespace runnel::connect::jdbc {

class sink_writer {
 public:
  sink_writer(const sink_config& cfg, const dialect& d) : cfg_(&cfg), d_(&d) {}

  // Creates or evolves the record's table (DDL only; nothing for a
  // tombstone). errc::data as write().
  result<void> prepare(db_session& s, const sink_record& r);

  // Writes (or deletes, or skips) one record. errc::data: this record
  // cannot be written (no key for a delete, a value that is not a struct,
  // a missing table without auto.create, …).
  result<void> write(db_session& s, const sink_record& r);

  // Drops what is known about tables (after a rollback).
  void forget() { tables_.clear(); }

 private:
  struct column {
    std::string name;
    schema_ptr schema;
    data value;
  };
  struct row {
    std::vector<column> columns;
    std::vector<std::string> key;  // primary-key column names
  };
  result<row> make_row(const sink_record& r, bool with_value) const;
  result<void> ensure_table(db_session& s, const std::string& table, const row& r);

  const sink_config* cfg_;
  const dialect* d_;
  std::map<std::string, std::set<std::string>> tables_;  // table → its columns
};

}  // namespace runnel::connect::jdbc
