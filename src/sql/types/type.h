// sql_type: the SQL types runnel SQL computes with, with PostgreSQL's names,
// OIDs and wire sizes, so that psql and every driver see familiar types.
//
// A value's type lives in its column's schema, never in the value itself
// (types/datum.h): the binder decides every type once per query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::sql {

enum class type_id : uint8_t {
  unknown,  // an untyped literal ('abc', NULL) before binding decides its type
  boolean,
  int16,
  int32,
  int64,
  float32,
  float64,
  numeric,  // exact decimal, up to 38 significant digits (types/decimal.h)
  text,     // also varchar(n) and char(n): sql_type::text_kind says which
  bytea,
  date,
  time,
  timestamp,
  timestamptz,
  interval,
  jsonb,
  oid,        // pg_catalog object ids (uint32)
  text_array  // text[]: pg_catalog columns and a few functions only
};

// Which of PostgreSQL's string types a `text` is. They hold the same
// values and compute alike (a value is text to every function); what
// differs is the name and OID clients see, the length a cast keeps
// (varchar(n), char(n)), and char(n)'s padding: its values are kept without
// trailing spaces (PostgreSQL ignores them in comparisons and drops them on
// the way to text) and padded to n only when written out (text_format.h).
enum class text_kind : uint8_t { text, varchar, bpchar };

struct sql_type {
  type_id id = type_id::unknown;
  // numeric(p, s); varchar(n) and char(n): precision n. -1 when
  // unconstrained.
  int16_t precision = -1;
  int16_t scale = -1;
  text_kind kind = text_kind::text;  // id == text only

  sql_type() = default;
  constexpr sql_type(type_id i) : id(i) {}  // NOLINT: implicit on purpose
  constexpr sql_type(type_id i, int16_t p, int16_t s) : id(i), precision(p), scale(s) {}

  friend bool operator==(const sql_type& a, const sql_type& b) { return a.id == b.id; }
  friend bool operator==(const sql_type& a, type_id b) { return a.id == b; }
};

// PostgreSQL's name of the type, as format_type() prints it: "integer",
// "timestamp with time zone", "numeric(10,2)", ...
std::string type_name(const sql_type& t);
// The short name (int4, timestamptz, ...), as pg_type.typname.
std::string_view type_short_name(type_id t);
std::string_view type_short_name(const sql_type& t);  // varchar, bpchar too
// The PostgreSQL type OID (pg_type.oid) and the wire length (-1: variable).
uint32_t type_oid(type_id t);
uint32_t type_oid(const sql_type& t);  // varchar 1043, bpchar 1042 too
// pg_attribute.atttypmod: numeric(p,s) and varchar(n)/char(n) as
// PostgreSQL encodes them, -1 for the rest.
int32_t type_modifier(const sql_type& t);
// pg_type.typinput: the oid of the type's input function (array_in, 750,
// for text[]), and the oid of an input function by name ('int4in'), as
// PostgreSQL 15 numbers them.
uint32_t typinput_oid(type_id t);
std::optional<uint32_t> input_function_oid(std::string_view name);
int16_t type_wire_length(type_id t);
// The type with this OID, if it is one of ours.
std::optional<sql_type> type_of_oid(uint32_t oid);
// A type by name as written in SQL (int, bigint, varchar, double precision,
// timestamptz, ...), lower case, without modifiers.
std::optional<sql_type> type_by_name(std::string_view name);

bool is_integer(type_id t);
bool is_numeric_family(type_id t);  // integers, floats, numeric
bool is_float(type_id t);
bool is_string_like(type_id t);  // text (and unknown literals)
bool is_temporal(type_id t);     // date, time, timestamp, timestamptz

// Values of these types are compared by bytes after key encoding; others
// (floats) by value. Used by the planner to pick hash or ordered state.
bool is_fixed_width(type_id t);

}  // namespace runnel::sql
