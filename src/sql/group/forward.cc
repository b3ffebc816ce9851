#include "sql/group/forward.h"

#include <cstdlib>
#include <memory>
#include <optional>

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

result<std::vector<statement_result>> forward_statements(const std::string& address,
                                                         std::string_view sql) {
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
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys, values, 0), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return make_error(errc::unavailable, -1,
                      "the SQL process at {} that runs this relation cannot be reached ({}); "
                      "retry: its work moves to another process",
                      address, PQerrorMessage(conn.get()));
  std::string text(forwarded_marker);
  text.append(sql);
  if (!PQsendQuery(conn.get(), text.c_str()))
    return make_error(errc::unavailable, -1, "forwarding to {}: {}", address,
                      PQerrorMessage(conn.get()));
  std::vector<statement_result> out;
  std::optional<sql_error> failed;
  while (PGresult* raw = PQgetResult(conn.get())) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(raw, PQclear);
    auto st = PQresultStatus(r.get());
    if (st == PGRES_FATAL_ERROR) {
      if (failed) continue;
      sql_error e;
      std::string state = field(r.get(), PG_DIAG_SQLSTATE);
      e.code = state.empty() ? errc::unavailable : code_of(state);
      e.message = field(r.get(), PG_DIAG_MESSAGE_PRIMARY);
      if (e.message.empty()) e.message = PQerrorMessage(conn.get());
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
      continue;
    }
    BOOST_OUTCOME_TRY(auto one, convert(r.get()));
    out.push_back(std::move(one));
  }
  if (failed) return *failed;
  return out;
}

}  // namespace runnel::sql
