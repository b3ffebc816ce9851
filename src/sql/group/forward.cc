#include "sql/group/forward.h"

#include <cstdlib>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "sql/pgwire/sqlstate.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

errc code_of(std::string_view state) {
  for (int c = static_cast<int>(errc::syntax_error); c <= static_cast<int>(errc::internal); ++c)
    if (sqlstate(static_cast<errc>(c)) == state) return static_cast<errc>(c);
  return errc::internal;
}

std::string field(const PGresult* r, int which) {
  const char* v = PQresultErrorField(r, which);
  return v ? v : "";
}

result<statement_result> convert(const PGresult* r) {
  statement_result out;
  out.tag = PQcmdStatus(const_cast<PGresult*>(r));
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return out;
  int cols = PQnfields(r);
  for (int c = 0; c < cols; ++c) {
    auto t = type_of_oid(PQftype(r, c));
    out.columns.push_back(plan_column{PQfname(r, c), t ? *t : sql_type(type_id::text), "", false});
  }
  out.rows = row_batch(static_cast<uint32_t>(cols));
  int n = PQntuples(r);
  for (int i = 0; i < n; ++i) {
    datum* d = out.rows.add(1);
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(r, i, c)) {
        d[c] = datum::null_value();
        continue;
      }
      std::string_view text(PQgetvalue(r, i, c), static_cast<size_t>(PQgetlength(r, i, c)));
      auto v = from_text(out.columns[static_cast<size_t>(c)].type, text, out.rows.strings());
      if (!v) return v.error();
      d[c] = v.value();
    }
  }
  return out;
}

}  // namespace

namespace {

// Runs `sql` (marked) on `conn` and collects its results; errors with
// their SQLSTATE.
result<std::vector<statement_result>> run_on(PGconn* conn, const std::string& address,
                                             std::string_view sql) {
  if (PQstatus(conn) != CONNECTION_OK)
    return make_error(errc::unavailable, -1,
                      "the connection to the SQL process at {} broke; retry: its work moves to "
                      "another process",
                      address);
  std::string text(forwarded_marker);
  text.append(sql);
  if (!PQsendQuery(conn, text.c_str()))
    return make_error(errc::unavailable, -1, "forwarding to {}: {}", address, PQerrorMessage(conn));
  std::vector<statement_result> out;
  std::optional<sql_error> failed;
  while (PGresult* raw = PQgetResult(conn)) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(raw, PQclear);
    auto st = PQresultStatus(r.get());
    if (st == PGRES_FATAL_ERROR) {
      if (failed) continue;
      sql_error e;
      std::string state = field(r.get(), PG_DIAG_SQLSTATE);
      e.code = state.empty() ? errc::unavailable : code_of(state);
      e.message = field(r.get(), PG_DIAG_MESSAGE_PRIMARY);
      if (e.message.empty()) e.message = PQerrorMessage(conn);
      if (state.empty())  // no answer: the process went away
        e.message = fmt::format(
            "the SQL process at {} that runs this relation went away ({}); retry: its work "
            "moves to another process",
            address, e.message);
      e.detail = field(r.get(), PG_DIAG_MESSAGE_DETAIL);
      e.hint = field(r.get(), PG_DIAG_MESSAGE_HINT);
      // PostgreSQL's positions count characters from 1; runnel's (and
      // the marker) are bytes, and the marker is ASCII.
      std::string pos = field(r.get(), PG_DIAG_STATEMENT_POSITION);
      if (!pos.empty()) {
        int p = std::atoi(pos.c_str()) - 1 - static_cast<int>(forwarded_marker.size());
        e.position = p >= 0 ? p : -1;
      }
      failed = std::move(e);
      continue;
    }
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
      if (!failed)
        failed = make_error(errc::feature_not_supported, -1,
                            "this statement cannot be forwarded to the process at {} that runs "
                            "its relation: connect there",
                            address);
      if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) break;
      continue;
    }
    BOOST_OUTCOME_TRY(auto one, convert(r.get()));
    out.push_back(std::move(one));
  }
  if (failed) return *failed;
  return out;
}

result<PGconn*> connect_to(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return make_error(errc::internal, -1, "bad process address \"{}\"", address);
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  // A process that died is found out by the connect timeout; one that
  // hangs mid-query is not waited for longer than a client would.
  const char* keys[] = {"host", "port", "dbname", "user", "connect_timeout", "application_name",
                        nullptr};
  const char* values[] = {host.c_str(), port.c_str(),     "dev",  "runnel",
                          "5",          "runnel-forward", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  if (PQstatus(conn) != CONNECTION_OK) {
    auto e = make_error(errc::unavailable, -1,
                        "the SQL process at {} that runs this relation cannot be reached ({}); "
                        "retry: its work moves to another process",
                        address, PQerrorMessage(conn));
    PQfinish(conn);
    return e;
  }
  return conn;
}

}  // namespace

result<std::vector<statement_result>> forward_statements(const std::string& address,
                                                         std::string_view sql) {
  BOOST_OUTCOME_TRY(PGconn * raw, connect_to(address));
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(raw, PQfinish);
  return run_on(conn.get(), address, sql);
}

result<std::shared_ptr<forward_link>> forward_link::connect(const std::string& address) {
  BOOST_OUTCOME_TRY(PGconn * conn, connect_to(address));
  std::shared_ptr<forward_link> l(new forward_link());
  l->address_ = address;
  l->conn_ = conn;
  l->cancel_ = PQgetCancel(conn);
  return l;
}

forward_link::~forward_link() {
  if (cancel_) PQfreeCancel(cancel_);
  if (conn_) PQfinish(conn_);
}

result<std::vector<statement_result>> forward_link::run(std::string_view sql) {
  std::lock_guard lock(mu_);
  return run_on(conn_, address_, sql);
}

bool forward_link::broken() {
  std::lock_guard lock(mu_);
  return PQstatus(conn_) != CONNECTION_OK;
}

void forward_link::cancel() {
  std::lock_guard lock(cancel_mu_);
  if (!cancel_) return;
  char why[256];
  (void)PQcancel(cancel_, why, sizeof why);
}

}  // namespace runnel::sql
