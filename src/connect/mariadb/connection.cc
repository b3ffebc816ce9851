#include "connect/mariadb/connection.h"

#include <mutex>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

namespace runnel::connect::mariadb {

namespace {

// The lock errors of a NOWAIT read: MariaDB reports ER_LOCK_WAIT_TIMEOUT,
// MySQL 8 ER_LOCK_NOWAIT.
constexpr unsigned er_lock_nowait = 3572;

bool connection_lost(unsigned e) {
  return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
         e == CR_CONN_HOST_ERROR || e == ER_CONNECTION_KILLED;
}

errc kind_of(unsigned e) {
  if (connection_lost(e)) return errc::retriable;
  if (e == ER_LOCK_WAIT_TIMEOUT || e == er_lock_nowait || e == ER_LOCK_DEADLOCK) {
    return errc::conflict;
  }
  return errc::fatal;
}

}  // namespace

struct connection::handle {
  MYSQL* db = nullptr;
  ~handle() {
    if (db != nullptr) mysql_close(db);
  }
  std::string last_error() const { return mysql_error(db); }
};

connection::connection(std::unique_ptr<handle> h) : h_(std::move(h)) {}
connection::~connection() = default;

result<std::unique_ptr<connection>> connection::open(const connect_options& o) {
  static std::once_flag init;
  std::call_once(init, [] { mysql_library_init(0, nullptr, nullptr); });
  auto h = std::make_unique<handle>();
  h->db = mysql_init(nullptr);
  if (h->db == nullptr) {
    return make_error(errc::fatal, "mariadb: out of memory");
  }
  unsigned timeout = 10;
  mysql_options(h->db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  // TCP to host:port always, as a JDBC driver connects: Connector/C would
  // take "localhost" to mean the default Unix socket and ignore the port,
  // so jdbc:mysql://localhost:3307/… could reach another server.
  unsigned protocol = MYSQL_PROTOCOL_TCP;
  mysql_options(h->db, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(h->db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (mysql_real_connect(h->db, o.host.c_str(), o.user.c_str(), o.password.c_str(),
                         o.database.c_str(), static_cast<unsigned>(o.port), nullptr,
                         0) == nullptr) {
    auto e = mysql_errno(h->db);
    // Refused credentials or an unknown database will not heal by retrying.
    auto kind = e == ER_ACCESS_DENIED_ERROR || e == ER_BAD_DB_ERROR ? errc::fatal : errc::retriable;
    return make_error(kind, "mariadb: cannot connect to " + o.host + ":" + std::to_string(o.port) +
                                "/" + o.database + ": " + h->last_error());
  }
  auto c = std::unique_ptr<connection>(new connection(std::move(h)));
  c->is_mariadb_ =
      std::string(mysql_get_server_info(c->h_->db)).find("MariaDB") != std::string::npos;
  for (const char* sql : {"SET SESSION time_zone = '+00:00', sql_mode = "
                          "'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_ZERO_"
                          "DATE,NO_ZERO_IN_DATE,"
                          "ERROR_FOR_DIVISION_BY_ZERO'",
                          "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"}) {
    CONNECT_TRY(c->run(sql, {}));
  }
  return c;
}

result<jdbc::db_result> connection::run(const std::string& sql, const jdbc::sql_params& params) {
  if (!params.empty()) {
    return make_error(errc::fatal,
                      "mariadb: statement parameters are not supported (values are "
                      "written as literals)");
  }
  if (mysql_real_query(h_->db, sql.data(), sql.size()) != 0) {
    auto e = mysql_errno(h_->db);
    return make_error(kind_of(e), "mariadb: " + sql.substr(0, 160) + ": " + h_->last_error() +
                                      " (error " + std::to_string(e) + ")");
  }
  jdbc::db_result out;
  MYSQL_RES* res = mysql_store_result(h_->db);
  if (res == nullptr) {
    if (mysql_field_count(h_->db) != 0) {
      auto e = mysql_errno(h_->db);
      return make_error(kind_of(e), "mariadb: reading the result of " + sql.substr(0, 120) + ": " +
                                        h_->last_error());
    }
    return out;  // a statement without a result set
  }
  std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> guard(res, mysql_free_result);
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned j = 0; j < n; ++j) {
    const MYSQL_FIELD& f = fields[j];
    jdbc::db_column c{.name = std::string(f.name, f.name_length),
                      .type = static_cast<std::uint32_t>(f.type),
                      .modifier = static_cast<std::int32_t>(f.decimals),
                      .flags = f.flags,
                      .charset = f.charsetnr,
                      .length = f.length};
    MARIADB_CONST_STRING attr{};
    if (mariadb_field_attr(&attr, &f, MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 && attr.str) {
      c.format.assign(attr.str, attr.length);
    }
    out.columns.push_back(std::move(c));
  }
  out.rows.reserve(mysql_num_rows(res));
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    auto& r = out.rows.emplace_back();
    r.reserve(n);
    for (unsigned j = 0; j < n; ++j) {
      if (row[j] == nullptr) {
        r.emplace_back(std::nullopt);
      } else {
        r.emplace_back(std::string(row[j], len[j]));
      }
    }
  }
  return out;
}

}  // namespace runnel::connect::mariadb
