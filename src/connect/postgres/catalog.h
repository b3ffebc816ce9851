// What the CDC connector reads from PostgreSQL's catalog: which tables
// exist, a table's columns as pgoutput would describe them (so a snapshot
// row maps exactly as a streamed one), and what pgoutput leaves out (the
// primary key, NOT NULL). Also the table filter of table.include.list and
// table.exclude.list.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "connect/postgres/sql_connection.h"
#include "connect/postgres/table_schema.h"

namespace runnel::connect::postgres {

struct table_ref {
  std::uint32_t oid = 0;
  std::string schema;
  std::string name;
};

// Ordinary and partitioned tables outside pg_catalog, information_schema
// and pg_toast, ordered by schema and name.
result<std::vector<table_ref>> list_tables(sql_connection& c);

// The table as a Relation message would describe it: published columns
// (not dropped, not generated) in attribute order, their types, the replica
// identity and its columns.
result<relation> read_relation(sql_connection& c, std::uint32_t oid);

// The primary key (in key order) and the NOT NULL columns.
result<table_catalog> read_table_catalog(sql_connection& c, std::uint32_t oid);

// table.include.list / table.exclude.list: comma-separated regular
// expressions matched against the whole of `schema.table` (Debezium's
// rule). An include list admits only what it matches; the exclude list
// then removes; neither set admits every table.
class table_filter {
 public:
  static result<table_filter> make(const std::vector<std::string>& include,
                                   const std::vector<std::string>& exclude);
  bool admits(const std::string& schema, const std::string& table) const;

 private:
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
};

}  // namespace runnel::connect::postgres
