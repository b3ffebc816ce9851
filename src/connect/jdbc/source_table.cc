#include "connect/jdbc/source_table.h"

#include <charconv>

#include "connect/postgres/catalog.h"
#include "connect/postgres/replication.h"
#include "connect/postgres/value_mapping.h"

namespace runnel::connect::jdbc {

namespace {

using postgres::quote_identifier;

constexpr std::uint32_t timestamp_oid = 1114;
constexpr std::uint32_t timestamptz_oid = 1184;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

std::optional<std::int64_t> to_i64(const std::optional<std::string>& s) {
  if (!s) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || p != s->data() + s->size()) {
    return std::nullopt;
  }
  return v;
}

postgres::column_def as_def(const postgres::sql_column& c) {
  return postgres::column_def{
      .name = c.name, .type_oid = c.type_oid, .type_modifier = c.type_modifier};
}

}  // namespace

data table_offset::to_json() const {
  data d = data::object();
  if (timestamp_us) {
    d["timestamp"] = floor_div(*timestamp_us, 1000);
    d["timestamp_nanos"] = (*timestamp_us - floor_div(*timestamp_us, 1'000'000) * 1'000'000) * 1000;
  }
  if (incrementing) {
    d["incrementing"] = *incrementing;
  }
  return d;
}

table_offset table_offset::from_json(const data& d) {
  table_offset o;
  if (d.is_object()) {
    if (auto it = d.find("incrementing"); it != d.end() && it->is_number_integer()) {
      o.incrementing = it->get<std::int64_t>();
    }
    if (auto it = d.find("timestamp"); it != d.end() && it->is_number_integer()) {
      auto ms = it->get<std::int64_t>();
      auto n = d.find("timestamp_nanos");
      if (n != d.end() && n->is_number_integer()) {
        o.timestamp_us = floor_div(ms, 1000) * 1'000'000 + n->get<std::int64_t>() / 1000;
      } else {
        o.timestamp_us = ms * 1000;
      }
    }
  }
  return o;
}

std::string source_table::display_name() const {
  if (auto it = partition_.find("table"); it != partition_.end()) {
    return it->get<std::string>();
  }
  return "query";
}

result<source_table> source_table::describe(postgres::sql_connection& c, const source_config& cfg,
                                            const std::string& schema, const std::string& name) {
  source_table t;
  t.cfg_ = &cfg;
  t.is_table_ = !name.empty();
  std::optional<postgres::table_catalog> catalog;
  if (t.is_table_) {
    auto qualified = quote_identifier(schema) + "." + quote_identifier(name);
    t.from_ = qualified + " AS t";
    t.topic_ = cfg.topic_prefix + name;
    t.partition_ =
        data{{"protocol", "1"}, {"table", cfg.connection.url.database + "." + schema + "." + name}};
    CONNECT_TRY(auto oid, c.query("SELECT to_regclass($1)::oid", {qualified}));
    auto id = oid.empty() ? std::nullopt : to_i64(oid[0][0]);
    if (!id) {
      return make_error(errc::not_found, "jdbc: table " + schema + "." + name + " not found");
    }
    CONNECT_TRY(auto cat, postgres::read_table_catalog(c, static_cast<std::uint32_t>(*id)));
    catalog = std::move(cat);
  } else {
    t.from_ = "(" + cfg.query + ") AS t";
    t.topic_ = cfg.topic_prefix;
    t.partition_ = data{{"query", "query"}};
  }
  CONNECT_TRY(auto probe, c.query_with_columns("SELECT t.* FROM " + t.from_ + " LIMIT 0"));
  t.columns_ = std::move(probe.columns);

  auto find = [&](const std::string& col) -> const postgres::sql_column* {
    for (const auto& sc : t.columns_) {
      if (sc.name == col) return &sc;
    }
    return nullptr;
  };
  auto missing = [&](const std::string& key, const std::string& col) {
    return make_error(errc::invalid_config,
                      "jdbc: " + t.display_name() + " has no column '" + col + "' (" + key + ")");
  };
  if (cfg.uses_incrementing()) {
    if (find(cfg.incrementing_column) == nullptr) {
      return missing("incrementing.column.name", cfg.incrementing_column);
    }
    t.inc_expr_ = "t." + quote_identifier(cfg.incrementing_column);
  }
  if (cfg.uses_timestamp()) {
    std::string cols;
    for (const auto& col : cfg.timestamp_columns) {
      const auto* sc = find(col);
      if (sc == nullptr) {
        return missing("timestamp.column.name", col);
      }
      if (sc->type_oid != timestamp_oid && sc->type_oid != timestamptz_oid) {
        return make_error(errc::invalid_config, "jdbc: column '" + col + "' of " +
                                                    t.display_name() +
                                                    " is not a timestamp (timestamp.column.name)");
      }
      if (cols.empty()) {
        t.ts_with_zone_ = sc->type_oid == timestamptz_oid;
      }
      cols += (cols.empty() ? "" : ", ") + ("t." + quote_identifier(col));
    }
    t.ts_expr_ = cfg.timestamp_columns.size() == 1 ? cols : "COALESCE(" + cols + ")";
  }

  struct_builder value(t.is_table_ ? std::optional<std::string>(name) : std::nullopt);
  std::vector<std::pair<std::string, schema_ptr>> key_fields;
  for (std::size_t i = 0; i < t.columns_.size(); ++i) {
    const auto& col = t.columns_[i];
    bool optional = !catalog || !catalog->not_null.contains(col.name);
    t.optional_.push_back(optional);
    value.field(col.name, postgres::column_schema(as_def(col), optional));
  }
  t.value_schema_ = value.build();
  if (catalog && !catalog->primary_key.empty()) {
    struct_builder key;
    for (const auto& k : catalog->primary_key) {
      for (std::size_t i = 0; i < t.columns_.size(); ++i) {
        if (t.columns_[i].name == k) {
          t.key_.push_back(i);
          key.field(k, postgres::column_schema(as_def(t.columns_[i]), false));
        }
      }
    }
    if (t.key_.size() == catalog->primary_key.size()) {
      t.key_schema_ = key.build();
    } else {
      t.key_.clear();  // a key column is not selected: no key
    }
  }
  return t;
}

