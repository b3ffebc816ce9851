// The MariaDB/MySQL dialect of the JDBC connectors (connect/jdbc/dialect.h)
// over MariaDB Connector/C: jdbc:mysql:// and jdbc:mariadb:// URLs.
//
// Safe high-water marks on InnoDB (docs/connect/jdbc.md says the same):
//
//   incrementing (tables): the read is a locking read in READ COMMITTED
//     (… ORDER BY id LIMIT n LOCK IN SHARE MODE WAIT 1; MySQL: FOR SHARE
//     NOWAIT). InnoDB visits the rows in id order and must lock each: a
//     row inserted by a transaction that has not committed is locked by
//     it, so the read waits for that transaction (a short one commits
//     within the wait and the read goes on) instead of passing over the
//     row; after a second the read fails and the batch is held until the
//     next poll. A transaction that took id 10 and commits after the one
//     that took id 11 therefore cannot be skipped: while its row exists
//     uncommitted, no read gets past it. READ COMMITTED takes no gap
//     locks, so inserts are never blocked; the shared locks on the rows
//     read last only for the statement.
//   timestamp modes (tables): the reads take the same locking clause, in
//     timestamp order, so they cannot pass a row still uncommitted; and
//     rows are read only below a bound taken in a statement before the
//     read, which covers the moment before a row exists: NOW less the age
//     of the oldest of
//       - the statements running (information_schema.PROCESSLIST, COMMAND
//         Query or Execute: TIME_MS, the statement's start to the µs,
//         live): a statement whose NOW() is fixed but that has not
//         written yet, e.g. one waiting for a table lock;
//       - the InnoDB transactions still running that have modified a row
//         (information_schema.INNODB_TRX) — only a further hold: InnoDB
//         refreshes that view only after 0.1 s without a reader, so under
//         frequent readers it can be stale,
//     less one second, less timestamp.delay.interval.ms. A row stamped
//     with NOW()/CURRENT_TIMESTAMP carries its statement's start: while
//     the statement runs, PROCESSLIST holds the bound below it; once the
//     row exists, its lock holds the read. trx_started is written in the
//     server's system time zone (not the session's), so the ages are
//     taken in that zone (SET STATEMENT time_zone = 'SYSTEM') and the
//     clock read as UTC_TIMESTAMP(6). A transaction that has only read
//     holds nothing back: what it writes later is stamped by a later
//     statement.
//   cost: one statement per table and poll that reads one row per running
//     transaction and per connection; the reads lock only the rows they
//     visit (with an index on the column: at most batch.max.rows + 1 past
//     the offset); a long statement, or a transaction holding a row in the
//     way, delays rows, never loses them.
//
// What remains: the moment inside one INSERT between InnoDB allocating an
// AUTO_INCREMENT value and inserting the row (microseconds; bulk inserts
// hold the table's AUTO-INC lock to their end under the default
// innodb_autoinc_lock_mode); a query (not a table) has no rows to lock
// (incrementing: nothing holds it back; timestamp modes: only the bound);
// a timestamp the application writes itself is covered once its row
// exists (unless older than what was already read), not between taking
// the value and the INSERT starting (timestamp.delay.interval.ms is the
// remedy). INNODB_TRX needs the PROCESS privilege (which also lets
// PROCESSLIST show every connection). Only InnoDB (transactional) tables
// are supported. On MySQL (untested here) PROCESSLIST has whole seconds
// only.
#pragma once

#include "connect/jdbc/dialect.h"

namespace runnel::connect::mariadb {

const jdbc::dialect& jdbc_dialect();

}  // namespace runnel::connect::mariadb
