#include "connect/mariadb/value_mapping.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "connect/convert/json_data.h"
#include "connect/jdbc/sql_value.h"
#include "connect/postgres/text_format.h"
#include "connect/postgres/value_mapping.h"

namespace runnel::connect::mariadb {

namespace {

namespace ft = field_type;
namespace text = postgres::text;
using postgres::named;

bool is(const schema_ptr& s, std::string_view n) {
  return s && s->name && *s->name == n;
}

bool is_unsigned(const jdbc::db_column& c) {
  return (c.flags & field_flag::unsigned_) != 0;
}

bool is_json(const jdbc::db_column& c) {
  return c.type == ft::json || c.format == "json";
}

bool is_text_type(std::uint32_t t) {
  switch (t) {
    case ft::varchar:
    case ft::var_string:
    case ft::string:
    case ft::tiny_blob:
    case ft::medium_blob:
    case ft::long_blob:
    case ft::blob:
      return true;
    default:
      return false;
  }
}

// DECIMAL(p,s): the protocol's length counts the digits, a point when
// s > 0 and a sign unless UNSIGNED.
int decimal_precision(const jdbc::db_column& c) {
  auto p = static_cast<int>(c.length) - (c.modifier > 0 ? 1 : 0) - (is_unsigned(c) ? 0 : 1);
  return std::max(p, 1);
}

error bad(const jdbc::db_column& c, std::string_view v, std::string_view what) {
  return make_error(errc::data, "mariadb: column " + c.name + ": '" + std::string(v.substr(0, 60)) +
                                    "' is not a valid " + std::string(what));
}

// TIME: "[-]H+:MM:SS[.ffffff]" (−838:59:59 to 838:59:59) → µs.
std::optional<std::int64_t> parse_time(std::string_view s) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto c1 = s.find(':');
  if (c1 == std::string_view::npos || s.size() < c1 + 6 || s[c1 + 3] != ':') {
    return std::nullopt;
  }
  auto h = text::parse_int<std::int64_t>(s.substr(0, c1));
  auto m = text::parse_int<std::int64_t>(s.substr(c1 + 1, 2));
  auto sec = text::parse_int<std::int64_t>(s.substr(c1 + 4, 2));
  if (!h || !m || !sec) return std::nullopt;
  std::int64_t frac = 0;
  auto rest = s.substr(c1 + 6);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() > 7) return std::nullopt;
    std::string digits(rest.substr(1));
    digits.resize(6, '0');
    auto f = text::parse_int<std::int64_t>(digits);
    if (!f) return std::nullopt;
    frac = *f;
  }
  auto us = ((*h * 60 + *m) * 60 + *sec) * 1'000'000 + frac;
  return neg ? -us : us;
}

// '0000-00-00', or a zero month or day ('2026-00-01'): MySQL's "zero"
// dates, which name no day.
bool zero_date(std::string_view s) {
  return s.size() < 10 || s.substr(5, 2) == "00" || s.substr(8, 2) == "00";
}

}  // namespace

schema_ptr column_schema(const jdbc::db_column& c, bool optional) {
  const bool u = is_unsigned(c);
  switch (c.type) {
    case ft::tiny:
      return schemas::of(schema_type::int16, optional);
    case ft::short_:
      return schemas::of(u ? schema_type::int32 : schema_type::int16, optional);
    case ft::int24:
      return schemas::of(schema_type::int32, optional);
    case ft::long_:
      return schemas::of(u ? schema_type::int64 : schema_type::int32, optional);
    case ft::longlong:
      if (u) {
        return named(schema_type::bytes, logical::decimal, optional,
                     {{"scale", "0"}, {"connect.decimal.precision", "20"}});
      }
      return schemas::of(schema_type::int64, optional);
    case ft::float_:
      return schemas::of(schema_type::float32, optional);
    case ft::double_:
      return schemas::of(schema_type::float64, optional);
    case ft::decimal:
    case ft::newdecimal:
      return named(schema_type::bytes, logical::decimal, optional,
                   {{"scale", std::to_string(std::max(c.modifier, 0))},
                    {"connect.decimal.precision", std::to_string(decimal_precision(c))}});
    case ft::year:
      return named(schema_type::int32, "io.debezium.time.Year", optional);
    case ft::date:
    case ft::newdate:
      return named(schema_type::int32, "io.debezium.time.Date", optional);
    case ft::time:
    case ft::time2:
      return named(schema_type::int64, "io.debezium.time.MicroTime", optional);
    case ft::datetime:
    case ft::datetime2:
      return c.modifier <= 3
                 ? named(schema_type::int64, "io.debezium.time.Timestamp", optional)
                 : named(schema_type::int64, "io.debezium.time.MicroTimestamp", optional);
    case ft::timestamp:
    case ft::timestamp2:
      return named(schema_type::string, "io.debezium.time.ZonedTimestamp", optional);
    case ft::bit:
      if (c.length <= 1) {
        return schemas::of(schema_type::boolean, optional);
      }
      return named(schema_type::bytes, "io.debezium.data.Bits", optional,
                   {{"length", std::to_string(c.length)}});
    case ft::geometry:
      return schemas::of(schema_type::bytes, optional);
    default:
      break;
  }
  if (is_json(c)) {
    return named(schema_type::string, "io.debezium.data.Json", optional);
  }
  if (is_text_type(c.type) && c.charset == binary_charset) {
    return schemas::of(schema_type::bytes, optional);
  }
  return schemas::of(schema_type::string, optional);
}

