// What the JDBC sink writes for one record into PostgreSQL: the row's
// columns from pk.mode, fields.whitelist and the record's key and value;
// the destination table, created (auto.create) or given new columns
// (auto.evolve) from the record's schema; and the INSERT, upsert (ON
// CONFLICT … DO UPDATE), UPDATE or DELETE statement.
//
// Every statement runs in the caller's open transaction (sink_task wraps a
// batch and its offsets in one), including the DDL, which PostgreSQL makes
// transactional: after a rollback the writer must forget what it learnt
// (forget()).
//
// Not thread-safe: one owner (the task's thread).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "connect/api/record.h"
#include "connect/jdbc/sink_config.h"
#include "connect/postgres/sql_connection.h"

namespace runnel::connect::jdbc {

class sink_writer {
 public:
  explicit sink_writer(const sink_config& cfg) : cfg_(&cfg) {}

  // Writes (or deletes, or skips) one record. errc::data: this record
  // cannot be written (no key for a delete, a value that is not a struct,
  // a missing table without auto.create, …).
  result<void> write(postgres::sql_connection& c, const sink_record& r);

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
  result<void> ensure_table(postgres::sql_connection& c, const std::string& table, const row& r);

  const sink_config* cfg_;
  std::map<std::string, std::set<std::string>> tables_;  // table → its columns
};

// "schema.table" or "table", each part quoted.
std::string quote_table(const std::string& name);

}  // namespace runnel::connect::jdbc
