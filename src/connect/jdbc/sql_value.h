// Kafka Connect values → PostgreSQL, for the JDBC sink: the column type a
// field's schema gets when the sink creates or evolves a table, and the
// text form PostgreSQL parses as a value of that type (every value is sent
// as a text parameter; the server casts it to the column's type).
//
//   int8/int16 smallint, int32 integer, int64 bigint, float32 real,
//   float64 double precision, boolean, string text, bytes bytea,
//   Decimal and io.debezium.data.VariableScaleDecimal numeric (no loss),
//   Date / io.debezium.time.Date date, Time / MicroTime time,
//   Timestamp / io.debezium.time.(Micro|Nano)Timestamp timestamp,
//   io.debezium.time.ZonedTimestamp timestamptz, io.debezium.data.Json
//   jsonb, io.debezium.data.Uuid uuid, arrays of primitives as arrays,
//   structs, maps and other arrays jsonb.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connect/api/data.h"
#include "connect/api/error.h"

namespace runnel::connect::jdbc {

// The column type of a field (auto.create, auto.evolve).
std::string sql_type(const schema_ptr& s);

// The text of a value (nullopt: NULL). `s` may be null (schemaless):
// strings as they are, other JSON values as JSON text. errc::data when the
// value does not fit its schema.
result<std::optional<std::string>> sql_text(const schema_ptr& s, const data& v);

// Text forms both dialects parse: YYYY-MM-DD, HH:MM:SS.ffffff (µs of the
// day) and the two joined by a space (µs since the epoch).
std::string date_text(std::int64_t days);
std::string time_text(std::int64_t micros_of_day);
std::string timestamp_text(std::int64_t micros);

}  // namespace runnel::connect::jdbc