result<data> column_value(const jdbc::db_column& c, std::string_view v) {
  const bool u = is_unsigned(c);
  switch (c.type) {
    case ft::tiny:
    case ft::short_:
    case ft::int24:
    case ft::long_:
    case ft::year: {
      auto i = text::parse_int<std::int64_t>(v);
      if (!i) return bad(c, v, "integer");
      return data(*i);
    }
    case ft::longlong: {
      if (u) {
        auto b = decimal_from_string(v, 0);
        if (!b) return bad(c, v, "BIGINT UNSIGNED");
        return make_bytes(*b);
      }
      auto i = text::parse_int<std::int64_t>(v);
      if (!i) return bad(c, v, "BIGINT");
      return data(*i);
    }
    case ft::float_:
    case ft::double_: {
      double d = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
      if (ec != std::errc{} || p != v.data() + v.size() || !std::isfinite(d)) {
        return bad(c, v, "floating-point number");
      }
      return data(d);
    }
    case ft::decimal:
    case ft::newdecimal: {
      auto b = decimal_from_string(v, std::max(c.modifier, 0));
      if (!b) return bad(c, v, "DECIMAL");
      return make_bytes(*b);
    }
    case ft::date:
    case ft::newdate: {
      if (zero_date(v)) {
        return make_error(errc::data, "mariadb: column " + c.name + ": the zero date '" +
                                          std::string(v) + "' has no Connect form");
      }
      auto d = text::parse_date(v);
      if (!d) return bad(c, v, "DATE");
      return data(*d);
    }
    case ft::time:
    case ft::time2: {
      auto t = parse_time(v);
      if (!t) return bad(c, v, "TIME");
      return data(*t);
    }
    case ft::datetime:
    case ft::datetime2:
    case ft::timestamp:
    case ft::timestamp2: {
      if (zero_date(v)) {
        return make_error(errc::data, "mariadb: column " + c.name + ": the zero date '" +
                                          std::string(v) + "' has no Connect form");
      }
      auto us = text::parse_timestamp(v);
      if (!us) return bad(c, v, "DATETIME");
      if (c.type == ft::timestamp || c.type == ft::timestamp2) {
        return data(text::iso_utc(*us));
      }
      if (c.modifier <= 3) {
        auto ms = *us / 1000 - (*us % 1000 < 0 ? 1 : 0);
        return data(ms);
      }
      return data(*us);
    }
    case ft::bit: {
      if (c.length <= 1) {
        return data(!v.empty() && v.back() != 0);
      }
      std::string le(v.rbegin(), v.rend());  // Debezium's Bits are little-endian
      return make_bytes(le);
    }
    case ft::geometry:
      return make_bytes(v);
    default:
      break;
  }
  if (!is_json(c) && is_text_type(c.type) && c.charset == binary_charset) {
    return make_bytes(v);
  }
  return data(std::string(v));
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char ch : name) {
    if (ch == '`') out += '`';
    out += ch;
  }
  return out + "`";
}

std::string quote_string(std::string_view s) {
  std::string out = "'";
  out.reserve(s.size() + 2);
  for (char ch : s) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\032':  // Ctrl-Z: end of file to some Windows clients
        out += "\\Z";
        break;
      default:
        out += ch;
    }
  }
  return out + "'";
}

