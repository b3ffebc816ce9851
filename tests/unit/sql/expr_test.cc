// Scalar expressions, bound and evaluated: each case's expected text and
// type are what PostgreSQL 15 prints for `SELECT <expr>, pg_typeof(<expr>)`
// (with timezone UTC), so the functions, casts and operators are checked
// against the real thing rather than against our reading of its manual.
#include <gtest/gtest.h>

#include "sql/parse/statement.h"
#include "sql/plan/binder.h"
#include "sql/types/text_format.h"

namespace runnel::sql {
namespace {

struct expr_case {
  const char* sql;
  const char* text;  // "NULL" for a NULL result
  const char* type;  // pg_typeof
};

// Generated from PostgreSQL 15.18: psql -At -P null=NULL -c "SELECT e, pg_typeof(e)".
const expr_case cases[] = {
    {"1 + 2 * 3", "7", "integer"},
    {"7 / 2", "3", "integer"},
    {"-7 / 2", "-3", "integer"},
    {"7 % 3", "1", "integer"},
    {"-7 % 3", "-1", "integer"},
    {"7.0 / 2", "3.5000000000000000", "numeric"},
    {"1 / 3::numeric", "0.33333333333333333333", "numeric"},
    {"2.5::int", "3", "integer"},
    {"3.5::int", "4", "integer"},
    {"-2.5::int", "-3", "integer"},
    {"'12'::int + 1", "13", "integer"},
    {"10::bigint * 3", "30", "bigint"},
    {"1.5::float8 * 2", "3", "double precision"},
    {"0.1::float8 + 0.2::float8", "0.30000000000000004", "double precision"},
    {"1e20::float8", "1e+20", "double precision"},
    {"1.0::real / 3", "0.3333333333333333", "double precision"},
    {"2 ^ 10", "1024", "double precision"},
    {"abs(-5)", "5", "integer"},
    {"round(2.567, 2)", "2.57", "numeric"},
    {"round(2.5)", "3", "numeric"},
    {"ceil(2.1)", "3", "numeric"},
    {"floor(-2.1)", "-3", "numeric"},
    {"sqrt(16.0::float8)", "4", "double precision"},
    {"mod(17, 5)", "2", "integer"},
    {"greatest(1, 5, 3)", "5", "integer"},
    {"least(2, 1.5)", "1.5", "numeric"},
    {"power(2, 3)", "8", "double precision"},
    {"'abc' || 'def'", "abcdef", "text"},
    {"'abc' || 1", "abc1", "text"},
    {"lower('HeLLo')", "hello", "text"},
    {"upper('hello')", "HELLO", "text"},
    {"length('hello')", "5", "integer"},
    {"char_length('héllo')", "5", "integer"},
    {"octet_length('héllo')", "6", "integer"},
    {"substring('hello world' from 7 for 5)", "world", "text"},
    {"substr('hello', 2, 3)", "ell", "text"},
    {"position('lo' in 'hello')", "4", "integer"},
    {"trim('  x  ')", "x", "text"},
    {"ltrim('xxabc', 'x')", "abc", "text"},
    {"replace('a-b-c', '-', '+')", "a+b+c", "text"},
    {"split_part('a,b,c', ',', 2)", "b", "text"},
    {"left('hello', 2)", "he", "text"},
    {"right('hello', 2)", "lo", "text"},
    {"lpad('5', 3, '0')", "005", "text"},
    {"concat('a', NULL, 'b', 1)", "ab1", "text"},
    {"concat_ws('-', 'a', NULL, 'b')", "a-b", "text"},
    {"'hello' LIKE 'h%o'", "t", "boolean"},
    {"'hello' LIKE 'H%'", "f", "boolean"},
    {"'hello' ILIKE 'H%'", "t", "boolean"},
    {"'hello' NOT LIKE '%x%'", "t", "boolean"},
    {"starts_with('hello', 'he')", "t", "boolean"},
    {"reverse('abc')", "cba", "text"},
    {"md5('abc')", "900150983cd24fb0d6963f7d28e17f72", "text"},
    {"initcap('hello world')", "Hello World", "text"},
    {"repeat('ab', 3)", "ababab", "text"},
    {"strpos('hello', 'l')", "3", "integer"},
    {"NULL::int IS NULL", "t", "boolean"},
    {"1 IS NOT NULL", "t", "boolean"},
    {"NULL AND false", "f", "boolean"},
    {"NULL OR true", "t", "boolean"},
    {"NULL AND true", "NULL", "boolean"},
    {"NOT (1 = 1)", "f", "boolean"},
    {"1 IN (1, 2, 3)", "t", "boolean"},
    {"4 NOT IN (1, 2, NULL)", "NULL", "boolean"},
    {"1 IS DISTINCT FROM NULL", "t", "boolean"},
    {"NULL IS NOT DISTINCT FROM NULL", "t", "boolean"},
    {"coalesce(NULL, 2, 3)", "2", "integer"},
    {"nullif(1, 1)", "NULL", "integer"},
    {"nullif(1, 2)", "1", "integer"},
    {"CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END", "b", "text"},
    {"CASE 3 WHEN 1 THEN 'one' WHEN 3 THEN 'three' END", "three", "text"},
    {"CASE WHEN false THEN 1 END", "NULL", "integer"},
    {"1 BETWEEN 0 AND 2", "t", "boolean"},
    {"'b' BETWEEN 'a' AND 'c'", "t", "boolean"},
    {"'2024-03-15'::date + 1", "2024-03-16", "date"},
    {"'2024-03-15'::date - '2024-03-01'::date", "14", "integer"},
    {"'2024-03-15 10:30:00'::timestamp + INTERVAL '1 hour'", "2024-03-15 11:30:00",
     "timestamp without time zone"},
    {"'2024-03-15 10:30:00'::timestamp - INTERVAL '5' SECOND", "2024-03-15 10:29:55",
     "timestamp without time zone"},
    {"'2024-03-15 10:30:00'::timestamp - '2024-03-14 08:00:00'::timestamp", "1 day 02:30:00",
     "interval"},
    {"date_trunc('hour', '2024-03-15 10:30:45'::timestamp)", "2024-03-15 10:00:00",
     "timestamp without time zone"},
    {"date_trunc('month', '2024-03-15 10:30:45'::timestamp)", "2024-03-01 00:00:00",
     "timestamp without time zone"},
    {"date_trunc('week', '2024-03-15 10:30:45'::timestamp)", "2024-03-11 00:00:00",
     "timestamp without time zone"},
    {"extract(year from '2024-03-15'::date)", "2024", "numeric"},
    {"extract(epoch from '2024-03-15 00:00:01'::timestamp)", "1710460801.000000", "numeric"},
    {"extract(dow from '2024-03-15'::date)", "5", "numeric"},
    {"extract(hour from '2024-03-15 10:30:45'::timestamp)", "10", "numeric"},
    {"date_part('minute', '2024-03-15 10:30:45'::timestamp)", "30", "double precision"},
    {"INTERVAL '1 day 2 hours'", "1 day 02:00:00", "interval"},
    {"INTERVAL '90 minutes'", "01:30:00", "interval"},
    {"INTERVAL '1' DAY * 3", "3 days", "interval"},
    {"INTERVAL '1 hour' / 2", "00:30:00", "interval"},
    {"'2024-03-15 10:30:00+02'::timestamptz", "2024-03-15 08:30:00+00", "timestamp with time zone"},
    {"'2024-01-31'::date + INTERVAL '1 month'", "2024-02-29 00:00:00",
     "timestamp without time zone"},
    {"to_timestamp(0)", "1970-01-01 00:00:00+00", "timestamp with time zone"},
    {"'10:30:00'::time + INTERVAL '45 minutes'", "11:15:00", "time without time zone"},
    {"'{\"a\": {\"b\": [1, 2, 3]}}'::jsonb -> 'a'", "{\"b\": [1, 2, 3]}", "jsonb"},
    {"'{\"a\": {\"b\": [1, 2, 3]}}'::jsonb -> 'a' -> 'b' ->> 1", "2", "text"},
    {"'{\"a\": 1, \"c\": \"x\"}'::jsonb ->> 'c'", "x", "text"},
    {"'[10, 20]'::jsonb -> 5", "NULL", "jsonb"},
    {"'{\"b\": 2, \"a\": 1}'::jsonb", "{\"a\": 1, \"b\": 2}", "jsonb"},
    {"'{\"a\": 1}'::jsonb ? 'a'", "t", "boolean"},
    {"jsonb_typeof('[1]'::jsonb)", "array", "text"},
    {"'{\"a\": \"2\"}'::jsonb ->> 'a' = '2'", "t", "boolean"},
    {"CAST('3.14159' AS numeric(5,2))", "3.14", "numeric"},
    {"CAST(42 AS text)", "42", "text"},
    {"CAST('true' AS boolean)", "t", "boolean"},
    {"CAST(1.9 AS bigint)", "2", "bigint"},
    {"CAST('2024-03-15' AS timestamp)", "2024-03-15 00:00:00", "timestamp without time zone"},
    {"'\\x0a0b'::bytea", "\\x0a0b", "bytea"},
    {"true::int", "1", "integer"},
    {"3 > 2 AND 'a' < 'b'", "t", "boolean"},
    {"-2147483648", "-2147483648", "integer"},
    {"- -7", "7", "integer"},
    {"-(7)", "-7", "integer"},
    {"-0", "0", "integer"},
    {"2.0 ^ 3::float8", "8", "double precision"},
    {"'[1, \"a\"]'::jsonb ? 'a'", "t", "boolean"},
    {"1.5::real * 2::real", "3", "real"},
    {"true::text", "true", "text"},
    {"CAST(1 < 0 AS text)", "false", "text"},
    {"(NULL AND true)::text", "NULL", "text"},
    {"(2 IN (1, NULL))::text", "NULL", "text"},
    {"pg_typeof(1::smallint)::text", "smallint", "text"},
    {"pg_typeof(1.5::numeric(5,2))::text", "numeric", "text"},
    {"pg_typeof(NULL::date)::text", "date", "text"},
    {"pg_typeof('a'::varchar || 'b')::text", "text", "text"},
};

// Binds `sql` as an expression over no columns and evaluates it.
result<std::pair<std::string, std::string>> eval_text(std::string_view sql) {
  BOOST_OUTCOME_TRY(auto node, parse_expression(sql));
  bind_options opt;
  BOOST_OUTCOME_TRY(auto e, bind_expression(node, {}, opt));
  arena a;
  eval_context c;
  c.strings = &a;
  datum d = e->eval(nullptr, c);
  if (c.error) return *c.error;
  std::string text = d.is_null() ? "NULL" : to_text(e->type, d);
  // pg_typeof prints no type modifiers: numeric(5,2) is "numeric".
  return std::pair{text, type_name(sql_type(e->type.id))};
}

TEST(Expr, EvaluatesAsPostgres) {
  for (const auto& k : cases) {
    auto r = eval_text(k.sql);
    EXPECT_TRUE(r) << k.sql << ": " << (r ? "" : r.error().message);
    if (!r) continue;
    EXPECT_EQ(r.value().first, k.text) << k.sql;
    EXPECT_EQ(r.value().second, k.type) << k.sql;
  }
}

struct error_case {
  const char* sql;
  errc code;
  const char* message;  // PostgreSQL's
  int position;         // byte offset in `sql` (PostgreSQL's cursor), -1: none
};

const error_case error_cases[] = {
    {"1 / 0", errc::division_by_zero, "division by zero", -1},
    {"'12x'::int", errc::invalid_text_representation,
     "invalid input syntax for type integer: \"12x\"", 0},
    {"nosuch(1)", errc::undefined_function, "function nosuch(integer) does not exist", 0},
    {"lower('a') FILTER (WHERE true)", errc::wrong_object_type,
     "FILTER specified, but lower is not an aggregate function", 0},
    {"2147483647 + 1", errc::numeric_out_of_range, "integer out of range", -1},
    {"'abc' + 1", errc::invalid_text_representation,
     "invalid input syntax for type integer: \"abc\"", 0},
    {"1 = 'x'::text", errc::undefined_function, "operator does not exist: integer = text", 2},
    {"'yesterday-ish'::timestamp", errc::invalid_datetime_format,
     "invalid input syntax for type timestamp: \"yesterday-ish\"", 0},
    {"'x'::timestamptz", errc::invalid_datetime_format,
     "invalid input syntax for type timestamp with time zone: \"x\"", 0},
    {"'2024-02-30'::date", errc::invalid_datetime,
     "date/time field value out of range: \"2024-02-30\"", 0},
    {"'2024-03-15 25:00'::timestamp", errc::invalid_datetime,
     "date/time field value out of range: \"2024-03-15 25:00\"", 0},
    {"'25:00:00'::time", errc::invalid_datetime, "date/time field value out of range: \"25:00:00\"",
     0},
    {"'12:3x'::time", errc::invalid_datetime_format,
     "invalid input syntax for type time: \"12:3x\"", 0},
    {"'x'::interval", errc::invalid_datetime_format,
     "invalid input syntax for type interval: \"x\"", 0},
};

TEST(Expr, ErrorsAsPostgres) {
  for (const auto& k : error_cases) {
    auto r = eval_text(k.sql);
    ASSERT_FALSE(r) << k.sql << " gave " << r.value().first;
    EXPECT_EQ(r.error().code, k.code) << k.sql;
    EXPECT_EQ(r.error().message, k.message) << k.sql;
    if (k.position >= 0) {
      EXPECT_EQ(r.error().position, k.position) << k.sql;
    }
  }
}

}  // namespace
}  // namespace runnel::sql
