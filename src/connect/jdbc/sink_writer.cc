#include "connect/jdbc/sink_writer.h"

#include <algorithm>

#include "connect/jdbc/sql_value.h"
#include "connect/postgres/replication.h"

namespace runnel::connect::jdbc {

namespace {

using postgres::quote_identifier;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The fields of a struct (or, schemaless, of a JSON object) in order.
result<std::vector<std::pair<std::string, schema_ptr>>> fields_of(const schema_ptr& s,
                                                                  const data& v, const char* what) {
  std::vector<std::pair<std::string, schema_ptr>> out;
  if (s) {
    if (s->type != schema_type::struct_) {
      return make_error(errc::data, std::string("jdbc: the record's ") + what +
                                        " is not a struct; the sink writes struct fields as "
                                        "columns");
    }
    for (const auto& f : s->fields) out.emplace_back(f.name, f.schema);
    return out;
  }
  if (!v.is_object()) {
    return make_error(
        errc::data, std::string("jdbc: the record's ") + what + " is not a struct or JSON object");
  }
  for (auto it = v.begin(); it != v.end(); ++it) out.emplace_back(it.key(), nullptr);
  return out;
}

}  // namespace

std::string quote_table(const std::string& name) {
  auto dot = name.find('.');
  if (dot == std::string::npos) {
    return quote_identifier(name);
  }
  return quote_identifier(name.substr(0, dot)) + "." + quote_identifier(name.substr(dot + 1));
}

result<sink_writer::row> sink_writer::make_row(const sink_record& r, bool with_value) const {
  row out;
  auto add = [&](const std::string& name, schema_ptr s, data v, bool key) {
    for (const auto& c : out.columns) {
      if (c.name == name) return;  // a key field wins over the value's
    }
    out.columns.push_back(column{name, std::move(s), std::move(v)});
    if (key) out.key.push_back(name);
  };
  switch (cfg_->pk) {
    case pk_mode::none:
      break;
    case pk_mode::kafka: {
      const auto& topic = r.original_topic.empty() ? r.topic : r.original_topic;
      add(cfg_->pk_fields.size() > 0 ? cfg_->pk_fields[0] : "__connect_topic", schemas::string(),
          topic, true);
      add(cfg_->pk_fields.size() > 1 ? cfg_->pk_fields[1] : "__connect_partition",
          schemas::of(schema_type::int32), r.kafka_partition.value_or(r.original_partition), true);
      add(cfg_->pk_fields.size() > 2 ? cfg_->pk_fields[2] : "__connect_offset", schemas::int64(),
          r.kafka_offset, true);
      break;
    }
    case pk_mode::record_key: {
      if (r.key.is_null()) {
        return make_error(errc::data, "jdbc: pk.mode record_key but the record has no key");
      }
      bool is_struct = (r.key_schema && r.key_schema->type == schema_type::struct_) ||
                       (!r.key_schema && r.key.is_object());
      if (!is_struct) {
        if (cfg_->pk_fields.size() != 1) {
          return make_error(errc::data,
                            "jdbc: a primitive key needs exactly one name in pk.fields");
        }
        add(cfg_->pk_fields[0], r.key_schema, r.key, true);
        break;
      }
      CONNECT_TRY(auto fields, fields_of(r.key_schema, r.key, "key"));
      for (auto& [name, s] : fields) {
        if (cfg_->pk_fields.empty() || contains(cfg_->pk_fields, name)) {
          add(name, s, r.key.contains(name) ? r.key[name] : data(), true);
        }
      }
      break;
    }
    case pk_mode::record_value:
      break;  // below, with the value's fields
  }
  if (!with_value) {
    return out;
  }
  CONNECT_TRY(auto fields, fields_of(r.value_schema, r.value, "value"));
  for (auto& [name, s] : fields) {
    bool key = cfg_->pk == pk_mode::record_value &&
               (cfg_->pk_fields.empty() || contains(cfg_->pk_fields, name));
    if (!key && !cfg_->fields_whitelist.empty() && !contains(cfg_->fields_whitelist, name)) {
      continue;
    }
    add(name, s, r.value.contains(name) ? r.value[name] : data(), key);
  }
  return out;
}

result<void> sink_writer::ensure_table(postgres::sql_connection& c, const std::string& table,
                                       const row& r) {
  auto it = tables_.find(table);
  if (it == tables_.end()) {
    CONNECT_TRY(auto rows, c.query("SELECT attname FROM pg_attribute WHERE attrelid = "
                                   "to_regclass($1) AND attnum > 0 AND NOT attisdropped",
                                   {quote_table(table)}));
    if (rows.empty()) {
      if (!cfg_->auto_create) {
        return make_error(errc::data,
                          "jdbc: table " + table + " is missing and auto.create is false");
      }
      std::string ddl = "CREATE TABLE " + quote_table(table) + " (";
      for (std::size_t i = 0; i < r.columns.size(); ++i) {
        const auto& col = r.columns[i];
        if (!col.schema) {
          return make_error(errc::data, "jdbc: auto.create needs records with schemas (" + table +
                                            "." + col.name + ")");
        }
        ddl += (i ? ", " : "") + quote_identifier(col.name) + " " + sql_type(col.schema) +
               (col.schema->optional && !contains(r.key, col.name) ? "" : " NOT NULL");
      }
      if (!r.key.empty()) {
        ddl += ", PRIMARY KEY (";
        for (std::size_t i = 0; i < r.key.size(); ++i) {
          ddl += (i ? ", " : "") + quote_identifier(r.key[i]);
        }
        ddl += ")";
      }
      CONNECT_TRY(c.query(ddl + ")"));
      std::set<std::string> cols;
      for (const auto& col : r.columns) cols.insert(col.name);
      it = tables_.emplace(table, std::move(cols)).first;
      return ok();
    }
    std::set<std::string> cols;
    for (const auto& found : rows) cols.insert(found[0].value_or(""));
    it = tables_.emplace(table, std::move(cols)).first;
  }
  for (const auto& col : r.columns) {
    if (it->second.contains(col.name)) continue;
    if (!cfg_->auto_evolve || !col.schema) {
      return make_error(errc::data, "jdbc: table " + table + " has no column " + col.name +
                                        (cfg_->auto_evolve ? " (and the record has no schema)"
                                                           : " and auto.evolve is false"));
    }
    CONNECT_TRY(c.query("ALTER TABLE " + quote_table(table) + " ADD COLUMN " +
                        quote_identifier(col.name) + " " + sql_type(col.schema)));
    it->second.insert(col.name);
  }
  return ok();
}

result<void> sink_writer::write(postgres::sql_connection& c, const sink_record& r) {
  const auto table = cfg_->table_for(r.topic);
  const bool tombstone = r.value.is_null();
  if (tombstone && !cfg_->delete_enabled) {
    return ok();  // nothing to write; the offset still moves
  }
  CONNECT_TRY(auto rw, make_row(r, !tombstone));
  std::vector<std::optional<std::string>> params;
  auto param = [&](const column& col) -> result<std::string> {
    CONNECT_TRY(auto t, sql_text(col.schema, col.value));
    params.push_back(std::move(t));
    return "$" + std::to_string(params.size());
  };
  auto where_key = [&]() -> result<std::string> {
    std::string w;
    for (const auto& col : rw.columns) {
      if (!contains(rw.key, col.name)) continue;
      CONNECT_TRY(auto p, param(col));
      w += (w.empty() ? "" : " AND ") + quote_identifier(col.name) + " = " + p;
    }
    return w;
  };
  std::string sql;
  if (tombstone) {
    if (!tables_.contains(table)) {
      CONNECT_TRY(auto rows, c.query("SELECT to_regclass($1)", {quote_table(table)}));
      if (rows.empty() || !rows[0][0]) {
        return ok();  // nothing to delete from
      }
    }
    CONNECT_TRY(auto w, where_key());
    sql = "DELETE FROM " + quote_table(table) + " WHERE " + w;
  } else {
    CONNECT_TRY(ensure_table(c, table, rw));
    if (cfg_->insert == insert_mode::update) {
      std::string set;
      for (const auto& col : rw.columns) {
        if (contains(rw.key, col.name)) continue;
        CONNECT_TRY(auto p, param(col));
        set += (set.empty() ? "" : ", ") + quote_identifier(col.name) + " = " + p;
      }
      if (set.empty()) return ok();
      CONNECT_TRY(auto w, where_key());
      sql = "UPDATE " + quote_table(table) + " SET " + set + " WHERE " + w;
    } else {
      std::string cols, vals, updates, keys;
      for (const auto& col : rw.columns) {
        CONNECT_TRY(auto p, param(col));
        auto q = quote_identifier(col.name);
        cols += (cols.empty() ? "" : ", ") + q;
        vals += (vals.empty() ? "" : ", ") + p;
        if (contains(rw.key, col.name)) {
          keys += (keys.empty() ? "" : ", ") + q;
        } else {
          updates += (updates.empty() ? "" : ", ") + q + " = EXCLUDED." + q;
        }
      }
      sql = "INSERT INTO " + quote_table(table) + " (" + cols + ") VALUES (" + vals + ")";
      if (cfg_->insert == insert_mode::upsert) {
        sql += " ON CONFLICT (" + keys + ") DO " +
               (updates.empty() ? std::string("NOTHING") : "UPDATE SET " + updates);
      }
    }
  }
  auto done = c.execute(sql, params);
  if (!done) {
    return done.error();
  }
  return ok();
}

}  // namespace runnel::connect::jdbc