std::string source_table::at_us(std::size_t param) const {
  return std::string("(") + (ts_with_zone_ ? "TIMESTAMPTZ" : "TIMESTAMP") + " 'epoch' + $" +
         std::to_string(param) + "::bigint * INTERVAL '1 microsecond')";
}

result<std::int64_t> source_table::bound_us(postgres::sql_connection& c) const {
  // The start of the oldest transaction still running elsewhere, or now():
  // a separate statement before the read, so that every transaction that
  // began before the bound has ended before the read's snapshot is taken.
  const std::string oldest =
      "least(now(), (SELECT min(xact_start) FROM pg_stat_activity WHERE xact_start IS NOT NULL "
      "AND pid <> pg_backend_pid() AND backend_type NOT IN ('autovacuum worker', "
      "'autovacuum launcher', 'walsender')))";
  std::vector<std::string> params;
  std::string sql;
  if (ts_with_zone_) {
    sql = "SELECT (extract(epoch FROM " + oldest + ") * 1000000)::bigint";
  } else {
    sql = "SELECT (extract(epoch FROM (" + oldest + " AT TIME ZONE $1)) * 1000000)::bigint";
    params.push_back(cfg_->db_timezone);
  }
  CONNECT_TRY(auto rows, c.query(sql, params));
  auto b = rows.empty() ? std::nullopt : to_i64(rows[0][0]);
  if (!b) {
    return make_error(errc::fatal, "jdbc: the safe timestamp bound could not be read");
  }
  return *b - std::chrono::duration_cast<std::chrono::microseconds>(cfg_->timestamp_delay).count();
}

result<source_record> source_table::make_record(const postgres::sql_row& row) const {
  source_record r;
  r.topic = topic_;
  r.source_partition = partition_;
  data value = data::object();
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const auto& col = columns_[i];
    if (!row[i]) {
      value[col.name] = nullptr;
      continue;
    }
    auto v = postgres::column_value(as_def(col), *row[i]);
    if (!v) {
      return make_error(errc::data, "jdbc: " + display_name() + ": " + v.error().message);
    }
    value[col.name] = std::move(v.value());
  }
  if (key_schema_) {
    data key = data::object();
    for (auto i : key_) {
      key[columns_[i].name] = value[columns_[i].name];
    }
    r.key_schema = key_schema_;
    r.key = std::move(key);
  }
  r.value_schema = value_schema_;
  r.value = std::move(value);
  return r;
}