std::string sql_type(const schema_ptr& s, bool key) {
  if (is(s, logical::decimal)) {
    auto scale = s->parameter("scale").value_or("0");
    return "DECIMAL(65," + scale + ")";
  }
  if (is(s, "io.debezium.data.VariableScaleDecimal")) return "DECIMAL(65,30)";
  if (is(s, logical::date) || is(s, "io.debezium.time.Date")) return "DATE";
  if (is(s, logical::time) || is(s, "io.debezium.time.Time")) return "TIME(3)";
  if (is(s, "io.debezium.time.MicroTime")) return "TIME(6)";
  if (is(s, logical::timestamp) || is(s, "io.debezium.time.Timestamp")) return "DATETIME(3)";
  if (is(s, "io.debezium.time.MicroTimestamp") || is(s, "io.debezium.time.NanoTimestamp") ||
      is(s, "io.debezium.time.ZonedTimestamp")) {
    return "DATETIME(6)";
  }
  if (is(s, "io.debezium.data.Json")) return key ? "VARCHAR(255)" : "JSON";
  if (is(s, "io.debezium.data.Uuid")) return "CHAR(36)";
  switch (s->type) {
    case schema_type::int8:
      return "TINYINT";
    case schema_type::int16:
      return "SMALLINT";
    case schema_type::int32:
      return "INT";
    case schema_type::int64:
      return "BIGINT";
    case schema_type::float32:
      return "FLOAT";
    case schema_type::float64:
      return "DOUBLE";
    case schema_type::boolean:
      return "BOOLEAN";
    case schema_type::string:
      return key ? "VARCHAR(255)" : "LONGTEXT";
    case schema_type::bytes:
      return key ? "VARBINARY(255)" : "LONGBLOB";
    case schema_type::array:
    case schema_type::map:
    case schema_type::struct_:
      return "JSON";
  }
  return "LONGTEXT";
}

namespace {

error not_fitting(const schema_ptr& s, const data& v) {
  return make_error(errc::data, "mariadb: value " + v.dump().substr(0, 80) + " does not fit " +
                                    (s->name ? *s->name : std::string(type_name(s->type))));
}

std::string hex_literal(std::string_view b) {
  static const char* hex = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char ch : b) {
    out += hex[ch >> 4];
    out += hex[ch & 15];
  }
  return out + "'";
}

// ISO-8601 with a zone ("…T08:00:00.5Z", "…+02:00") → a UTC DATETIME literal.
result<std::string> zoned_literal(const schema_ptr& s, const data& v) {
  if (!v.is_string()) return not_fitting(s, v);
  auto t = v.get<std::string>();
  if (t.size() < 20) return not_fitting(s, v);
  t[10] = ' ';
  if (t.back() == 'Z') {
    t.pop_back();
    return quote_string(t);
  }
  auto zone = text::split_zone(t);
  if (!zone) return not_fitting(s, v);
  return "CONVERT_TZ(" + quote_string(zone->first) + ", " + quote_string(zone->second) +
         ", '+00:00')";
}

}  // namespace

result<std::string> sql_literal(const schema_ptr& s, const data& v) {
  if (v.is_null()) {
    return std::string("NULL");
  }
  if (!s) {
    if (v.is_string()) return quote_string(v.get<std::string>());
    if (v.is_boolean()) return std::string(v.get<bool>() ? "TRUE" : "FALSE");
    if (v.is_number()) return v.dump();
    if (v.is_binary()) return hex_literal(bytes_of(v));
    return quote_string(v.dump());
  }
  if (is(s, logical::decimal) || is(s, "io.debezium.data.VariableScaleDecimal")) {
    // The text form the PostgreSQL dialect writes is an exact numeric
    // literal here too.
    CONNECT_TRY(auto t, jdbc::sql_text(s, v));
    return t ? *t : std::string("NULL");
  }
  if (is(s, "io.debezium.time.ZonedTimestamp")) {
    return zoned_literal(s, v);
  }
  const bool temporal =
      is(s, logical::date) || is(s, "io.debezium.time.Date") || is(s, logical::time) ||
      is(s, "io.debezium.time.Time") || is(s, "io.debezium.time.MicroTime") ||
      is(s, logical::timestamp) || is(s, "io.debezium.time.Timestamp") ||
      is(s, "io.debezium.time.MicroTimestamp") || is(s, "io.debezium.time.NanoTimestamp");
  if (temporal) {
    CONNECT_TRY(auto t, jdbc::sql_text(s, v));
    return t ? quote_string(*t) : std::string("NULL");
  }
  switch (s->type) {
    case schema_type::boolean:
      if (!v.is_boolean()) return not_fitting(s, v);
      return std::string(v.get<bool>() ? "TRUE" : "FALSE");
    case schema_type::string:
      if (!v.is_string()) return not_fitting(s, v);
      return quote_string(v.get<std::string>());
    case schema_type::bytes:
      if (!v.is_binary()) return not_fitting(s, v);
      return hex_literal(bytes_of(v));
    case schema_type::array:
    case schema_type::map:
    case schema_type::struct_:
      return quote_string(v.dump());
    default:
      if (!v.is_number()) return not_fitting(s, v);
      return v.dump();
  }
}

}  // namespace runnel::connect::mariadb
