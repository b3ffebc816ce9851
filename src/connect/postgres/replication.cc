#include "connect/postgres/replication.h"

#include <poll.h>

#include <cstring>

#include <libpq-fe.h>

namespace runnel::connect::postgres {

namespace {

using clock = std::chrono::steady_clock;

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr std::int64_t pg_epoch_offset_micros = 946'684'800LL * 1'000'000;

std::int64_t now_pg_micros() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return us - pg_epoch_offset_micros;
}

std::uint64_t read_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

void write_be64(char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

}  // namespace

struct replication_connection::conn {
  PGconn* pg = nullptr;
  ~conn() {
    if (pg != nullptr) {
      PQfinish(pg);
    }
  }
  std::string last_error() const {
    std::string e = PQerrorMessage(pg);
    while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) {
      e.pop_back();
    }
    return e;
  }
};

replication_connection::replication_connection(std::unique_ptr<conn> c) : c_(std::move(c)) {}
replication_connection::replication_connection(replication_connection&&) noexcept = default;
replication_connection& replication_connection::operator=(replication_connection&&) noexcept =
    default;
replication_connection::~replication_connection() = default;

result<replication_connection> replication_connection::open(const std::string& conninfo) {
  // expand_dbname: the first "dbname" value is itself a conninfo string or
  // URI; the keywords after it override what it says.
  const char* keys[] = {"dbname", "replication", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "database", "runnel-connect", nullptr};
  auto c = std::make_unique<conn>();
  c->pg = PQconnectdbParams(keys, values, 1);
  if (c->pg == nullptr) {
    return make_error(errc::retriable, "postgres: out of memory opening a connection");
  }
  if (PQstatus(c->pg) != CONNECTION_OK) {
    return make_error(errc::retriable,
                      "postgres: cannot connect for replication: " + c->last_error());
  }
  return replication_connection(std::move(c));
}

result<std::vector<std::vector<std::optional<std::string>>>> replication_connection::query(
    const std::string& sql) {
  pg_result r(PQexec(c_->pg, sql.c_str()));
  auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    auto kind = PQstatus(c_->pg) == CONNECTION_OK ? errc::fatal : errc::retriable;
    return make_error(kind, "postgres: " + sql.substr(0, 120) + ": " + c_->last_error());
  }
  std::vector<std::vector<std::optional<std::string>>> rows;
  int n = PQntuples(r.get());
  int cols = PQnfields(r.get());
  rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0; j < cols; ++j) {
      if (PQgetisnull(r.get(), i, j) != 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(r.get(), i, j),
                                     static_cast<std::size_t>(PQgetlength(r.get(), i, j))));
      }
    }
  }
  return rows;
}

result<system_identity> replication_connection::identify_system() {
  BOOST_OUTCOME_TRY(auto rows, query("IDENTIFY_SYSTEM"));
  if (rows.size() != 1 || rows[0].size() < 4 || !rows[0][0] || !rows[0][1] || !rows[0][2]) {
    return make_error(errc::fatal, "postgres: IDENTIFY_SYSTEM answered an unexpected shape");
  }
  system_identity id;
  id.system_id = *rows[0][0];
  id.timeline = static_cast<std::uint32_t>(std::stoul(*rows[0][1]));
  auto pos = lsn::parse(*rows[0][2]);
  if (!pos) {
    return make_error(errc::fatal, "postgres: IDENTIFY_SYSTEM answered xlogpos " + *rows[0][2]);
  }
  id.xlog_pos = *pos;
  id.dbname = rows[0][3].value_or("");
  return id;
}

result<std::optional<lsn>> replication_connection::slot_confirmed_flush(const std::string& slot) {
  BOOST_OUTCOME_TRY(auto rows, query("SELECT confirmed_flush_lsn, plugin FROM pg_replication_slots "
                                     "WHERE slot_name = " +
                                     quote_literal(slot)));
  if (rows.empty()) {
    return std::optional<lsn>{};
  }
  if (rows[0][1].value_or("") != "pgoutput") {
    return make_error(errc::invalid_config,
                      "postgres: replication slot " + slot + " exists but uses the plugin '" +
                          rows[0][1].value_or("(none: a physical slot)") +
                          "', not pgoutput; drop it or name another slot (slot.name)");
  }
  if (!rows[0][0]) {
    return std::optional<lsn>{lsn{}};
  }
  auto pos = lsn::parse(*rows[0][0]);
  if (!pos) {
    return make_error(errc::fatal,
                      "postgres: slot " + slot + " has confirmed_flush_lsn " + *rows[0][0]);
  }
  return std::optional<lsn>{*pos};
}

