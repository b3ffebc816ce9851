// The PostgreSQL dialect of the JDBC connectors: libpq, the catalog and the
// value mapping of connect/postgres/, and the sink's mapping of sql_value.h.
//
// Safe bounds (source_table.h tells the whole story):
//   incrementing: a row may be read once the transaction that wrote it is
//     older than every transaction still running
//     (age(xmin) > age(pg_snapshot_xmin(pg_current_snapshot()))), evaluated
//     in the read's own snapshot.
//   timestamp: the start of the oldest transaction still running
//     (pg_stat_activity.xact_start) or now(), less
//     timestamp.delay.interval.ms, read in a statement before the read.
#include <chrono>

#include "connect/jdbc/connection_config.h"
#include "connect/jdbc/dialect.h"
#include "connect/jdbc/source_config.h"
#include "connect/jdbc/sql_value.h"
#include "connect/postgres/catalog.h"
#include "connect/postgres/replication.h"
#include "connect/postgres/sql_connection.h"
#include "connect/postgres/value_mapping.h"

namespace runnel::connect::jdbc {

namespace {

constexpr std::uint32_t timestamp_oid = 1114;
constexpr std::uint32_t timestamptz_oid = 1184;

postgres::column_def as_def(const db_column& c) {
  return postgres::column_def{.name = c.name, .type_oid = c.type, .type_modifier = c.modifier};
}

class pg_session final : public db_session {
 public:
  explicit pg_session(postgres::sql_connection c) : c_(std::move(c)) {}

  result<db_result> run(const std::string& sql, const sql_params& params) override {
    CONNECT_TRY(auto r, c_.execute(sql, params));
    db_result out;
    for (const auto& col : r.columns) {
      out.columns.push_back(
          db_column{.name = col.name, .type = col.type_oid, .modifier = col.type_modifier});
    }
    out.rows = std::move(r.rows);
    return out;
  }

  postgres::sql_connection& connection() { return c_; }

 private:
  postgres::sql_connection c_;
};

postgres::sql_connection& pg(db_session& s) {
  return static_cast<pg_session&>(s).connection();
}

class pg_dialect final : public dialect {
 public:
  result<std::unique_ptr<db_session>> open(const connection_config& c) const override {
    CONNECT_TRY(auto conn, postgres::sql_connection::open(postgres::make_conninfo(
                               c.url.host, c.url.port, c.user, c.password, c.url.database)));
    return std::unique_ptr<db_session>(std::make_unique<pg_session>(std::move(conn)));
  }

  std::string quote(std::string_view id) const override {
    return postgres::quote_identifier(std::string(id));
  }
  std::string bind(std::optional<std::string> text, sql_params& params) const override {
    params.push_back(std::move(text));
    return "$" + std::to_string(params.size());
  }
  std::string bind_int(std::int64_t v, sql_params& params) const override {
    return bind(std::to_string(v), params) + "::bigint";
  }
  std::string as_int64(const std::string& expr) const override { return "(" + expr + ")::bigint"; }

  std::string default_schema(const connection_config&) const override { return "public"; }

  result<std::vector<table_id>> list_tables(db_session& s) const override {
    CONNECT_TRY(auto all, postgres::list_tables(pg(s)));
    std::vector<table_id> out;
    for (auto& t : all) out.push_back({std::move(t.schema), std::move(t.name)});
    return out;
  }

  result<std::optional<table_keys>> describe_table(db_session& s,
                                                   const table_id& t) const override {
    CONNECT_TRY(auto oid, pg(s).query("SELECT to_regclass($1)::oid",
                                      {quote(t.schema) + "." + quote(t.name)}));
    auto id = oid.empty() ? std::nullopt : parse_int64(oid[0][0]);
    if (!id) {
      return std::optional<table_keys>{};
    }
    CONNECT_TRY(auto cat, postgres::read_table_catalog(pg(s), static_cast<std::uint32_t>(*id)));
    table_keys k;
    k.primary_key = std::move(cat.primary_key);
    k.not_null.insert(cat.not_null.begin(), cat.not_null.end());
    return std::optional<table_keys>(std::move(k));
  }

