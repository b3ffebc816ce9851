#include "connect/jdbc/source_table.h"

namespace runnel::connect::jdbc {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
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

result<source_table> source_table::describe(const dialect& d, db_session& s,
                                            const source_config& cfg, const std::string& schema,
                                            const std::string& name) {
  source_table t;
  t.cfg_ = &cfg;
  t.d_ = &d;
  t.is_table_ = !name.empty();
  std::optional<table_keys> catalog;
  if (t.is_table_) {
    t.from_ = d.quote(schema) + "." + d.quote(name) + " AS t";
    t.topic_ = cfg.topic_prefix + name;
    // Confluent names the partition database.schema.table (PostgreSQL) and
    // database.table (MySQL, where the schema is the database).
    const auto& db = cfg.connection.url.database;
    const bool mysql = cfg.connection.url.kind == database_kind::mysql;
    t.partition_ = data{{"protocol", "1"},
                        {"table", mysql ? schema + "." + name : db + "." + schema + "." + name}};
    CONNECT_TRY(catalog, d.describe_table(s, table_id{schema, name}));
    if (!catalog) {
      return make_error(errc::not_found, "jdbc: table " + schema + "." + name + " not found");
    }
  } else {
    t.from_ = "(" + cfg.query + ") AS t";
    t.topic_ = cfg.topic_prefix;
    t.partition_ = data{{"query", "query"}};
  }
  CONNECT_TRY(auto probe, s.run("SELECT t.* FROM " + t.from_ + " LIMIT 0", {}));
  t.columns_ = std::move(probe.columns);

  auto find = [&](const std::string& col) -> const db_column* {
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
    t.inc_expr_ = "t." + d.quote(cfg.incrementing_column);
  }
  if (cfg.uses_timestamp()) {
    std::string cols;
    for (const auto& col : cfg.timestamp_columns) {
      const auto* sc = find(col);
      if (sc == nullptr) {
        return missing("timestamp.column.name", col);
      }
      if (!d.is_timestamp(*sc)) {
        return make_error(errc::invalid_config, "jdbc: column '" + col + "' of " +
                                                    t.display_name() +
                                                    " is not a timestamp (timestamp.column.name)");
      }
      if (cols.empty()) {
        t.ts_column_ = *sc;
      }
      cols += (cols.empty() ? "" : ", ") + ("t." + d.quote(col));
    }
    t.ts_expr_ = cfg.timestamp_columns.size() == 1 ? cols : "COALESCE(" + cols + ")";
  }

  struct_builder value(t.is_table_ ? std::optional<std::string>(name) : std::nullopt);
  for (std::size_t i = 0; i < t.columns_.size(); ++i) {
    const auto& col = t.columns_[i];
    bool optional = !catalog || !catalog->not_null.contains(col.name);
    t.optional_.push_back(optional);
    value.field(col.name, d.column_schema(col, optional));
  }
  t.value_schema_ = value.build();
  if (catalog && !catalog->primary_key.empty()) {
    struct_builder key;
    for (const auto& k : catalog->primary_key) {
      for (std::size_t i = 0; i < t.columns_.size(); ++i) {
        if (t.columns_[i].name == k) {
          t.key_.push_back(i);
          key.field(k, d.column_schema(t.columns_[i], false));
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

result<source_record> source_table::make_record(const sql_row& row) const {
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
    auto v = d_->column_value(col, *row[i]);
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

result<source_table::batch> source_table::read_incrementing(db_session& s,
                                                            const table_offset& from) {
  batch out;
  out.last = from;
  const auto n = cfg_->batch_max_rows;
  const std::size_t width = columns_.size();
  auto guard = is_table_ ? d_->guard(s) : dialect::incrementing_guard{};
  sql_params params;
  std::string sql = "SELECT t.*, " + d_->as_int64(inc_expr_);
  if (!guard.settled_column.empty()) {
    sql += ", " + guard.settled_column;
  }
  sql += " FROM " + from_ + " WHERE " + inc_expr_ + " > " +
         d_->bind_int(from.incrementing.value_or(-1), params) + " ORDER BY " + inc_expr_ +
         " LIMIT " + std::to_string(n) + guard.locking_clause;
  auto rows = s.run(sql, params);
  if (!rows && d_->is_held(rows.error())) {
    return out;  // a row not yet committed is in the way: the next poll
  }
  CONNECT_TRY(auto r, std::move(rows));
  bool held = false;
  for (const auto& row : r.rows) {
    if (!guard.settled_column.empty() && row[width + 1].value_or("f") != "t") {
      held = true;  // written by a transaction not older than every running one
      break;
    }
    CONNECT_TRY(auto rec, make_record(row));
    out.last.incrementing = parse_int64(row[width]);
    rec.source_offset = out.last.to_json();
    out.records.push_back(std::move(rec));
  }
  out.full = !held && static_cast<std::int64_t>(r.rows.size()) == n;
  return out;
}

result<source_table::batch> source_table::read(db_session& s, const table_offset& from) {
  batch out;
  out.last = from;
  const auto n = cfg_->batch_max_rows;
  const std::size_t width = columns_.size();
  auto rows_of = [&](const std::string& sql,
                     const sql_params& params) -> result<std::vector<sql_row>> {
    CONNECT_TRY(auto r, s.run(sql, params));
    return std::move(r.rows);
  };
  // The timestamp reads of a table take the dialect's locking clause too
  // (MariaDB: they cannot pass a row still uncommitted in timestamp order;
  // PostgreSQL: none). A read held by a lock delivers nothing this poll.
  const std::string locking = is_table_ ? d_->guard(s).locking_clause : std::string();
  bool held = false;
  auto locked_rows_of = [&](const std::string& sql,
                            const sql_params& params) -> result<std::vector<sql_row>> {
    auto r = s.run(sql + locking, params);
    if (!r && d_->is_held(r.error())) {
      held = true;
      return std::vector<sql_row>{};
    }
    CONNECT_TRY(auto rr, std::move(r));
    return std::move(rr.rows);
  };
  switch (cfg_->mode) {
    case source_mode::bulk: {
      CONNECT_TRY(auto rows, rows_of("SELECT t.* FROM " + from_, {}));
      for (const auto& row : rows) {
        CONNECT_TRY(auto r, make_record(row));
        out.records.push_back(std::move(r));
      }
      return out;
    }
    case source_mode::incrementing:
      return read_incrementing(s, from);
    case source_mode::timestamp: {
      CONNECT_TRY(auto bound, d_->safe_timestamp_us(s, ts_column_, *cfg_));
      const std::string ts_us = d_->timestamp_us(ts_expr_, ts_column_);
      sql_params params;
      std::string sql = "SELECT t.*, " + ts_us + " FROM " + from_ + " WHERE " + ts_expr_ + " < " +
                        d_->timestamp_at(bound, ts_column_, params);
      if (from.timestamp_us) {
        sql +=
            " AND " + ts_expr_ + " > " + d_->timestamp_at(*from.timestamp_us, ts_column_, params);
      }
      CONNECT_TRY(auto rows,
                  locked_rows_of(sql + " ORDER BY " + ts_expr_ + " LIMIT " + std::to_string(n + 1),
                                 params));
      if (held) {
        return out;
      }
      if (static_cast<std::int64_t>(rows.size()) > n) {
        out.full = true;
        auto cut = rows.back()[width];
        if (rows.front()[width] == cut) {
          // One group larger than a batch: all of it, or a restart inside
          // it would skip the rest.
          sql_params p2;
          auto at = d_->timestamp_at(parse_int64(cut).value_or(0), ts_column_, p2);
          CONNECT_TRY(rows, locked_rows_of("SELECT t.*, " + ts_us + " FROM " + from_ + " WHERE " +
                                               ts_expr_ + " = " + at,
                                           p2));
          if (held) {
            return out;
          }
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
          out.last.timestamp_us = parse_int64(rows[i][width]);
        }
        r.source_offset = out.last.to_json();
        out.records.push_back(std::move(r));
      }
      return out;
    }
    case source_mode::timestamp_incrementing: {
      CONNECT_TRY(auto bound, d_->safe_timestamp_us(s, ts_column_, *cfg_));
      sql_params params;
      std::string sql = "SELECT t.*, " + d_->timestamp_us(ts_expr_, ts_column_) + ", " +
                        d_->as_int64(inc_expr_) + " FROM " + from_ + " WHERE " + ts_expr_ + " < " +
                        d_->timestamp_at(bound, ts_column_, params);
      if (from.timestamp_us) {
        sql += " AND (" + ts_expr_ + " > " +
               d_->timestamp_at(*from.timestamp_us, ts_column_, params) + " OR (" + ts_expr_ +
               " = " + d_->timestamp_at(*from.timestamp_us, ts_column_, params) + " AND " +
               inc_expr_ + " > " + d_->bind_int(from.incrementing.value_or(-1), params) + "))";
      }
      CONNECT_TRY(auto rows, locked_rows_of(sql + " ORDER BY " + ts_expr_ + ", " + inc_expr_ +
                                                " LIMIT " + std::to_string(n),
                                            params));
      if (held) {
        return out;
      }
      for (const auto& row : rows) {
        CONNECT_TRY(auto r, make_record(row));
        out.last.timestamp_us = parse_int64(row[width]);
        out.last.incrementing = parse_int64(row[width + 1]);
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
