// Incremental snapshots (Debezium's, after Netflix's DBLog): tables read in
// chunks by primary key while the stream keeps running, started, paused,
// resumed and stopped by signals, and resumable from the source offset.
//
// The watermark algorithm, as the task (cdc_source_task.cc) runs it:
//   1. a row `<chunk id>-open` of type snapshot-window-open goes into the
//      signal table (the low watermark, its own transaction);
//   2. the next chunk is read in a REPEATABLE READ transaction: `WHERE key
//      > last AND key <= maximum ORDER BY key LIMIT
//      incremental.snapshot.chunk.size`, held as op r records, with the
//      transaction's snapshot (pg_current_snapshot(), xid_snapshot.h);
//   3. a row `<chunk id>-close` of type snapshot-window-close follows (the
//      high watermark), written after that snapshot was taken.
// Until the stream reaches the close row, a streamed change of a key drops
// that key's held row when the chunk's snapshot did not see the change's
// transaction: the change is newer than the row. Changes streamed before
// the chunk was read count too (the task remembers them until a snapshot
// sees them): PostgreSQL writes a commit to the WAL, and may stream it,
// before the transaction is visible to new snapshots, so WAL order alone
// (DBLog's rule: drop for changes between the watermarks) can let a stale
// row through. Every transaction the snapshot sees commits before the
// close row. At the close the rows left are emitted, then the next chunk
// is read. So a snapshot row never lands after a change it predates, and
// every row present throughout is emitted.
//
// This file holds what is independent of the connections: the progress
// (which tables are left, the last key of the last emitted chunk, the
// table's maximum key) and how it is kept in the source offset under
// Debezium's keys, the parsing of execute-snapshot / stop-snapshot data,
// and the chunk's SQL.
//
// Offsets: incremental_snapshot_collections is Debezium's JSON text (a
// list of {incremental_snapshot_collections_id, …_additional_condition,
// …_surrogate_key}); incremental_snapshot_primary_key and
// incremental_snapshot_maximum_key are JSON text too — an array of the key
// columns' values in PostgreSQL's text form — where Debezium writes a
// Java-serialised array in hex. A Debezium offset's hex keys are therefore
// not read back: that table's snapshot starts again from its first chunk
// (a warning says so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"

namespace runnel::connect::postgres {

struct incremental_collection {
  std::string id;                        // schema.table
  std::optional<std::string> condition;  // additional-conditions' filter
  friend bool operator==(const incremental_collection&, const incremental_collection&) = default;
};

struct incremental_progress {
  // Tables left, the first being read.
  std::vector<incremental_collection> collections;
  // The first table's key at the end of the last chunk emitted (none: start
  // at its beginning) and its largest key when its snapshot began.
  std::optional<std::vector<std::string>> last_key;
  std::optional<std::vector<std::string>> maximum_key;

  bool running() const { return !collections.empty(); }
  // The first table done (or dropped): on to the next one.
  void next_table();

  // Adds Debezium's offset keys to `offset` (nothing when not running).
  void to_offset(data& offset) const;
  // From a stored offset; `warning` explains what could not be read.
  static incremental_progress from_offset(const data& offset, std::string& warning);
  friend bool operator==(const incremental_progress&, const incremental_progress&) = default;
};

// A signal row (the signal table's first three columns: id, type, data).
struct signal_row {
  std::string id;
  std::string type;
  std::optional<std::string> data;
};

// The data of execute-snapshot and stop-snapshot:
//   {"data-collections": ["public.t", …], "type": "incremental",
//    "additional-conditions": [{"data-collection": "public.t",
//                               "filter": "…"}]}
// (the older "additional-condition": "…" applies to every collection).
// Empty collections: stop-snapshot's "every table".
struct snapshot_signal {
  std::vector<std::string> collections;
  std::string type = "incremental";
  std::vector<std::pair<std::string, std::string>> conditions;  // collection, filter
  std::optional<std::string> condition_for_all;

  std::optional<std::string> condition(const std::string& collection) const;
};
result<snapshot_signal> parse_snapshot_signal(const std::optional<std::string>& json);

// `schema.table` (a leading database name is dropped, as Debezium's
// `db.schema.table` form allows; quotes around a part are removed).
std::optional<std::pair<std::string, std::string>> split_table_name(const std::string& name);

// A chunk's SELECT: `columns` of the table in key order after `last` (when
// given: one $n per key column, then the maximum's) and up to the maximum.
// `key_types` are the key columns' SQL types (format_type) for the casts.
std::string chunk_query(const std::string& schema, const std::string& table,
                        const std::vector<std::string>& columns,
                        const std::vector<std::string>& key,
                        const std::vector<std::string>& key_types, bool after_last,
                        const std::optional<std::string>& condition, std::int64_t limit);
// The table's largest key (key columns only, one row or none).
std::string maximum_key_query(const std::string& schema, const std::string& table,
                              const std::vector<std::string>& key,
                              const std::optional<std::string>& condition);

// A fresh chunk id (a random UUID's text form).
std::string new_chunk_id();

}  // namespace runnel::connect::postgres