result<source_table::batch> source_table::read(postgres::sql_connection& c,
                                               const table_offset& from) {
  batch out;
  out.last = from;
  const auto n = cfg_->batch_max_rows;
  const std::size_t width = columns_.size();
  switch (cfg_->mode) {
    case source_mode::bulk: {
      CONNECT_TRY(auto rows, c.query("SELECT t.* FROM " + from_));
      for (const auto& row : rows) {
        CONNECT_TRY(auto r, make_record(row));
        out.records.push_back(std::move(r));
      }
      return out;
    }
    case source_mode::incrementing: {
      std::string sql = "SELECT t.*, (" + inc_expr_ + ")::bigint";
      if (is_table_) {
        sql += ", age(t.xmin) > age(pg_snapshot_xmin(pg_current_snapshot())::xid)";
      }
      sql += " FROM " + from_ + " WHERE " + inc_expr_ + " > $1 ORDER BY " + inc_expr_ + " LIMIT " +
             std::to_string(n);
      CONNECT_TRY(auto rows, c.query(sql, {std::to_string(from.incrementing.value_or(-1))}));
      bool held = false;
      for (const auto& row : rows) {
        if (is_table_ && row[width + 1].value_or("f") != "t") {
          held = true;  // written by a transaction not older than every running one
          break;
        }
        CONNECT_TRY(auto r, make_record(row));
        out.last.incrementing = to_i64(row[width]);
        r.source_offset = out.last.to_json();
        out.records.push_back(std::move(r));
      }
      out.full = !held && static_cast<std::int64_t>(rows.size()) == n;
      return out;
    }
    case source_mode::timestamp: {
      CONNECT_TRY(auto bound, bound_us(c));
      const std::string ts_us = "(extract(epoch FROM " + ts_expr_ + ") * 1000000)::bigint";
      std::string sql =
          "SELECT t.*, " + ts_us + " FROM " + from_ + " WHERE " + ts_expr_ + " < " + at_us(1);
      std::vector<std::string> params{std::to_string(bound)};
      if (from.timestamp_us) {
        sql += " AND " + ts_expr_ + " > " + at_us(2);
        params.push_back(std::to_string(*from.timestamp_us));
      }
      CONNECT_TRY(
          auto rows,
          c.query(sql + " ORDER BY " + ts_expr_ + " LIMIT " + std::to_string(n + 1), params));
      if (static_cast<std::int64_t>(rows.size()) > n) {
        out.full = true;
        auto cut = rows.back()[width];
        if (rows.front()[width] == cut) {
          // One group larger than a batch: all of it, or a restart inside
          // it would skip the rest.
          CONNECT_TRY(rows, c.query("SELECT t.*, " + ts_us + " FROM " + from_ + " WHERE " +
                                        ts_expr_ + " = " + at_us(1),
                                    {cut.value_or("0")}));
        } else {
          while (!rows.empty() && rows.back()[width] == cut) {
            rows.pop_back();
          }
        }
      }
      for (std::size_t i = 0; i < rows.size(); ++i) {
        CONNECT_TRY(auto r, make_record(rows[i]));
        // Only the last record of a group of equal timestamps moves the
        // offset past the group.
        if (i + 1 == rows.size() || rows[i + 1][width] != rows[i][width]) {
          out.last.timestamp_us = to_i64(rows[i][width]);
        }
        r.source_offset = out.last.to_json();
        out.records.push_back(std::move(r));
      }
      return out;
    }
    case source_mode::timestamp_incrementing: {
      CONNECT_TRY(auto bound, bound_us(c));
      std::string sql = "SELECT t.*, (extract(epoch FROM " + ts_expr_ + ") * 1000000)::bigint, (" +
                        inc_expr_ + ")::bigint FROM " + from_ + " WHERE " + ts_expr_ + " < " +
                        at_us(1);
      std::vector<std::string> params{std::to_string(bound)};
      if (from.timestamp_us) {
        sql += " AND (" + ts_expr_ + " > " + at_us(2) + " OR (" + ts_expr_ + " = " + at_us(2) +
               " AND " + inc_expr_ + " > $3))";
        params.push_back(std::to_string(*from.timestamp_us));
        params.push_back(std::to_string(from.incrementing.value_or(-1)));
      }
      CONNECT_TRY(auto rows, c.query(sql + " ORDER BY " + ts_expr_ + ", " + inc_expr_ + " LIMIT " +
                                         std::to_string(n),
                                     params));
      for (const auto& row : rows) {
        CONNECT_TRY(auto r, make_record(row));
        out.last.timestamp_us = to_i64(row[width]);
        out.last.incrementing = to_i64(row[width + 1]);
        r.source_offset = out.last.to_json();
        out.records.push_back(std::move(r));
      }
      out.full = static_cast<std::int64_t>(rows.size()) == n;
      return out;
    }
  }
  return out;
}

}  // namespace runnel::connect::jdbc
