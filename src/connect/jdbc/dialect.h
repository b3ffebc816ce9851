// The seam between the JDBC connectors and a database: how to connect,
// quote, bind values, read the catalog, map column values to Connect data,
// bound a timestamp read safely, and write the sink's DDL and upserts.
//
// Two implementations: PostgreSQL (postgres_dialect.cc, over the libpq
// connection, catalog and value mapping of connect/postgres/) and
// MariaDB/MySQL (connect/mariadb/, over MariaDB Connector/C). The source
// (source_table.h) and the sink (sink_writer.h, sink_task.cc) hold the
// logic of the modes, offsets and transactions and only ask the dialect
// for SQL pieces, so both databases share it.
//
// Values are bound through bind(): a dialect either appends a parameter
// and returns its placeholder ($n for libpq) or returns the value as an
// escaped SQL literal (MariaDB's text protocol); callers pass the same
// `params` vector to db_session::run().
//
// A dialect is stateless and shared (dialect_for()); a db_session is one
// connection, not thread-safe, with one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"
#include "connect/jdbc/jdbc_url.h"

namespace runnel::connect::jdbc {

struct connection_config;
struct source_config;

using sql_row = std::vector<std::optional<std::string>>;  // text values; NULL as nullopt
using sql_params = std::vector<std::optional<std::string>>;

// A result column as the server describes it. The fields are the
// dialect's own: only the dialect that produced a column reads them.
struct db_column {
  std::string name;
  std::uint32_t type = 0;      // PostgreSQL: the type OID; MariaDB: enum_field_types
  std::int32_t modifier = -1;  // PostgreSQL: the type modifier; MariaDB: decimals
  std::uint32_t flags = 0;     // MariaDB: field flags (NOT_NULL, UNSIGNED, …)
  std::uint32_t charset = 0;   // MariaDB: character set number (63: binary)
  std::uint64_t length = 0;    // MariaDB: column length (BIT: bits)
  std::string format;          // MariaDB: extended type name ("json"), if sent
};

struct db_result {
  std::vector<db_column> columns;
  std::vector<sql_row> rows;
};

class db_session {
 public:
  virtual ~db_session() = default;
  // One statement with the parameters bind() collected. A failed
  // statement is errc::fatal (errc::retriable when the connection is gone).
  virtual result<db_result> run(const std::string& sql, const sql_params& params = {}) = 0;
};

struct table_id {
  std::string schema;  // PostgreSQL: the schema; MariaDB: the database
  std::string name;
};

// What the source needs from the catalog about one table.
struct table_keys {
  std::vector<std::string> primary_key;  // in key order; empty: none
  std::set<std::string> not_null;
};

class dialect {
 public:
  virtual ~dialect() = default;

  virtual result<std::unique_ptr<db_session>> open(const connection_config& c) const = 0;

  // --- identifiers and values ---
  virtual std::string quote(std::string_view identifier) const = 0;
  // "schema.table" or "table", each part quoted.
  std::string quote_table(const std::string& dotted) const;
  // A text value (nullopt: NULL) as an SQL expression.
  virtual std::string bind(std::optional<std::string> text, sql_params& params) const = 0;
  // An integer value as an SQL integer expression.
  virtual std::string bind_int(std::int64_t v, sql_params& params) const = 0;
  // `expr` as a 64-bit integer.
  virtual std::string as_int64(const std::string& expr) const = 0;

  // --- catalog ---
  // The schema of a table named without one ("public"; the URL's database).
  virtual std::string default_schema(const connection_config& c) const = 0;
  virtual result<std::vector<table_id>> list_tables(db_session& s) const = 0;
  // nullopt: no such table.
  virtual result<std::optional<table_keys>> describe_table(db_session& s,
                                                           const table_id& t) const = 0;
  // The columns of a table for the sink (nullopt: no such table).
  virtual result<std::optional<std::set<std::string>>> table_columns(
      db_session& s, const std::string& dotted) const = 0;

  // --- values read (source) ---
  virtual schema_ptr column_schema(const db_column& c, bool optional) const = 0;
  virtual result<data> column_value(const db_column& c, std::string_view text) const = 0;

  // --- timestamp modes ---
  virtual bool is_timestamp(const db_column& c) const = 0;
  // `expr` (of column type `c`) as µs since the epoch, an integer.
  virtual std::string timestamp_us(const std::string& expr, const db_column& c) const = 0;
  // µs since the epoch as a value comparable with a column of type `c`.
  virtual std::string timestamp_at(std::int64_t us, const db_column& c,
                                   sql_params& params) const = 0;
  // The safe upper bound of a read (µs, exclusive): every transaction that
  // may still write a row stamped below it has ended. Run as a statement
  // of its own before the read. (Each implementation says why it is safe.)
  virtual result<std::int64_t> safe_timestamp_us(db_session& s, const db_column& c,
                                                 const source_config& cfg) const = 0;

  // --- incrementing mode on a table ---
  // How rows of transactions that may still commit below the ids already
  // read are held back: an extra column that is "t" while a row may be
  // read (the rows are cut at the first that is not), and/or a locking
  // clause appended to the read that fails (is_held()) on a row still
  // uncommitted.
  struct incrementing_guard {
    std::string settled_column;  // "" : none
    std::string locking_clause;  // "" : none
  };
  virtual incrementing_guard guard(db_session& s) const = 0;
  virtual bool is_held(const error& e) const = 0;

  // --- the sink ---
  // The column type of a field (auto.create, auto.evolve); `key`: part of
  // the primary key (MariaDB cannot index TEXT/BLOB without a length).
  virtual std::string column_type(const schema_ptr& s, bool key) const = 0;
  // A Connect value as an SQL expression of its column type.
  virtual result<std::string> bind_value(const schema_ptr& s, const data& v,
                                         sql_params& params) const = 0;
  // What follows INSERT … VALUES (…) to update the row on a key conflict.
  virtual std::string upsert_clause(const std::vector<std::string>& keys,
                                    const std::vector<std::string>& others) const = 0;
  // Appended to CREATE TABLE (…) (MariaDB: ENGINE=InnoDB).
  virtual std::string table_options() const = 0;
  // DDL commits an open transaction (MariaDB, MySQL): the sink runs it
  // before the batch's transaction.
  virtual bool ddl_commits() const = 0;
};

const dialect& dialect_for(database_kind kind);

// A database's text of an integer as a number; nullopt for NULL or text
// that is not one whole integer.
std::optional<std::int64_t> parse_int64(const std::optional<std::string>& s);
const dialect& postgres_dialect();

}  // namespace runnel::connect::jdbc
