#include "connect/postgres/sql_connection.h"

#include <libpq-fe.h>

namespace runnel::connect::postgres {

namespace {

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

// A conninfo value quoted as libpq's keyword=value syntax wants it.
std::string conninfo_value(const std::string& v) {
  std::string out = "'";
  for (char ch : v) {
    if (ch == '\'' || ch == '\\') {
      out += '\\';
    }
    out += ch;
  }
  return out + "'";
}

}  // namespace

struct sql_connection::conn {
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

sql_connection::sql_connection(std::unique_ptr<conn> c) : c_(std::move(c)) {}
sql_connection::sql_connection(sql_connection&&) noexcept = default;
sql_connection& sql_connection::operator=(sql_connection&&) noexcept = default;
sql_connection::~sql_connection() = default;

std::string make_conninfo(const std::string& host, int port, const std::string& user,
                          const std::string& password, const std::string& dbname) {
  std::string s = "host=" + conninfo_value(host) + " port=" + std::to_string(port) +
                  " dbname=" + conninfo_value(dbname);
  if (!user.empty()) {
    s += " user=" + conninfo_value(user);
  }
  if (!password.empty()) {
    s += " password=" + conninfo_value(password);
  }
  return s;
}

result<sql_connection> sql_connection::open(const std::string& conninfo) {
  const char* keys[] = {"dbname", "application_name", "options", nullptr};
  const char* values[] = {conninfo.c_str(), "runnel-connect",
                          "-c DateStyle=ISO -c IntervalStyle=postgres", nullptr};
  auto c = std::make_unique<conn>();
  c->pg = PQconnectdbParams(keys, values, 1);
  if (c->pg == nullptr) {
    return make_error(errc::retriable, "postgres: out of memory opening a connection");
  }
  if (PQstatus(c->pg) != CONNECTION_OK) {
    return make_error(errc::retriable, "postgres: cannot connect: " + c->last_error());
  }
  return sql_connection(std::move(c));
}

result<std::vector<sql_row>> sql_connection::query(const std::string& sql,
                                                   const std::vector<std::string>& params) {
  CONNECT_TRY(auto r, query_with_columns(sql, params));
  return std::move(r.rows);
}

result<sql_result> sql_connection::query_with_columns(const std::string& sql,
                                                      const std::vector<std::string>& params) {
  std::vector<std::optional<std::string>> nullable(params.begin(), params.end());
  return execute(sql, nullable);
}

result<sql_result> sql_connection::execute(const std::string& sql,
                                           const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
  }
  pg_result r(PQexecParams(c_->pg, sql.c_str(), static_cast<int>(params.size()), nullptr,
                           values.data(), nullptr, nullptr, 0));
  auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    auto kind = PQstatus(c_->pg) == CONNECTION_OK ? errc::fatal : errc::retriable;
    return make_error(kind, "postgres: " + sql.substr(0, 120) + ": " + c_->last_error());
  }
  sql_result out;
  auto& rows = out.rows;
  int n = PQntuples(r.get());
  int cols = PQnfields(r.get());
  for (int j = 0; j < cols; ++j) {
    out.columns.push_back(sql_column{.name = PQfname(r.get(), j),
                                     .type_oid = PQftype(r.get(), j),
                                     .type_modifier = PQfmod(r.get(), j)});
  }
  rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& row = rows.emplace_back();
    row.reserve(static_cast<std::size_t>(cols));
    for (int j = 0; j < cols; ++j) {
      if (PQgetisnull(r.get(), i, j) != 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(r.get(), i, j),
                                     static_cast<std::size_t>(PQgetlength(r.get(), i, j))));
      }
    }
  }
  return out;
}

}  // namespace runnel::connect::postgres