  result<std::optional<std::set<std::string>>> table_columns(
      db_session& s, const std::string& dotted) const override {
    using out = std::optional<std::set<std::string>>;
    CONNECT_TRY(auto rel, pg(s).query("SELECT to_regclass($1)", {quote_table(dotted)}));
    if (rel.empty() || !rel[0][0]) {
      return out{};
    }
    CONNECT_TRY(auto rows, pg(s).query("SELECT attname FROM pg_attribute WHERE attrelid = "
                                       "to_regclass($1) AND attnum > 0 AND NOT attisdropped",
                                       {quote_table(dotted)}));
    std::set<std::string> cols;
    for (const auto& r : rows) cols.insert(r[0].value_or(""));
    return out(std::move(cols));
  }

  schema_ptr column_schema(const db_column& c, bool optional) const override {
    return postgres::column_schema(as_def(c), optional);
  }
  result<data> column_value(const db_column& c, std::string_view text) const override {
    return postgres::column_value(as_def(c), text);
  }

  bool is_timestamp(const db_column& c) const override {
    return c.type == timestamp_oid || c.type == timestamptz_oid;
  }
  std::string timestamp_us(const std::string& expr, const db_column&) const override {
    return "(extract(epoch FROM " + expr + ") * 1000000)::bigint";
  }
  std::string timestamp_at(std::int64_t us, const db_column& c, sql_params& params) const override {
    return std::string("(") + (c.type == timestamptz_oid ? "TIMESTAMPTZ" : "TIMESTAMP") +
           " 'epoch' + " + bind_int(us, params) + " * INTERVAL '1 microsecond')";
  }

  result<std::int64_t> safe_timestamp_us(db_session& s, const db_column& c,
                                         const source_config& cfg) const override {
    // The start of the oldest transaction still running elsewhere, or
    // now(): a separate statement before the read, so that every
    // transaction that began before the bound has ended before the read's
    // snapshot is taken.
    const std::string oldest =
        "least(now(), (SELECT min(xact_start) FROM pg_stat_activity WHERE xact_start IS NOT "
        "NULL AND pid <> pg_backend_pid() AND backend_type NOT IN ('autovacuum worker', "
        "'autovacuum launcher', 'walsender')))";
    std::vector<std::string> params;
    std::string sql;
    if (c.type == timestamptz_oid) {
      sql = "SELECT (extract(epoch FROM " + oldest + ") * 1000000)::bigint";
    } else {
      sql = "SELECT (extract(epoch FROM (" + oldest + " AT TIME ZONE $1)) * 1000000)::bigint";
      params.push_back(cfg.db_timezone);
    }
    CONNECT_TRY(auto rows, pg(s).query(sql, params));
    auto b = rows.empty() ? std::nullopt : parse_int64(rows[0][0]);
    if (!b) {
      return make_error(errc::fatal, "jdbc: the safe timestamp bound could not be read");
    }
    return *b - std::chrono::duration_cast<std::chrono::microseconds>(cfg.timestamp_delay).count();
  }

  incrementing_guard guard(db_session&) const override {
    return {.settled_column = "age(t.xmin) > age(pg_snapshot_xmin(pg_current_snapshot())::xid)",
            .locking_clause = ""};
  }
  bool is_held(const error&) const override { return false; }

  std::string column_type(const schema_ptr& s, bool) const override { return sql_type(s); }
  result<std::string> bind_value(const schema_ptr& s, const data& v,
                                 sql_params& params) const override {
    CONNECT_TRY(auto t, sql_text(s, v));
    return bind(std::move(t), params);
  }
  std::string upsert_clause(const std::vector<std::string>& keys,
                            const std::vector<std::string>& others) const override {
    std::string k, u;
    for (const auto& c : keys) k += (k.empty() ? "" : ", ") + quote(c);
    for (const auto& c : others) {
      u += (u.empty() ? "" : ", ") + quote(c) + " = EXCLUDED." + quote(c);
    }
    return " ON CONFLICT (" + k + ") DO " +
           (u.empty() ? std::string("NOTHING") : "UPDATE SET " + u);
  }
  std::string table_options() const override { return ""; }
  bool ddl_commits() const override { return false; }
};

}  // namespace

const dialect& postgres_dialect() {
  static const pg_dialect d;
  return d;
}

}  // namespace runnel::connect::jdbc
