#include "connect/mariadb/jdbc_dialect.h"

#include <algorithm>
#include <chrono>

#include "connect/jdbc/connection_config.h"
#include "connect/jdbc/source_config.h"
#include "connect/mariadb/connection.h"
#include "connect/mariadb/value_mapping.h"

namespace runnel::connect::mariadb {

namespace {

using jdbc::db_column;
using jdbc::db_session;
using jdbc::parse_int64;
using jdbc::sql_params;

std::vector<std::string> first_column(const jdbc::db_result& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row[0].value_or(""));
  return out;
}

bool is_utc(const std::string& tz) {
  return tz.empty() || tz == "UTC" || tz == "Z" || tz == "GMT" || tz == "+00:00" || tz == "Etc/UTC";
}

class mariadb_dialect final : public jdbc::dialect {
 public:
  result<std::unique_ptr<db_session>> open(const jdbc::connection_config& c) const override {
    CONNECT_TRY(auto conn, connection::open(connect_options{.host = c.url.host,
                                                            .port = c.url.port,
                                                            .user = c.user,
                                                            .password = c.password,
                                                            .database = c.url.database}));
    return std::unique_ptr<db_session>(std::move(conn));
  }

  std::string quote(std::string_view id) const override { return quote_identifier(id); }
  std::string bind(std::optional<std::string> text, sql_params&) const override {
    return text ? quote_string(*text) : std::string("NULL");
  }
  std::string bind_int(std::int64_t v, sql_params&) const override { return std::to_string(v); }
  std::string as_int64(const std::string& expr) const override {
    return "CAST(" + expr + " AS SIGNED)";
  }

  std::string default_schema(const jdbc::connection_config& c) const override {
    return c.url.database;
  }

  result<std::vector<jdbc::table_id>> list_tables(db_session& s) const override {
    CONNECT_TRY(auto r, s.run("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                              "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' "
                              "ORDER BY TABLE_NAME",
                              {}));
    std::vector<jdbc::table_id> out;
    for (const auto& row : r.rows) out.push_back({row[0].value_or(""), row[1].value_or("")});
    return out;
  }

  result<std::optional<jdbc::table_keys>> describe_table(db_session& s,
                                                         const jdbc::table_id& t) const override {
    const std::string where = " WHERE TABLE_SCHEMA = " + quote_string(t.schema) +
                              " AND TABLE_NAME = " + quote_string(t.name);
    CONNECT_TRY(auto found, s.run("SELECT ENGINE FROM information_schema.TABLES" + where, {}));
    if (found.rows.empty()) {
      return std::optional<jdbc::table_keys>{};
    }
    CONNECT_TRY(auto pk, s.run("SELECT COLUMN_NAME FROM information_schema.STATISTICS" + where +
                                   " AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
                               {}));
    CONNECT_TRY(auto nn, s.run("SELECT COLUMN_NAME FROM information_schema.COLUMNS" + where +
                                   " AND IS_NULLABLE = 'NO'",
                               {}));
    jdbc::table_keys k;
    k.primary_key = first_column(pk);
    for (auto& c : first_column(nn)) k.not_null.insert(std::move(c));
    return std::optional<jdbc::table_keys>(std::move(k));
  }

  result<std::optional<std::set<std::string>>> table_columns(
      db_session& s, const std::string& dotted) const override {
    auto dot = dotted.find('.');
    std::string schema =
        dot == std::string::npos ? "DATABASE()" : quote_string(dotted.substr(0, dot));
    std::string name = dot == std::string::npos ? dotted : dotted.substr(dot + 1);
    CONNECT_TRY(auto r, s.run("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                              "TABLE_SCHEMA = " +
                                  schema + " AND TABLE_NAME = " + quote_string(name),
                              {}));
    if (r.rows.empty()) {
      return std::optional<std::set<std::string>>{};
    }
    auto cols = first_column(r);
    return std::optional<std::set<std::string>>(std::set<std::string>(cols.begin(), cols.end()));
  }

  schema_ptr column_schema(const db_column& c, bool optional) const override {
    return mariadb::column_schema(c, optional);
  }
  result<data> column_value(const db_column& c, std::string_view text) const override {
    return mariadb::column_value(c, text);
  }

  bool is_timestamp(const db_column& c) const override {
    return c.type == field_type::datetime || c.type == field_type::datetime2 ||
           c.type == field_type::timestamp || c.type == field_type::timestamp2;
  }
  std::string timestamp_us(const std::string& expr, const db_column&) const override {
    return "TIMESTAMPDIFF(MICROSECOND, TIMESTAMP'1970-01-01 00:00:00', " + expr + ")";
  }
  std::string timestamp_at(std::int64_t us, const db_column&, sql_params&) const override {
    return "TIMESTAMPADD(MICROSECOND, " + std::to_string(us) +
           ", TIMESTAMP'1970-01-01 00:00:00.000000')";
  }

