#include "connect/postgres/catalog.h"

#include <charconv>

namespace runnel::connect::postgres {

namespace {

std::uint32_t to_u32(const std::optional<std::string>& s) {
  std::uint32_t v = 0;
  if (s) {
    std::from_chars(s->data(), s->data() + s->size(), v);
  }
  return v;
}

std::int32_t to_i32(const std::optional<std::string>& s) {
  std::int32_t v = -1;
  if (s) {
    std::from_chars(s->data(), s->data() + s->size(), v);
  }
  return v;
}

}  // namespace

result<std::vector<table_ref>> list_tables(sql_connection& c) {
  BOOST_OUTCOME_TRY(auto rows, c.query("SELECT c.oid, n.nspname, c.relname FROM pg_class c "
                                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                       "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
                                       "('pg_catalog', 'information_schema', 'pg_toast') "
                                       "AND n.nspname NOT LIKE 'pg_temp%' "
                                       "ORDER BY n.nspname, c.relname"));
  std::vector<table_ref> out;
  for (const auto& r : rows) {
    out.push_back({to_u32(r[0]), r[1].value_or(""), r[2].value_or("")});
  }
  return out;
}

result<relation> read_relation(sql_connection& c, std::uint32_t oid) {
  auto id = std::to_string(oid);
  BOOST_OUTCOME_TRY(auto head, c.query("SELECT n.nspname, c.relname, c.relreplident FROM pg_class "
                                       "c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                       "WHERE c.oid = $1",
                                       {id}));
  if (head.empty()) {
    return make_error(errc::not_found, "postgres: no table with oid " + id);
  }
  relation r;
  r.oid = oid;
  r.schema = head[0][0].value_or("");
  r.name = head[0][1].value_or("");
  r.identity = static_cast<replica_identity>(head[0][2].value_or("d").front());
  // The replica identity's columns: the primary key (DEFAULT), the chosen
  // index (INDEX), every column (FULL), none (NOTHING).
  BOOST_OUTCOME_TRY(
      auto cols,
      c.query("SELECT a.attname, a.atttypid, a.atttypmod, "
              "CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false "
              "ELSE EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND "
              "a.attnum = ANY (i.indkey) AND CASE c.relreplident WHEN 'd' THEN i.indisprimary "
              "ELSE i.indisreplident END) END "
              "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
              "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
              "AND a.attgenerated = '' ORDER BY a.attnum",
              {id}));
  for (const auto& row : cols) {
    r.columns.push_back(column_def{.name = row[0].value_or(""),
                                   .type_oid = to_u32(row[1]),
                                   .type_modifier = to_i32(row[2]),
                                   .part_of_key = row[3].value_or("f") == "t"});
  }
  return r;
}

result<table_catalog> read_table_catalog(sql_connection& c, std::uint32_t oid) {
  auto id = std::to_string(oid);
  table_catalog t;
  BOOST_OUTCOME_TRY(auto pk, c.query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                                     "a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
                                     "WHERE i.indrelid = $1 AND i.indisprimary "
                                     "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                                     {id}));
  for (const auto& r : pk) {
    t.primary_key.push_back(r[0].value_or(""));
  }
  BOOST_OUTCOME_TRY(auto nn, c.query("SELECT attname FROM pg_attribute WHERE attrelid = $1 AND "
                                     "attnum > 0 AND NOT attisdropped AND attnotnull",
                                     {id}));
  for (const auto& r : nn) {
    t.not_null.insert(r[0].value_or(""));
  }
  return t;
}

result<table_filter> table_filter::make(const std::vector<std::string>& include,
                                        const std::vector<std::string>& exclude) {
  table_filter f;
  auto compile = [](const std::vector<std::string>& in,
                    std::vector<std::regex>& out) -> result<void> {
    for (const auto& p : in) {
      if (p.empty()) {
        continue;
      }
      try {
        out.emplace_back(p);
      } catch (const std::regex_error& e) {
        return make_error(errc::invalid_config,
                          "postgres: '" + p + "' is not a valid regular expression: " + e.what());
      }
    }
    return ok();
  };
  BOOST_OUTCOME_TRY(compile(include, f.include_));
  BOOST_OUTCOME_TRY(compile(exclude, f.exclude_));
  return f;
}

bool table_filter::admits(const std::string& schema, const std::string& table) const {
  auto name = schema + "." + table;
  auto any = [&](const std::vector<std::regex>& v) {
    for (const auto& re : v) {
      if (std::regex_match(name, re)) {
        return true;
      }
    }
    return false;
  };
  if (!include_.empty() && !any(include_)) {
    return false;
  }
  return !any(exclude_);
}

}  // namespace runnel::connect::postgres
