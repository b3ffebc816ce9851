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
//     before the read: the start of the oldest InnoDB transaction still
//     running (information_schema.INNODB_TRX.trx_started) or NOW(6) when
//     none is, less one second, less timestamp.delay.interval.ms. A row
//     stamped with NOW()/CURRENT_TIMESTAMP carries its statement's start,
//     which is not before its transaction's; trx_started has a resolution
//     of one second (and InnoDB starts a transaction at its first access,
//     a moment after the statement began): the second covers both.
//
// What remains: the moment inside one INSERT between InnoDB allocating an
// AUTO_INCREMENT value and inserting the row (microseconds; bulk inserts
// hold the table's AUTO-INC lock to their end under the default
// innodb_autoinc_lock_mode); a query (not a table) in incrementing mode
// has no rows to lock; timestamps written explicitly by the application
// rather than by NOW(); a statement that takes more than a second before
// its first InnoDB access. INNODB_TRX needs the PROCESS privilege. Only
// InnoDB (transactional) tables are supported.
#pragma once

#include "connect/jdbc/dialect.h"

namespace runnel::connect::mariadb {

const jdbc::dialect& jdbc_dialect();

}  // namespace runnel::connect::mariadb
