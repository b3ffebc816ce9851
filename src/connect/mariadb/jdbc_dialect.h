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
//   timestamp modes: rows are read only below a bound taken in a statement
//     before the read: NOW less the age of the oldest of
//       - the InnoDB transactions still running that have modified a row
//         (information_schema.INNODB_TRX: trx_started, trx_rows_modified),
//       - the statements running (information_schema.PROCESSLIST, COMMAND
//         Query or Execute: TIME_MS, the statement's start to the µs),
//     less one second, less timestamp.delay.interval.ms. A row stamped
//     with NOW()/CURRENT_TIMESTAMP carries its statement's start. While
//     that statement runs, PROCESSLIST holds the bound below it; once it
//     has written, its transaction is in INNODB_TRX until it commits.
//     trx_started has a resolution of one second, rounded down, and InnoDB
//     starts a transaction at its first access, a moment after the
//     statement began: the second covers both (and the moment between the
//     two reads). A transaction that has only read so far holds nothing
//     back: whatever it writes later is stamped by a later statement.
//     trx_started is in the server's system time zone, so the bound is
//     computed in that zone (SET STATEMENT time_zone = 'SYSTEM') and the
//     clock read as UTC_TIMESTAMP(6).
//   cost: one statement per table and poll that reads one row per running
//     transaction and per connection; a long transaction (any database on
//     the server) or a long statement delays rows, never loses them.
//
// What remains: the moment inside one INSERT between InnoDB allocating an
// AUTO_INCREMENT value and inserting the row (microseconds; bulk inserts
// hold the table's AUTO-INC lock to their end under the default
// innodb_autoinc_lock_mode); a query (not a table) in incrementing mode
// has no rows to lock; timestamps written explicitly by the application
// rather than by NOW() (timestamp.delay.interval.ms is the remedy); a
// statement that spent more than a second before its first InnoDB access
// (e.g. waiting for a metadata lock) in a transaction that stays open
// after it; a transaction that spans the end of daylight saving time in
// the server's system zone (it is taken as an hour older). INNODB_TRX
// needs the PROCESS privilege (which also lets PROCESSLIST show every
// connection). Only InnoDB (transactional) tables are supported. On
// MySQL (untested here) PROCESSLIST has whole seconds only.
#pragma once

#include "connect/jdbc/dialect.h"

namespace runnel::connect::mariadb {

const jdbc::dialect& jdbc_dialect();

}  // namespace runnel::connect::mariadb
