// Debezium-compatible change events from decoded pgoutput messages (and
// from the rows of an initial snapshot): one source record per change, keyed
// by the primary key, on the topic `<topic.prefix>.<schema>.<table>`, with
// Debezium's envelope {before, after, source, transaction, op, ts_ms, ts_us,
// ts_ns} — op c (insert), u (update), d (delete), r (snapshot read), t
// (truncate) — so that a consumer written for Debezium's PostgreSQL
// connector reads them unchanged.
//
// What Debezium does, done here too:
//   - a delete is followed by a tombstone (same key, null value) so that a
//     compacted topic forgets the row (tombstones.on.delete; not for a
//     table without a key: a null key has nothing to compact);
//   - an update that changes the primary key is a delete of the old key
//     (header __debezium.newkey), its tombstone, and a create of the new
//     key (header __debezium.oldkey), so that per-key order holds;
//   - `before` is as full as the table's REPLICA IDENTITY lets PostgreSQL
//     send it: FULL gives whole rows; DEFAULT and INDEX give no `before` on
//     an update that keeps the key and only the key columns on a delete
//     (the rest null, or the type's zero when the column is NOT NULL). A
//     table whose identity is not FULL gets a warning once (take_warnings);
//   - an unchanged TOASTed value is the placeholder
//     __debezium_unavailable_value (value_mapping.h), never a silent null;
//     under REPLICA IDENTITY FULL the old row's value is used instead, as
//     it is the current one;
//   - skipped.operations (default "t": truncates are not emitted).
//
// Records carry source_partition {"server": topic.prefix}; the source
// offset is the caller's (it knows what has been read).
//
// Threads: one instance per task, used on the task's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connect/api/record.h"
#include "connect/postgres/pgoutput.h"
#include "connect/postgres/source_info.h"
#include "connect/postgres/table_schema.h"

namespace runnel::connect::postgres {

struct event_options {
  std::string topic_prefix;  // topic.prefix
  std::string database;      // database.dbname
  bool tombstones_on_delete = true;
  // Letters of the operations not emitted: c, u, d, t (skipped.operations;
  // Debezium's default is "t", and "none" there is "" here).
  std::string skipped_operations = "t";
};

// Where a change sits in the database's history.
struct change_position {
  std::optional<std::int64_t> tx_id;  // the transaction's xid
  std::optional<lsn> change_lsn;      // where the change is in the WAL
  std::optional<lsn> last_commit_lsn;
  std::int64_t ts_us = 0;  // commit time (snapshot: when it was read), µs since 1970
  snapshot_marker snapshot = snapshot_marker::no;
};

class change_events {
 public:
  // The catalog's view of a table (primary key, NOT NULL columns); nullopt
  // when it cannot say (see table_schema.h).
  using catalog_lookup = std::function<result<std::optional<table_catalog>>(const relation&)>;
  // Microseconds since 1970 (the envelope's ts_ms: when the event was made).
  using clock = std::function<std::int64_t()>;

  explicit change_events(event_options o, catalog_lookup lookup = {}, clock now_us = {});

  // A table's definition as of now (pgoutput's Relation message, or one
  // read from the catalog for a snapshot); later changes use it.
  result<void> on_relation(const relation& r);

  result<std::vector<source_record>> on_insert(const insert_msg& m, const change_position& p);
  result<std::vector<source_record>> on_update(const update_msg& m, const change_position& p);
  result<std::vector<source_record>> on_delete(const delete_msg& m, const change_position& p);
  result<std::vector<source_record>> on_truncate(const truncate_msg& m, const change_position& p);
  // A row read by a snapshot (op r).
  result<std::vector<source_record>> on_read(std::uint32_t relation_oid, const tuple& row,
                                             const change_position& p);

  const table_schema* table(std::uint32_t relation_oid) const;
  const event_options& options() const { return opts_; }

  // Sentences for the log since the last call (REPLICA IDENTITY warnings).
  std::vector<std::string> take_warnings();

 private:
  result<const table_schema*> find(std::uint32_t oid) const;
  source_record make(const table_schema& t, char op, data key, data before, data after,
                     const change_position& p) const;
  source_record tombstone(const table_schema& t, data key) const;
  bool skipped(char op) const;

  event_options opts_;
  catalog_lookup lookup_;
  clock now_us_;
  std::unordered_map<std::uint32_t, table_schema> tables_;
  std::unordered_map<std::uint32_t, replica_identity> warned_;
  std::vector<std::string> warnings_;
};

}  // namespace runnel::connect::postgres
