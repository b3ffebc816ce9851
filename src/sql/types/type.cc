#include "sql/types/type.h"

#include <fmt/format.h>

namespace runnel::sql {

namespace {

struct type_row {
  type_id id;
  std::string_view short_name;
  std::string_view long_name;
  uint32_t oid;
  int16_t wire_length;
};

// PostgreSQL's pg_type rows for our types (src/include/catalog/pg_type.dat).
constexpr type_row types[] = {
    {type_id::unknown, "unknown", "unknown", 705, -2},
    {type_id::boolean, "bool", "boolean", 16, 1},
    {type_id::int16, "int2", "smallint", 21, 2},
    {type_id::int32, "int4", "integer", 23, 4},
    {type_id::int64, "int8", "bigint", 20, 8},
    {type_id::float32, "float4", "real", 700, 4},
    {type_id::float64, "float8", "double precision", 701, 8},
    {type_id::numeric, "numeric", "numeric", 1700, -1},
    {type_id::text, "text", "text", 25, -1},
    {type_id::bytea, "bytea", "bytea", 17, -1},
    {type_id::date, "date", "date", 1082, 4},
    {type_id::time, "time", "time without time zone", 1083, 8},
    {type_id::timestamp, "timestamp", "timestamp without time zone", 1114, 8},
    {type_id::timestamptz, "timestamptz", "timestamp with time zone", 1184, 8},
    {type_id::interval, "interval", "interval", 1186, 16},
    {type_id::jsonb, "jsonb", "jsonb", 3802, -1},
    {type_id::oid, "oid", "oid", 26, 4},
    {type_id::text_array, "_text", "text[]", 1009, -1},
};

const type_row& row_of(type_id t) {
  for (const auto& r : types)
    if (r.id == t) return r;
  return types[0];
}

}  // namespace

std::string type_name(const sql_type& t) {
  if (t.id == type_id::numeric && t.precision > 0)
    return fmt::format("numeric({},{})", t.precision, std::max<int>(0, t.scale));
  if (t.id == type_id::text && t.kind == text_kind::varchar)
    return t.precision > 0 ? fmt::format("character varying({})", t.precision)
                           : "character varying";
  if (t.id == type_id::text && t.kind == text_kind::bpchar)
    return t.precision > 0 ? fmt::format("character({})", t.precision) : "bpchar";
  return std::string(row_of(t.id).long_name);
}

std::string_view type_short_name(type_id t) {
  return row_of(t).short_name;
}

std::string_view type_short_name(const sql_type& t) {
  if (t.id == type_id::text && t.kind == text_kind::varchar) return "varchar";
  if (t.id == type_id::text && t.kind == text_kind::bpchar) return "bpchar";
  return row_of(t.id).short_name;
}

uint32_t type_oid(type_id t) {
  return row_of(t).oid;
}

uint32_t type_oid(const sql_type& t) {
  if (t.id == type_id::text && t.kind == text_kind::varchar) return 1043;
  if (t.id == type_id::text && t.kind == text_kind::bpchar) return 1042;
  return row_of(t.id).oid;
}

int32_t type_modifier(const sql_type& t) {
  if (t.id == type_id::numeric && t.precision > 0)
    return ((int32_t{t.precision} << 16) | std::max<int32_t>(t.scale, 0)) + 4;
  if (t.id == type_id::text && t.kind != text_kind::text && t.precision > 0)
    return t.precision + 4;  // VARHDRSZ, as PostgreSQL stores it
  return -1;
}

int16_t type_wire_length(type_id t) {
  return row_of(t).wire_length;
}

namespace {

struct input_fn {
  type_id type;
  std::string_view name;
  uint32_t oid;
};
constexpr input_fn input_fns[] = {
    {type_id::boolean, "boolin", 1242},
    {type_id::int16, "int2in", 38},
    {type_id::int32, "int4in", 42},
    {type_id::int64, "int8in", 460},
    {type_id::float32, "float4in", 200},
    {type_id::float64, "float8in", 214},
    {type_id::numeric, "numeric_in", 1701},
    {type_id::text, "textin", 46},
    {type_id::bytea, "byteain", 1244},
    {type_id::date, "date_in", 1084},
    {type_id::time, "time_in", 1143},
    {type_id::timestamp, "timestamp_in", 1312},
    {type_id::timestamptz, "timestamptz_in", 1150},
    {type_id::interval, "interval_in", 1160},
    {type_id::jsonb, "jsonb_in", 3806},
    {type_id::oid, "oidin", 1798},
    {type_id::text_array, "array_in", 750},
};

}  // namespace

uint32_t typinput_oid(type_id t) {
  for (const auto& f : input_fns)
    if (f.type == t) return f.oid;
  return 0;
}

std::optional<uint32_t> input_function_oid(std::string_view name) {
  if (name.starts_with("pg_catalog.")) name.remove_prefix(11);
  for (const auto& f : input_fns)
    if (f.name == name) return f.oid;
  return std::nullopt;
}

std::optional<sql_type> type_of_oid(uint32_t oid) {
  switch (oid) {
    case 1043: {  // varchar
      sql_type t(type_id::text);
      t.kind = text_kind::varchar;
      return t;
    }
    case 1042: {  // bpchar
      sql_type t(type_id::text);
      t.kind = text_kind::bpchar;
      return t;
    }
    case 19:  // name
    case 18:  // "char"
      return sql_type(type_id::text);
    case 114:  // json
      return sql_type(type_id::jsonb);
    case 2205:  // regclass
    case 2206:  // regtype
      return sql_type(type_id::oid);
    default:
      break;
  }
  for (const auto& r : types)
    if (r.oid == oid && r.id != type_id::unknown) return sql_type(r.id);
  return std::nullopt;
}

std::optional<sql_type> type_by_name(std::string_view n) {
  struct alias {
    std::string_view name;
    type_id id;
  };
  static constexpr alias aliases[] = {
      {"bool", type_id::boolean},
      {"boolean", type_id::boolean},
      {"int2", type_id::int16},
      {"smallint", type_id::int16},
      {"int", type_id::int32},
      {"int4", type_id::int32},
      {"integer", type_id::int32},
      {"int8", type_id::int64},
      {"bigint", type_id::int64},
      {"float4", type_id::float32},
      {"real", type_id::float32},
      {"float8", type_id::float64},
      {"float", type_id::float64},
      {"double precision", type_id::float64},
      {"double", type_id::float64},
      {"numeric", type_id::numeric},
      {"decimal", type_id::numeric},
      {"text", type_id::text},
      {"varchar", type_id::text},
      {"character varying", type_id::text},
      {"char", type_id::text},
      {"character", type_id::text},
      {"bpchar", type_id::text},
      {"name", type_id::text},
      {"string", type_id::text},
      {"bytea", type_id::bytea},
      {"date", type_id::date},
      {"time", type_id::time},
      {"time without time zone", type_id::time},
      {"timestamp", type_id::timestamp},
      {"timestamp without time zone", type_id::timestamp},
      {"timestamptz", type_id::timestamptz},
      {"timestamp with time zone", type_id::timestamptz},
      {"interval", type_id::interval},
      {"jsonb", type_id::jsonb},
      {"json", type_id::jsonb},
      {"oid", type_id::oid},
      {"regclass", type_id::oid},
      {"regtype", type_id::oid},
      {"regproc", type_id::oid},
      {"regnamespace", type_id::oid},
  };
  for (const auto& a : aliases)
    if (a.name == n) {
      sql_type t(a.id);
      if (n == "varchar" || n == "character varying") t.kind = text_kind::varchar;
      if (n == "char" || n == "character" || n == "bpchar") t.kind = text_kind::bpchar;
      return t;
    }
  return std::nullopt;
}

bool is_integer(type_id t) {
  return t == type_id::int16 || t == type_id::int32 || t == type_id::int64;
}

bool is_float(type_id t) {
  return t == type_id::float32 || t == type_id::float64;
}

bool is_numeric_family(type_id t) {
  return is_integer(t) || is_float(t) || t == type_id::numeric;
}

bool is_string_like(type_id t) {
  return t == type_id::text || t == type_id::unknown;
}

bool is_temporal(type_id t) {
  return t == type_id::date || t == type_id::time || t == type_id::timestamp ||
         t == type_id::timestamptz;
}

bool is_fixed_width(type_id t) {
  switch (t) {
    case type_id::boolean:
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz:
    case type_id::oid:
      return true;
    default:
      return false;
  }
}

}  // namespace runnel::sql
