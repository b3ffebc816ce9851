// MariaDB/MySQL values ↔ Kafka Connect data, both ways.
//
// Read (the JDBC source): a result column as Connector/C describes it (the
// protocol's field type, flags, character set, decimals, length and the
// extended "json" format) → its Connect schema, and its text value → the
// Connect value, as Debezium's MySQL connector maps them with its default
// settings except where that would lose data:
//
//   TINYINT, SMALLINT            int16 (SMALLINT UNSIGNED: int32)
//   MEDIUMINT, INT               int32 (INT UNSIGNED: int64)
//   BIGINT                       int64
//   BIGINT UNSIGNED              Decimal scale 0 (Debezium's "precise"
//                                mode: 2^64-1 does not fit an int64)
//   FLOAT / DOUBLE               float32 / float64
//   DECIMAL(p,s)                 Decimal (unscaled big-endian two's
//                                complement bytes, parameter scale) — exact
//   YEAR                         int32, io.debezium.time.Year
//   DATE                         int32 days, io.debezium.time.Date
//   TIME(0-6)                    int64 µs, io.debezium.time.MicroTime
//   DATETIME(0-3) / (4-6)        int64 ms io.debezium.time.Timestamp /
//                                int64 µs io.debezium.time.MicroTimestamp
//                                (the wall-clock value read as UTC)
//   TIMESTAMP(0-6)               string, io.debezium.time.ZonedTimestamp
//                                (UTC, ISO-8601; the session is in UTC)
//   BIT(1) / BIT(n)              boolean / bytes io.debezium.data.Bits
//                                (parameter length; little-endian, as
//                                Debezium writes it)
//   JSON                         string, io.debezium.data.Json (when the
//                                server sends the extended type; else a
//                                plain string with the same text)
//   CHAR, VARCHAR, TEXT, ENUM,   string
//   SET
//   BINARY, VARBINARY, BLOB,     bytes
//   GEOMETRY
//
// A zero date ('0000-00-00') has no Connect form: an errc::data error
// naming the column (the connector's session runs with NO_ZERO_DATE, but
// old rows may hold one).
//
// Written (the JDBC sink): a field's schema → the column type of
// auto.create / auto.evolve, and a Connect value → an SQL literal of that
// type (strings escaped for the session's sql_mode, bytes as X'…',
// decimals as exact numeric literals).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "connect/api/data.h"
#include "connect/api/error.h"
#include "connect/jdbc/dialect.h"

namespace runnel::connect::mariadb {

// The protocol's field types and flags (the values of Connector/C's
// enum_field_types and *_FLAG, fixed by the wire protocol).
namespace field_type {
inline constexpr std::uint32_t decimal = 0, tiny = 1, short_ = 2, long_ = 3, float_ = 4,
                               double_ = 5, null = 6, timestamp = 7, longlong = 8, int24 = 9,
                               date = 10, time = 11, datetime = 12, year = 13, newdate = 14,
                               varchar = 15, bit = 16, timestamp2 = 17, datetime2 = 18, time2 = 19,
                               json = 245, newdecimal = 246, enum_ = 247, set = 248,
                               tiny_blob = 249, medium_blob = 250, long_blob = 251, blob = 252,
                               var_string = 253, string = 254, geometry = 255;
}  // namespace field_type
namespace field_flag {
inline constexpr std::uint32_t not_null = 1, primary_key = 2, unsigned_ = 32, binary = 128;
}  // namespace field_flag
inline constexpr std::uint32_t binary_charset = 63;

schema_ptr column_schema(const jdbc::db_column& c, bool optional);
result<data> column_value(const jdbc::db_column& c, std::string_view text);

// `name` between backticks (a backtick doubled).
std::string quote_identifier(std::string_view name);
// `s` between single quotes, escaped for an sql_mode without
// NO_BACKSLASH_ESCAPES (the connection's).
std::string quote_string(std::string_view s);

// The column type of a field; `key`: part of the primary key (TEXT and
// BLOB cannot be keys without a length: VARCHAR(255) / VARBINARY(255)).
std::string sql_type(const schema_ptr& s, bool key);
// A value as an SQL literal (NULL for null). `s` may be null
// (schemaless): strings quoted, numbers as they are, the rest as JSON text.
result<std::string> sql_literal(const schema_ptr& s, const data& v);

}  // namespace runnel::connect::mariadb
