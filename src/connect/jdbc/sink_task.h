// The task of the JDBC sink: each batch the runtime delivers is written in
// one PostgreSQL transaction together with the next offset of every
// partition it came from (offsets.table.name), so a crash at any moment
// leaves the table and the stored offsets agreeing. open() reads those
// offsets back and moves the consumer there; records below them (delivered
// again after a crash, whatever the consumer group had committed) are
// skipped: exactly-once.
//
// Threads: as every sink task (api/sink_task.h).
#pragma once

#include <memory>

#include "connect/api/sink_task.h"

namespace runnel::connect::jdbc {

std::unique_ptr<sink_task> make_jdbc_sink_task();

}  // namespace runnel::connect::jdbc
