// The CDC connector's source offset: where in PostgreSQL's change stream a
// record stands, stored by the runtime under the source partition
// {"server": topic.prefix} (Kafka Connect's offset format).
//
//   lsn_commit  commit LSN of the transaction the position is in
//   lsn, lsn_proc  LSN of the last change delivered (Debezium's names)
//   txId, ts_usec  that transaction's id and commit time
//   events      change messages of that transaction fully delivered
//   tx_complete the whole transaction is delivered
//   flush_lsn   WAL PostgreSQL may release once this offset is stored
//   snapshot    true while the initial snapshot is running
//   incremental_snapshot_*  an incremental snapshot's progress
//               (incremental_snapshot.h)
//
// Resuming: the slot restarts at its confirmed position, which is at or
// before the stored offset (the connector confirms only stored offsets).
// A transaction committing before lsn_commit was delivered entirely; the
// one at lsn_commit is skipped up to `events` messages (all, if
// tx_complete); later ones are new. pgoutput sends the messages of a
// transaction the same way every time it is decoded, so counting them is
// exact where change LSNs alone are not guaranteed to be distinct.
#pragma once

#include <cstdint>
#include <optional>

#include "connect/api/data.h"
#include "connect/postgres/incremental_snapshot.h"
#include "connect/postgres/pgoutput.h"

namespace runnel::connect::postgres {

struct cdc_offset {
  lsn commit_lsn;
  lsn change_lsn;
  std::int64_t tx_id = 0;
  std::int64_t ts_usec = 0;
  std::int64_t events = 0;
  bool tx_complete = false;
  std::optional<lsn> flush_lsn;
  bool snapshot = false;
  incremental_progress incremental;

  data to_json() const;
  static std::optional<cdc_offset> from_json(const data& j);

  // How many change messages of the transaction committing at `commit`
  // were already delivered (-1: all of them).
  std::int64_t delivered_of(lsn commit) const;
};

}  // namespace runnel::connect::postgres
