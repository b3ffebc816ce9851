#include "connect/jdbc/sink_writer.h"

#include <algorithm>

namespace runnel::connect::jdbc {

namespace {

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

result<void> sink_writer::ensure_table(db_session& s, const std::string& table, const row& r) {
  auto it = tables_.find(table);
  if (it == tables_.end()) {
    CONNECT_TRY(auto found, d_->table_columns(s, table));
    if (!found) {
      if (!cfg_->auto_create) {
        return make_error(errc::data,
                          "jdbc: table " + table + " is missing and auto.create is false");
      }
      std::string ddl = "CREATE TABLE " + d_->quote_table(table) + " (";
      for (std::size_t i = 0; i < r.columns.size(); ++i) {
        const auto& col = r.columns[i];
        if (!col.schema) {
          return make_error(errc::data, "jdbc: auto.create needs records with schemas (" + table +
                                            "." + col.name + ")");
        }
        const bool key = contains(r.key, col.name);
        ddl += (i ? ", " : "") + d_->quote(col.name) + " " + d_->column_type(col.schema, key) +
               (col.schema->optional && !key ? "" : " NOT NULL");
      }
      if (!r.key.empty()) {
        ddl += ", PRIMARY KEY (";
        for (std::size_t i = 0; i < r.key.size(); ++i) {
          ddl += (i ? ", " : "") + d_->quote(r.key[i]);
        }
        ddl += ")";
      }
      CONNECT_TRY(s.run(ddl + ")" + d_->table_options(), {}));
      std::set<std::string> cols;
      for (const auto& col : r.columns) cols.insert(col.name);
      it = tables_.emplace(table, std::move(cols)).first;
      return ok();
    }
    it = tables_.emplace(table, std::move(*found)).first;
  }
  for (const auto& col : r.columns) {
    if (it->second.contains(col.name)) continue;
    if (!cfg_->auto_evolve || !col.schema) {
      return make_error(errc::data, "jdbc: table " + table + " has no column " + col.name +
                                        (cfg_->auto_evolve ? " (and the record has no schema)"
                                                           : " and auto.evolve is false"));
    }
    CONNECT_TRY(s.run("ALTER TABLE " + d_->quote_table(table) + " ADD COLUMN " +
                          d_->quote(col.name) + " " + d_->column_type(col.schema, false),
                      {}));
    it->second.insert(col.name);
  }
  return ok();
}

result<void> sink_writer::prepare(db_session& s, const sink_record& r) {
  if (r.value.is_null()) {
    return ok();
  }
  CONNECT_TRY(auto rw, make_row(r, true));
  return ensure_table(s, cfg_->table_for(r.topic), rw);
}

result<void> sink_writer::write(db_session& s, const sink_record& r) {
  const auto table = cfg_->table_for(r.topic);
  const bool tombstone = r.value.is_null();
  if (tombstone && !cfg_->delete_enabled) {
    return ok();  // nothing to write; the offset still moves
  }
  CONNECT_TRY(auto rw, make_row(r, !tombstone));
  sql_params params;
  auto where_key = [&]() -> result<std::string> {
    std::string w;
    for (const auto& col : rw.columns) {
      if (!contains(rw.key, col.name)) continue;
      CONNECT_TRY(auto p, d_->bind_value(col.schema, col.value, params));
      w += (w.empty() ? "" : " AND ") + d_->quote(col.name) + " = " + p;
    }
    return w;
  };
  std::string sql;
  if (tombstone) {
    if (!tables_.contains(table)) {
      CONNECT_TRY(auto found, d_->table_columns(s, table));
      if (!found) {
        return ok();  // nothing to delete from
      }
    }
    CONNECT_TRY(auto w, where_key());
    sql = "DELETE FROM " + d_->quote_table(table) + " WHERE " + w;
  } else {
    CONNECT_TRY(ensure_table(s, table, rw));
    if (cfg_->insert == insert_mode::update) {
      std::string set;
      for (const auto& col : rw.columns) {
        if (contains(rw.key, col.name)) continue;
        CONNECT_TRY(auto p, d_->bind_value(col.schema, col.value, params));
        set += (set.empty() ? "" : ", ") + d_->quote(col.name) + " = " + p;
      }
      if (set.empty()) return ok();
      CONNECT_TRY(auto w, where_key());
      sql = "UPDATE " + d_->quote_table(table) + " SET " + set + " WHERE " + w;
    } else {
      std::string cols, vals;
      std::vector<std::string> keys, others;
      for (const auto& col : rw.columns) {
        CONNECT_TRY(auto p, d_->bind_value(col.schema, col.value, params));
        cols += (cols.empty() ? "" : ", ") + d_->quote(col.name);
        vals += (vals.empty() ? "" : ", ") + p;
        (contains(rw.key, col.name) ? keys : others).push_back(col.name);
      }
      sql = "INSERT INTO " + d_->quote_table(table) + " (" + cols + ") VALUES (" + vals + ")";
      if (cfg_->insert == insert_mode::upsert) {
        sql += d_->upsert_clause(keys, others);
      }
    }
  }
  CONNECT_TRY(s.run(sql, params));
  return ok();
}

}  // namespace runnel::connect::jdbc
