// The task of the PostgreSQL CDC source connector: an initial snapshot
// (snapshot.mode) read through the replication slot's exported snapshot,
// then the slot's pgoutput stream, as Debezium-compatible change events
// (change_events.h) with offsets by LSN (cdc_offset.h).
//
// Durability: PostgreSQL may recycle WAL only up to what this task reports
// as flushed, and it reports a transaction's end only after the runtime has
// stored the offset of the transaction's last record: commit() reads the
// stored offset back and confirms its flush_lsn (not the furthest record
// acknowledged: the runtime acknowledges an offset-only record before the
// records ahead of it have reached the broker). A kill -9 anywhere
// therefore resumes at or before the last stored offset; the offset's
// message count skips what was already delivered, and what was produced but
// not yet stored is delivered again (at-least-once).
//
// While captured tables are quiet, the position still advances: every
// status.update.interval.ms (or heartbeat.interval.ms, which also writes a
// heartbeat record) an offset-only record carries the server's WAL
// position, so WAL is not pinned by a slot waiting for a change that will
// not come.
//
// Incremental snapshots (incremental_snapshot.h): signals inserted into the
// signal table arrive through the stream; a chunk is read between an open
// and a close watermark row written to that table, held until the stream
// reaches the close row, and emitted without the keys changed by streamed
// transactions the chunk's snapshot did not see. Every record's offset
// carries the progress (up to the last chunk emitted), so a restart resumes
// after it.
//
// Threads: the runtime's task thread, except wakeup().
#pragma once

#include <memory>

#include "connect/api/source_task.h"

namespace runnel::connect::postgres {

std::unique_ptr<source_task> make_cdc_source_task();

}  // namespace runnel::connect::postgres