result<slot_info> replication_connection::create_slot(const std::string& slot, bool temporary,
                                                      bool export_snapshot) {
  std::string sql = "CREATE_REPLICATION_SLOT " + quote_identifier(slot) +
                    (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput " +
                    (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
  BOOST_OUTCOME_TRY(auto rows, query(sql));
  if (rows.size() != 1 || rows[0].size() < 3 || !rows[0][1]) {
    return make_error(errc::fatal,
                      "postgres: CREATE_REPLICATION_SLOT answered an unexpected shape");
  }
  auto pos = lsn::parse(*rows[0][1]);
  if (!pos) {
    return make_error(errc::fatal,
                      "postgres: CREATE_REPLICATION_SLOT answered consistent point " + *rows[0][1]);
  }
  return slot_info{
      .name = slot, .consistent_point = *pos, .snapshot_name = rows[0][2].value_or("")};
}

result<void> replication_connection::start(const std::string& slot, lsn from,
                                           const std::vector<std::string>& publications,
                                           bool messages) {
  std::string names;
  for (const auto& p : publications) {
    names += (names.empty() ? "" : ",") + quote_identifier(p);
  }
  std::string sql = "START_REPLICATION SLOT " + quote_identifier(slot) + " LOGICAL " +
                    from.to_string() + " (proto_version '1', publication_names " +
                    quote_literal(names) + (messages ? ", messages 'true'" : "") + ")";
  pg_result r(PQexec(c_->pg, sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COPY_BOTH) {
    return make_error(errc::retriable, "postgres: START_REPLICATION: " + c_->last_error());
  }
  written_ = flushed_ = from;
  last_status_ = clock::now();
  return ok();
}

result<void> replication_connection::send_status(lsn written, lsn flushed, bool reply_requested) {
  written_ = std::max(written_, written);
  flushed_ = std::max(flushed_, flushed);
  // Standby status update: 'r', write, flush, apply, clock, reply.
  char msg[1 + 8 + 8 + 8 + 8 + 1];
  msg[0] = 'r';
  write_be64(msg + 1, written_.value);
  write_be64(msg + 9, flushed_.value);
  write_be64(msg + 17, flushed_.value);
  write_be64(msg + 25, static_cast<std::uint64_t>(now_pg_micros()));
  msg[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(c_->pg, msg, sizeof msg) != 1 || PQflush(c_->pg) != 0) {
    return make_error(errc::retriable,
                      "postgres: cannot send a standby status update: " + c_->last_error());
  }
  last_status_ = clock::now();
  return ok();
}

result<void> replication_connection::status_if_due() {
  if (clock::now() - last_status_ >= status_interval) {
    return send_status(written_, flushed_);
  }
  return ok();
}

result<std::optional<xlog_data>> replication_connection::read_available() {
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(c_->pg, &buf, 1);
    if (n == 0) {
      return std::optional<xlog_data>{};
    }
    if (n == -1) {
      pg_result r(PQgetResult(c_->pg));
      return make_error(errc::retriable,
                        "postgres: the server ended the replication stream: " + c_->last_error());
    }
    if (n < 0) {
      return make_error(errc::retriable, "postgres: replication stream broke: " + c_->last_error());
    }
    std::unique_ptr<char, decltype(&PQfreemem)> owned(buf, &PQfreemem);
    auto size = static_cast<std::size_t>(n);
    if (buf[0] == 'k' && size >= 18) {
      // Primary keepalive: walEnd, sendTime, replyRequested.
      server_wal_end_ = lsn{read_be64(buf + 1)};
      if (buf[17] != 0) {
        BOOST_OUTCOME_TRY(send_status(written_, flushed_));
      }
      continue;
    }
    if (buf[0] == 'w' && size >= 25) {
      xlog_data d;
      d.wal_start = lsn{read_be64(buf + 1)};
      d.wal_end = lsn{read_be64(buf + 9)};
      d.send_time.micros_since_2000 = static_cast<std::int64_t>(read_be64(buf + 17));
      server_wal_end_ = std::max(server_wal_end_, d.wal_end);
      d.payload.resize(size - 25);
      std::memcpy(d.payload.data(), buf + 25, size - 25);
      return std::optional<xlog_data>{std::move(d)};
    }
    return make_error(errc::data, "postgres: unknown replication message '" +
                                      std::string(1, buf[0]) + "' of " + std::to_string(size) +
                                      " bytes");
  }
}

result<std::optional<xlog_data>> replication_connection::next(std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    BOOST_OUTCOME_TRY(status_if_due());
    BOOST_OUTCOME_TRY(auto d, read_available());
    if (d) {
      return d;
    }
    auto now = clock::now();
    if (now >= deadline) {
      return std::optional<xlog_data>{};
    }
    // Wake for data, for the deadline, or for the next status update.
    auto wait = std::min(deadline - now, status_interval - (now - last_status_));
    auto ms = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count() + 1);
    pollfd p{.fd = PQsocket(c_->pg), .events = POLLIN, .revents = 0};
    if (p.fd < 0) {
      return make_error(errc::retriable, "postgres: the replication connection is closed");
    }
    if (::poll(&p, 1, static_cast<int>(ms)) < 0 && errno != EINTR) {
      return make_error(errc::retriable,
                        std::string("postgres: waiting for the server: ") + std::strerror(errno));
    }
    if (PQconsumeInput(c_->pg) == 0) {
      return make_error(errc::retriable, "postgres: replication stream broke: " + c_->last_error());
    }
  }
}

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char ch : name) {
    out += ch;
    if (ch == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::string quote_literal(const std::string& value) {
  std::string out = "'";
  for (char ch : value) {
    out += ch;
    if (ch == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

}  // namespace runnel::connect::postgres
