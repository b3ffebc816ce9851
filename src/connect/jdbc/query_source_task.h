// The task of the query-based JDBC source: polls its tables (or the query)
// every poll.interval.ms, at once again after a full batch, and returns
// their rows as records whose offsets (Confluent's format, table_offset)
// are safe to resume from (source_table.h says why).
//
// Threads: as every source task (api/source_task.h); wakeup() from another
// thread only sets a flag the waiting poll checks.
#pragma once

#include <memory>

#include "connect/api/source_task.h"

namespace runnel::connect::jdbc {

std::unique_ptr<source_task> make_query_source_task();

}  // namespace runnel::connect::jdbc
