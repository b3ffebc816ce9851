// PostgreSQL column values → Kafka Connect data, as Debezium's PostgreSQL
// connector maps them with its default settings (decimal.handling.mode =
// precise, time.precision.mode = adaptive, interval.handling.mode =
// numeric, binary.handling.mode = bytes), so that a consumer written for
// Debezium's events reads ours unchanged.
//
// pgoutput sends values in PostgreSQL's text output format; the mapping
// parses that text by the column's type OID and type modifier:
//
//   bool                     boolean
//   int2 / int4 / int8, oid  int16 / int32 / int64 / int64
//   float4 / float8          float32 / float64
//   numeric(p,s)             Decimal (bytes: the unscaled value, big-endian
//                            two's complement; parameter scale) — no loss
//   numeric                  io.debezium.data.VariableScaleDecimal
//                            (struct {scale int32, value bytes}, version 1)
//   money                    Decimal, scale 2 (money.fraction.digits), from
//                            lc_monetary's text with '.' as decimal point
//   text, varchar, bpchar,   string
//   name, and unknown types
//   bytea                    bytes
//   json, jsonb              string, io.debezium.data.Json
//   uuid                     string, io.debezium.data.Uuid
//   date                     int32 days, io.debezium.time.Date
//   time(0-3) / time(4-6)    int32 ms io.debezium.time.Time /
//                            int64 µs io.debezium.time.MicroTime
//   timestamp(0-3) / (4-6)   int64 ms io.debezium.time.Timestamp /
//                            int64 µs io.debezium.time.MicroTimestamp
//   timestamptz              string, io.debezium.time.ZonedTimestamp (UTC,
//                            ISO-8601)
//   timetz                   string, io.debezium.time.ZonedTime
//   interval                 int64 µs, io.debezium.time.MicroDuration
//                            (a month counted as 365.25/12 days)
//   one-dimensional arrays   array of the element's mapping
//
// NaN and ±Infinity of numeric have no Decimal form: they become null (the
// column is optional) and the caller logs it. A value that does not parse
// as its type is an errc::data error naming the column: never a silent
// null.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"
#include "connect/postgres/pgoutput.h"

namespace runnel::connect::postgres {

// Debezium's placeholder for an unchanged TOASTed value it did not receive
// (unavailable.value.placeholder).
inline constexpr std::string_view unavailable_value = "__debezium_unavailable_value";

// A Debezium logical type's schema (io.debezium.time.Date, …): its name,
// version 1 and parameters; shared with the MariaDB value mapping.
schema_ptr named(schema_type t, std::string_view name, bool optional,
                 std::vector<std::pair<std::string, std::string>> params = {});

// The Connect schema of a column (optional unless it is part of the key).
schema_ptr column_schema(const column_def& c, bool optional);

// The Connect value of one column value given in PostgreSQL's text format.
result<data> column_value(const column_def& c, std::string_view text);

// The value of an unchanged TOASTed column: the placeholder in the column's
// own type where one exists (strings, bytes, arrays of them), else null.
data unavailable_placeholder(const column_def& c);

}  // namespace runnel::connect::postgres