  result<std::int64_t> safe_timestamp_us(db_session& s, const db_column& c,
                                         const jdbc::source_config& cfg) const override {
    // One statement, in the server's system time zone: InnoDB writes
    // INNODB_TRX.trx_started in it (not in the session's), so the age of
    // the oldest writing transaction is NOW(6) - trx_started there. The
    // clock itself is read as UTC_TIMESTAMP(6), which no zone moves.
    //   trx_age: the oldest transaction that has modified a row and not
    //     ended (trx_started has one-second resolution, rounded down: the
    //     age is never short);
    //   stmt_age: the oldest statement running (PROCESSLIST: a statement
    //     that has not reached InnoDB yet, e.g. waiting for a metadata
    //     lock, is in no transaction, but its NOW() is already fixed).
    auto& conn = static_cast<connection&>(s);
    const std::string epoch = "TIMESTAMP'1970-01-01 00:00:00'";
    const std::string oldest_statement =
        conn.is_mariadb() ? "CAST(MAX(TIME_MS) * 1000 AS SIGNED)"
                          : "MAX(TIME) * 1000000 + 999999";  // MySQL: whole seconds, so rounded up
    std::string sql =
        "SELECT TIMESTAMPDIFF(MICROSECOND, " + epoch +
        ", UTC_TIMESTAMP(6)), "
        "(SELECT TIMESTAMPDIFF(MICROSECOND, MIN(trx_started), NOW(6)) FROM "
        "information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID() AND "
        "trx_rows_modified > 0), "
        "(SELECT " +
        oldest_statement +
        " FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
        "COMMAND IN ('Query', 'Execute'))";
    const bool datetime = c.type == field_type::datetime || c.type == field_type::datetime2;
    const bool shifted = datetime && !is_utc(cfg.db_timezone);
    if (shifted) {
      // DATETIME values are wall-clock times in db.timezone: the bound is
      // moved by that zone's offset now (named zones need the server's
      // time zone tables).
      sql +=
          ", TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), CONVERT_TZ(UTC_TIMESTAMP(6), "
          "'+00:00', " +
          quote_string(cfg.db_timezone) + "))";
    }
    sql = conn.is_mariadb() ? "SET STATEMENT time_zone = 'SYSTEM' FOR " + sql
                            : "SELECT /*+ SET_VAR(time_zone = 'SYSTEM') */" + sql.substr(6);
    CONNECT_TRY(auto r, s.run(sql, {}));
    if (r.rows.size() != 1 || r.rows[0].size() < (shifted ? 4u : 3u)) {
      return make_error(errc::fatal, "jdbc: the safe timestamp bound query returned no row");
    }
    const auto& row = r.rows[0];
    auto now = parse_int64(row[0]);
    auto trx_age = parse_int64(row[1]).value_or(0);
    auto stmt_age = parse_int64(row[2]).value_or(0);
    if (trx_age < 0) {
      // The system clock's zone went back (daylight saving time ended)
      // since the transaction started: its age is an hour more.
      trx_age += 3'600'000'000LL;
    }
    std::optional<std::int64_t> offset =
        shifted ? parse_int64(row[3]) : std::optional<std::int64_t>(0);
    if (!now || !offset) {
      return make_error(errc::invalid_config,
                        "jdbc: the safe timestamp bound could not be computed: is db.timezone '" +
                            cfg.db_timezone + "' known to the server (its time zone tables)?");
    }
    constexpr std::int64_t margin_us = 1'000'000;  // see the header
    return *now + *offset - std::max<std::int64_t>({trx_age, stmt_age, 0}) - margin_us -
           std::chrono::duration_cast<std::chrono::microseconds>(cfg.timestamp_delay).count();
  }

  incrementing_guard guard(db_session& s) const override {
    auto& c = static_cast<connection&>(s);
    return {.settled_column = "",
            .locking_clause = c.is_mariadb() ? " LOCK IN SHARE MODE WAIT 1" : " FOR SHARE NOWAIT"};
  }
  bool is_held(const error& e) const override { return e.kind == errc::conflict; }

  std::string column_type(const schema_ptr& s, bool key) const override { return sql_type(s, key); }
  result<std::string> bind_value(const schema_ptr& s, const data& v, sql_params&) const override {
    return sql_literal(s, v);
  }
  std::string upsert_clause(const std::vector<std::string>& keys,
                            const std::vector<std::string>& others) const override {
    std::string u;
    for (const auto& c : others) {
      u += (u.empty() ? "" : ", ") + quote(c) + " = VALUES(" + quote(c) + ")";
    }
    if (u.empty() && !keys.empty()) {
      u = quote(keys[0]) + " = " + quote(keys[0]);  // nothing to update: keep the row
    }
    return " ON DUPLICATE KEY UPDATE " + u;
  }
  std::string table_options() const override { return " ENGINE=InnoDB"; }
  bool ddl_commits() const override { return true; }
};

}  // namespace

const jdbc::dialect& jdbc_dialect() {
  static const mariadb_dialect d;
  return d;
}

}  // namespace runnel::connect::mariadb
