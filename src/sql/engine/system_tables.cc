#include "sql/engine/system_tables.h"

#include <algorithm>
#include <deque>
#include <string>
#include <tuple>

#include "sql/plan/functions.h"

namespace runnel::sql {

namespace {

// System tables get ids far above any user relation's.
constexpr uint64_t first_system_id = uint64_t(1) << 60;
constexpr int64_t pg_catalog_oid = 11, public_oid = 2200, information_schema_oid = 13000;
constexpr int64_t database_oid = 16383, owner_oid = 10;
constexpr int64_t first_function_oid = 8000;  // pg_proc: below the first user oid, above types

enum class sys : uint64_t {
  pg_namespace = first_system_id,
  pg_class,
  pg_attribute,
  pg_type,
  pg_am,
  pg_database,
  pg_description,
  pg_attrdef,
  tables,
  columns,
  schemata,
  pg_cursors,  // the session's cursors: the engine fills it (cursor_rows)
  table_constraints,
  key_column_usage,
  pg_settings,  // the session's parameters: the engine fills it (setting_rows)
  pg_proc,
};

struct def {
  sys id;
  const char* schema;
  const char* name;
  std::vector<std::pair<const char*, type_id>> columns;
};

const std::deque<relation_info>& all() {
  static const std::deque<relation_info> tables = [] {
    std::vector<def> defs = {
        {sys::pg_namespace,
         "pg_catalog",
         "pg_namespace",
         {{"oid", type_id::oid}, {"nspname", type_id::text}, {"nspowner", type_id::oid}}},
        {sys::pg_class,
         "pg_catalog",
         "pg_class",
         {{"oid", type_id::oid},
          {"relname", type_id::text},
          {"relnamespace", type_id::oid},
          {"relkind", type_id::text},
          {"relowner", type_id::oid},
          {"relam", type_id::oid},
          {"relpersistence", type_id::text},
          {"relispartition", type_id::boolean},
          {"relhasindex", type_id::boolean},
          {"relnatts", type_id::int16}}},
        {sys::pg_attribute,
         "pg_catalog",
         "pg_attribute",
         {{"attrelid", type_id::oid},
          {"attname", type_id::text},
          {"atttypid", type_id::oid},
          {"attnum", type_id::int16},
          {"atttypmod", type_id::int32},
          {"attnotnull", type_id::boolean},
          {"attisdropped", type_id::boolean},
          {"atthasdef", type_id::boolean},
          {"attlen", type_id::int16},
          {"attidentity", type_id::text},
          {"attgenerated", type_id::text}}},
        {sys::pg_type,
         "pg_catalog",
         "pg_type",
         {{"oid", type_id::oid},
          {"typname", type_id::text},
          {"typnamespace", type_id::oid},
          {"typlen", type_id::int16},
          {"typtype", type_id::text},
          {"typnotnull", type_id::boolean},
          {"typtypmod", type_id::int32},
          {"typbasetype", type_id::oid},
          {"typelem", type_id::oid},
          {"typdelim", type_id::text},
          {"typrelid", type_id::oid},
          {"typinput", type_id::oid}}},
        {sys::pg_am, "pg_catalog", "pg_am", {{"oid", type_id::oid}, {"amname", type_id::text}}},
        {sys::pg_database,
         "pg_catalog",
         "pg_database",
         {{"oid", type_id::oid},
          {"datname", type_id::text},
          {"datallowconn", type_id::boolean},
          {"datistemplate", type_id::boolean}}},
        // Comments (none yet) and column defaults (none): empty, for the
        // LEFT JOINs of JDBC's getTables and getColumns.
        {sys::pg_description,
         "pg_catalog",
         "pg_description",
         {{"objoid", type_id::oid},
          {"classoid", type_id::oid},
          {"objsubid", type_id::int32},
          {"description", type_id::text}}},
        {sys::pg_attrdef,
         "pg_catalog",
         "pg_attrdef",
         {{"oid", type_id::oid},
          {"adrelid", type_id::oid},
          {"adnum", type_id::int16},
          {"adbin", type_id::text}}},
        {sys::tables,
         "information_schema",
         "tables",
         {{"table_catalog", type_id::text},
          {"table_schema", type_id::text},
          {"table_name", type_id::text},
          {"table_type", type_id::text}}},
        {sys::columns,
         "information_schema",
         "columns",
         {{"table_catalog", type_id::text},
          {"table_schema", type_id::text},
          {"table_name", type_id::text},
          {"column_name", type_id::text},
          {"ordinal_position", type_id::int32},
          {"data_type", type_id::text},
          {"is_nullable", type_id::text}}},
        {sys::schemata,
         "information_schema",
         "schemata",
         {{"catalog_name", type_id::text}, {"schema_name", type_id::text}}},
        // Primary keys, the only constraint runnel has (besides NOT NULL,
        // which PostgreSQL lists here as CHECK constraints; runnel does not).
        {sys::table_constraints,
         "information_schema",
         "table_constraints",
         {{"constraint_catalog", type_id::text},
          {"constraint_schema", type_id::text},
          {"constraint_name", type_id::text},
          {"table_catalog", type_id::text},
          {"table_schema", type_id::text},
          {"table_name", type_id::text},
          {"constraint_type", type_id::text},
          {"is_deferrable", type_id::text},
          {"initially_deferred", type_id::text},
          {"enforced", type_id::text},
          {"nulls_distinct", type_id::text}}},
        {sys::key_column_usage,
         "information_schema",
         "key_column_usage",
         {{"constraint_catalog", type_id::text},
          {"constraint_schema", type_id::text},
          {"constraint_name", type_id::text},
          {"table_catalog", type_id::text},
          {"table_schema", type_id::text},
          {"table_name", type_id::text},
          {"column_name", type_id::text},
          {"ordinal_position", type_id::int32},
          {"position_in_unique_constraint", type_id::int32}}},
        {sys::pg_cursors,
         "pg_catalog",
         "pg_cursors",
         {{"name", type_id::text},
          {"statement", type_id::text},
          {"is_holdable", type_id::boolean},
          {"is_binary", type_id::boolean},
          {"is_scrollable", type_id::boolean},
          {"creation_time", type_id::timestamptz}}},
        // The scalar functions runnel has (plan/functions.h), by name:
        // their signatures are resolved when called, so the argument and
        // result types are not listed (prorettype 0, proargtypes empty).
        {sys::pg_proc,
         "pg_catalog",
         "pg_proc",
         {{"oid", type_id::oid},
          {"proname", type_id::text},
          {"pronamespace", type_id::oid},
          {"prokind", type_id::text},
          {"prorettype", type_id::oid},
          {"proretset", type_id::boolean},
          {"pronargs", type_id::int16},
          {"proargtypes", type_id::text},
          {"proargnames", type_id::text},
          {"proargmodes", type_id::text},
          {"proallargtypes", type_id::text}}},
        {sys::pg_settings,
         "pg_catalog",
         "pg_settings",
         {{"name", type_id::text}, {"setting", type_id::text}, {"short_desc", type_id::text}}},
    };
    std::deque<relation_info> out;
    for (const auto& d : defs) {
      relation_info r;
      r.id = static_cast<uint64_t>(d.id);
      r.name = d.name;
      r.schema = d.schema;
      r.kind = relation_kind::system;
      for (const auto& [n, t] : d.columns) r.columns.push_back(plan_column{n, t, d.name, false});
      out.push_back(std::move(r));
    }
    return out;
  }();
  return tables;
}

// information_schema.columns.data_type: the type's name without modifiers.
std::string data_type(const sql_type& t) {
  if (t.id == type_id::text && t.kind == text_kind::bpchar) return "character";
  sql_type bare(t.id);
  bare.kind = t.kind;
  return type_name(bare);
}

class rows {
 public:
  explicit rows(size_t width) : b_(static_cast<uint32_t>(width)) {}
  rows& row() {
    d_ = b_.add(1);
    col_ = 0;
    return *this;
  }
  rows& i(int64_t v) {
    d_ = b_.row(b_.size() - 1);
    d_[col_++] = datum::of_int(v);
    return *this;
  }
  rows& b(bool v) {
    d_ = b_.row(b_.size() - 1);
    d_[col_++] = datum::of_bool(v);
    return *this;
  }
  rows& t(std::string_view v) {
    d_ = b_.row(b_.size() - 1);
    d_[col_++] = datum::of_text(b_.strings().copy(v));
    return *this;
  }
  rows& n() {  // NULL
    d_ = b_.row(b_.size() - 1);
    d_[col_++] = datum::null_value();
    return *this;
  }
  row_batch take() { return std::move(b_); }

