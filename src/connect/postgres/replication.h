// A logical replication connection to PostgreSQL (the streaming
// replication protocol over libpq, "Streaming Replication Protocol" in the
// PostgreSQL manual), reading pgoutput messages from a slot.
//
// The connection opens with replication=database, so it can also run plain
// SQL (PostgreSQL 10+): the connector finds or creates its publication and
// slot over the same connection it streams on. Creating a slot can export
// a snapshot: a second, ordinary connection that imports it (SET
// TRANSACTION SNAPSHOT) reads the tables exactly as of the slot's
// consistent point, so an initial snapshot followed by the stream misses
// and repeats nothing.
//
// Acknowledgement is the caller's: PostgreSQL may recycle WAL up to the
// flushed LSN this side reports (send_status), so a connector reports only
// what is durable in the log. Keepalives that ask for a reply are answered
// with the last reported positions.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/error.h"
#include "connect/postgres/pgoutput.h"

namespace runnel::connect::postgres {

struct system_identity {
  std::string system_id;
  std::uint32_t timeline = 0;
  lsn xlog_pos;
  std::string dbname;
};

struct slot_info {
  std::string name;
  lsn consistent_point;       // where the stream starts
  std::string snapshot_name;  // exported snapshot; empty unless asked for
};

// One chunk of WAL: a pgoutput message and where it ends.
struct xlog_data {
  lsn wal_start;
  lsn wal_end;  // the server's current end of WAL
  pg_timestamp send_time;
  std::vector<std::byte> payload;
};

class replication_connection {
 public:
  // `conninfo` is a libpq keyword string or URI ("host=… port=… user=…
  // dbname=…"); replication=database is added.
  static result<replication_connection> open(const std::string& conninfo);

  replication_connection(replication_connection&&) noexcept;
  replication_connection& operator=(replication_connection&&) noexcept;
  ~replication_connection();

  result<system_identity> identify_system();

  // Runs an SQL statement; returns rows of text (NULL as nullopt).
  result<std::vector<std::vector<std::optional<std::string>>>> query(const std::string& sql);

  // The slot's confirmed flush position, or nullopt if there is no such slot.
  result<std::optional<lsn>> slot_confirmed_flush(const std::string& slot);

  // CREATE_REPLICATION_SLOT … LOGICAL pgoutput; export_snapshot keeps the
  // snapshot valid until the next command on this connection.
  result<slot_info> create_slot(const std::string& slot, bool temporary, bool export_snapshot);

  // START_REPLICATION SLOT … LOGICAL from `from` (0/0: the slot's
  // confirmed position) with pgoutput protocol version 1.
  result<void> start(const std::string& slot, lsn from,
                     const std::vector<std::string>& publications, bool messages);

  // The next WAL message, waiting at most `timeout`; nullopt on timeout.
  // Answers keepalives itself, and sends a status update at least every
  // `status_interval` so the server never times the connection out.
  result<std::optional<xlog_data>> next(std::chrono::milliseconds timeout);

  // Reports positions to the server: WAL up to `flushed` may be recycled.
  result<void> send_status(lsn written, lsn flushed, bool reply_requested = false);

  lsn last_flushed() const { return flushed_; }
  lsn server_wal_end() const { return server_wal_end_; }

  std::chrono::milliseconds status_interval{10'000};

 private:
  struct conn;
  explicit replication_connection(std::unique_ptr<conn> c);

  result<std::optional<xlog_data>> read_available();
  result<void> status_if_due();

  std::unique_ptr<conn> c_;
  lsn written_;
  lsn flushed_;
  lsn server_wal_end_;
  std::chrono::steady_clock::time_point last_status_{};
};

// Quotes an SQL identifier ("my table" → "\"my table\"") and a literal.
std::string quote_identifier(const std::string& name);
std::string quote_literal(const std::string& value);

}  // namespace runnel::connect::postgres
