// The `source` block of a change event (Debezium's
// io.debezium.connector.postgresql.Source, version 1): where in the
// database and in the WAL a change came from.
//
//   version, connector ("postgresql"), name (topic.prefix), ts_ms (commit
//   time; read time in a snapshot), snapshot, db, sequence, ts_us, ts_ns,
//   schema, table, txId, lsn, xmin
//
// `sequence` orders events across restarts the way Debezium's consumers
// expect: a JSON array of two decimal LSN strings, the last commit LSN and
// this change's LSN (["24023104","24023128"]; the first may be null).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connect/api/data.h"
#include "connect/postgres/pgoutput.h"

namespace runnel::connect::postgres {

// Debezium's source.snapshot values (an io.debezium.data.Enum).
enum class snapshot_marker : char {
  no,  // "false": a streamed change
  yes,
  first,
  first_in_data_collection,
  last_in_data_collection,
  last,
  incremental,
};

std::string_view to_string(snapshot_marker m);

struct source_info {
  std::string name;  // topic.prefix
  std::string db;
  std::string schema;
  std::string table;
  std::int64_t ts_us = 0;
  snapshot_marker snapshot = snapshot_marker::no;
  std::optional<std::int64_t> tx_id;
  std::optional<lsn> change_lsn;
  std::optional<lsn> last_commit_lsn;
  std::optional<std::int64_t> xmin;
};

// The schema of the block, the same for every table (shared).
schema_ptr source_schema();

// The block's value, fields in schema order.
data source_value(const source_info& s);

// The envelope's optional `transaction` block (event.block, version 1):
// null unless provide.transaction.metadata is on.
schema_ptr transaction_block_schema();

}  // namespace runnel::connect::postgres