 private:
  row_batch b_;
  datum* d_ = nullptr;
  size_t col_ = 0;
};

}  // namespace

// psql's relkind letters; a source is a foreign table (\dE), as its rows
// live elsewhere.
const char* pg_relkind(relation_kind k) {
  switch (k) {
    case relation_kind::table:
      return "r";
    case relation_kind::view:
      return "v";
    case relation_kind::materialized_view:
      return "m";
    case relation_kind::source:
      return "f";
    default:
      return nullptr;
  }
}

bool has_primary_key_index(const relation_info& r) {
  return (r.kind == relation_kind::table || r.kind == relation_kind::source) &&
         !r.primary_key.empty();
}

std::string primary_key_index_name(const relation_info& r) {
  return r.name + "_pkey";
}

const relation_info* find_system_table(std::string_view schema, std::string_view name) {
  for (const auto& r : all())
    if (r.schema == schema && r.name == name) return &r;
  return nullptr;
}

uint64_t cursors_table_id() {
  return static_cast<uint64_t>(sys::pg_cursors);
}

uint64_t settings_table_id() {
  return static_cast<uint64_t>(sys::pg_settings);
}

const relation_info* system_table_by_id(uint64_t id) {
  for (const auto& r : all())
    if (r.id == id) return &r;
  return nullptr;
}

row_batch system_rows(uint64_t id, const std::vector<const relation_info*>& relations) {
  const relation_info* t = system_table_by_id(id);
  rows out(t ? t->columns.size() : 0);
  auto oid_of = [](const relation_info& r) { return relation_oid(r); };
  switch (static_cast<sys>(id)) {
    case sys::pg_namespace:
      out.row().i(pg_catalog_oid).t("pg_catalog").i(owner_oid);
      out.row().i(public_oid).t("public").i(owner_oid);
      out.row().i(information_schema_oid).t("information_schema").i(owner_oid);
      break;
    case sys::pg_class:
      for (const auto* r : relations)
        if (const char* k = pg_relkind(r->kind))
          out.row()
              .i(oid_of(*r))
              .t(r->name)
              .i(public_oid)
              .t(k)
              .i(owner_oid)
              .i(0)
              .t("p")
              .b(false)
              .b(has_primary_key_index(*r))
              .i(static_cast<int64_t>(r->columns.size()));
      break;
    case sys::pg_attribute:
      for (const auto* r : relations) {
        if (!pg_relkind(r->kind)) continue;
        int n = 0;
        for (size_t c = 0; c < r->columns.size(); ++c) {
          if (r->columns[c].hidden) continue;
          bool key = false;
          for (int k : r->primary_key) key |= static_cast<size_t>(k) == c;
          out.row()
              .i(oid_of(*r))
              .t(r->columns[c].name)
              .i(type_oid(r->columns[c].type))
              .i(++n)
              .i(type_modifier(r->columns[c].type))
              .b(key)
              .b(false)
              .b(false)
              .i(type_wire_length(r->columns[c].type.id))
              .t("")
              .t("");
        }
      }
      break;
    case sys::pg_type:
      for (auto t2 : {type_id::boolean, type_id::int16, type_id::int32, type_id::int64,
                      type_id::float32, type_id::float64, type_id::numeric, type_id::text,
                      type_id::bytea, type_id::date, type_id::time, type_id::timestamp,
                      type_id::timestamptz, type_id::interval, type_id::jsonb, type_id::oid})
        out.row()
            .i(type_oid(t2))
            .t(type_short_name(t2))
            .i(pg_catalog_oid)
            .i(type_wire_length(t2))
            .t("b")  // a base type
            .b(false)
            .i(-1)
            .i(0)
            .i(0)
            .t(",")
            .i(0)
            .i(typinput_oid(t2));
      // varchar and bpchar: text's values under their own names.
      for (auto [oid, name, input] : {std::tuple{1043, "varchar", 1046}, {1042, "bpchar", 1044}})
        out.row()
            .i(oid)
            .t(name)
            .i(pg_catalog_oid)
            .i(-1)
            .t("b")
            .b(false)
            .i(-1)
            .i(0)
            .i(0)
            .t(",")
            .i(0)
            .i(input);
      // text[] (current_schemas()): an array of text.
      out.row()
          .i(type_oid(type_id::text_array))
          .t(type_short_name(type_id::text_array))
          .i(pg_catalog_oid)
          .i(-1)
          .t("b")
          .b(false)
          .i(-1)
          .i(0)
          .i(type_oid(type_id::text))
          .t(",")
          .i(0)
          .i(typinput_oid(type_id::text_array));
      break;
    case sys::pg_proc: {
      // The registry's, and those the binder answers itself (the set-
      // returning generate_series among them: proretset).
      std::vector<std::pair<std::string, bool>> fns;
      for (auto& name : function_names()) fns.emplace_back(std::move(name), false);
      for (const char* name :
           {"clock_timestamp", "current_database", "current_schema", "current_schemas",
            "current_setting", "now", "pg_backend_pid", "set_config", "statement_timestamp",
            "transaction_timestamp", "version"})
        fns.emplace_back(name, false);
      fns.emplace_back("generate_series", true);
      std::sort(fns.begin(), fns.end());
      int64_t oid = first_function_oid;
      for (const auto& [name, set] : fns)
        out.row().i(oid++).t(name).i(pg_catalog_oid).t("f").i(0).b(set).i(0).t("").n().n().n();
      break;
    }
    case sys::pg_description:
    case sys::pg_attrdef:
    case sys::pg_cursors:   // the engine's (cursor_rows)
    case sys::pg_settings:  // the engine's (setting_rows)
      break;
    case sys::pg_am:
      break;
    case sys::pg_database:
      out.row().i(database_oid).t("dev").b(true).b(false);
      break;
    case sys::tables:
      for (const auto* r : relations)
        if (pg_relkind(r->kind))
          out.row().t("dev").t("public").t(r->name).t(
              r->kind == relation_kind::view || r->kind == relation_kind::materialized_view
                  ? "VIEW"
                  : "BASE TABLE");
      break;
    case sys::columns:
      for (const auto* r : relations) {
        if (!pg_relkind(r->kind)) continue;
        int n = 0;
        for (size_t c = 0; c < r->columns.size(); ++c) {
          if (r->columns[c].hidden) continue;
          bool key = false;
          for (int k : r->primary_key) key |= static_cast<size_t>(k) == c;
          out.row()
              .t("dev")
              .t("public")
              .t(r->name)
              .t(r->columns[c].name)
              .i(++n)
              // data_type carries no modifiers, as PostgreSQL's: numeric(10,2) is
              // numeric, varchar(10) character varying, char(5) character.
              .t(data_type(r->columns[c].type))
              .t(key ? "NO" : "YES");
        }
      }
      break;
    case sys::schemata:
      for (const char* s : {"pg_catalog", "public", "information_schema"}) out.row().t("dev").t(s);
      break;
    case sys::table_constraints:
      for (const auto* r : relations)
        if (has_primary_key_index(*r))
          out.row()
              .t("dev")
              .t("public")
              .t(primary_key_index_name(*r))
              .t("dev")
              .t("public")
              .t(r->name)
              .t("PRIMARY KEY")
              .t("NO")
              .t("NO")
              .t("YES");  // nulls_distinct: NULL, as PostgreSQL's for a primary key
      break;
    case sys::key_column_usage:
      for (const auto* r : relations) {
        if (!has_primary_key_index(*r)) continue;
        int n = 0;
        for (int k : r->primary_key) {
          out.row()
              .t("dev")
              .t("public")
              .t(primary_key_index_name(*r))
              .t("dev")
              .t("public")
              .t(r->name)
              .t(r->columns[static_cast<size_t>(k)].name)
              .i(++n);  // position_in_unique_constraint: NULL, as for a primary key
        }
      }
      break;
  }
  return out.take();
}

}  // namespace runnel::sql
