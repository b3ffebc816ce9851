#include "connect/postgres/value_mapping.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "connect/convert/json_data.h"
#include "connect/postgres/text_format.h"

namespace runnel::connect::postgres {

namespace {

// pg_type OIDs (src/include/catalog/pg_type.dat); stable across versions.
namespace oid {
constexpr std::uint32_t bool_ = 16, bytea = 17, name = 19, int8 = 20, int2 = 21, int4 = 23,
                        text = 25, oid_ = 26, json = 114, float4 = 700, float8 = 701, bpchar = 1042,
                        varchar = 1043, date = 1082, time = 1083, timestamp = 1114,
                        timestamptz = 1184, interval = 1186, timetz = 1266, numeric = 1700,
                        money = 790, uuid = 2950, jsonb = 3802;
}  // namespace oid

// Array type → element type, for the element types mapped above.
std::uint32_t element_of(std::uint32_t array_oid) {
  switch (array_oid) {
    case 1000:
      return oid::bool_;
    case 1001:
      return oid::bytea;
    case 1003:
      return oid::name;
    case 1005:
      return oid::int2;
    case 1007:
      return oid::int4;
    case 1009:
      return oid::text;
    case 1014:
      return oid::bpchar;
    case 1015:
      return oid::varchar;
    case 1016:
      return oid::int8;
    case 1021:
      return oid::float4;
    case 1022:
      return oid::float8;
    case 1028:
      return oid::oid_;
    case 1115:
      return oid::timestamp;
    case 1182:
      return oid::date;
    case 1183:
      return oid::time;
    case 1185:
      return oid::timestamptz;
    case 1187:
      return oid::interval;
    case 1231:
      return oid::numeric;
    case 791:
      return oid::money;
    case 1270:
      return oid::timetz;
    case 199:
      return oid::json;
    case 2951:
      return oid::uuid;
    case 3807:
      return oid::jsonb;
    default:
      return 0;
  }
}

}  // namespace

schema_ptr named(schema_type t, std::string_view name, bool optional,
                 std::vector<std::pair<std::string, std::string>> params) {
  schema s;
  s.type = t;
  s.optional = optional;
  s.name = std::string(name);
  s.version = 1;
  s.parameters = std::move(params);
  return std::make_shared<const schema>(std::move(s));
}

namespace {

// (precision, scale) of numeric(p,s); nullopt for a bare numeric.
std::optional<std::pair<int, int>> numeric_precision(std::int32_t typmod) {
  if (typmod < 4) {
    return std::nullopt;
  }
  auto v = typmod - 4;
  return std::pair{(v >> 16) & 0xffff, v & 0xffff};
}

// Fractional-second digits of time/timestamp(p); a bare type has 6.
int time_precision(std::int32_t typmod) {
  return typmod < 0 ? 6 : typmod;
}

error bad(const column_def& c, std::string_view text, std::string_view what) {
  auto shown = std::string(text.substr(0, 64)) + (text.size() > 64 ? "…" : "");
  return make_error(errc::data, "postgres: column " + c.name + ": '" + shown + "' is not a valid " +
                                    std::string(what));
}

column_def element_column(const column_def& c, std::uint32_t element) {
  column_def e = c;
  e.type_oid = element;
  return e;
}

}  // namespace

schema_ptr column_schema(const column_def& c, bool optional) {
  switch (c.type_oid) {
    case oid::bool_:
      return schemas::of(schema_type::boolean, optional);
    case oid::int2:
      return schemas::of(schema_type::int16, optional);
    case oid::int4:
      return schemas::of(schema_type::int32, optional);
    case oid::int8:
    case oid::oid_:
      return schemas::of(schema_type::int64, optional);
    case oid::float4:
      return schemas::of(schema_type::float32, optional);
    case oid::float8:
      return schemas::of(schema_type::float64, optional);
    case oid::bytea:
      return schemas::of(schema_type::bytes, optional);
    case oid::json:
    case oid::jsonb:
      return named(schema_type::string, "io.debezium.data.Json", optional);
    case oid::uuid:
      return named(schema_type::string, "io.debezium.data.Uuid", optional);
    case oid::date:
      return named(schema_type::int32, "io.debezium.time.Date", optional);
    case oid::time:
      return time_precision(c.type_modifier) <= 3
                 ? named(schema_type::int32, "io.debezium.time.Time", optional)
                 : named(schema_type::int64, "io.debezium.time.MicroTime", optional);
    case oid::timestamp:
      return time_precision(c.type_modifier) <= 3
                 ? named(schema_type::int64, "io.debezium.time.Timestamp", optional)
                 : named(schema_type::int64, "io.debezium.time.MicroTimestamp", optional);
    case oid::timestamptz:
      return named(schema_type::string, "io.debezium.time.ZonedTimestamp", optional);
    case oid::timetz:
      return named(schema_type::string, "io.debezium.time.ZonedTime", optional);
    case oid::interval:
      return named(schema_type::int64, "io.debezium.time.MicroDuration", optional);
    case oid::numeric: {
      if (auto ps = numeric_precision(c.type_modifier)) {
        // Optional even in a key: NaN has no Decimal form (see the header).
        return named(schema_type::bytes, logical::decimal, true,
                     {{"scale", std::to_string(ps->second)},
                      {"connect.decimal.precision", std::to_string(ps->first)}});
      }
      auto s = struct_builder("io.debezium.data.VariableScaleDecimal")
                   .field("scale", schemas::of(schema_type::int32))
                   .field("value", schemas::bytes())
                   .optional(true)
                   .version(1)
                   .doc("Variable scaled decimal")
                   .build();
      return s;
    }
    case oid::money:
      // Debezium's default: a Decimal of money.fraction.digits (2) digits.
      return named(schema_type::bytes, logical::decimal, optional, {{"scale", "2"}});
    default:
      break;
  }
  if (auto element = element_of(c.type_oid)) {
    schema s;
    s.type = schema_type::array;
    s.optional = optional;
    s.value_schema = column_schema(element_column(c, element), true);
    return std::make_shared<const schema>(std::move(s));
  }
  return schemas::of(schema_type::string, optional);
}

result<data> column_value(const column_def& c, std::string_view text) {
  switch (c.type_oid) {
    case oid::bool_:
      if (text == "t" || text == "f") {
        return data(text == "t");
      }
      return bad(c, text, "boolean");
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid_: {
      auto v = text::parse_int<std::int64_t>(text);
      if (!v) {
        return bad(c, text, "integer");
      }
      return data(*v);
    }
    case oid::float4:
    case oid::float8: {
      if (text == "NaN") {
        return data(std::numeric_limits<double>::quiet_NaN());
      }
      if (text == "Infinity" || text == "-Infinity") {
        return data(text[0] == '-' ? -std::numeric_limits<double>::infinity()
                                   : std::numeric_limits<double>::infinity());
      }
      double v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc{} || p != text.data() + text.size()) {
        return bad(c, text, "floating-point number");
      }
      return data(v);
    }
    case oid::bytea: {
      auto b = text::parse_bytea(text);
      if (!b) {
        return bad(c, text, "bytea in hex form (bytea_output = hex)");
      }
      return make_bytes(*b);
    }
    case oid::date: {
      if (text == "infinity" || text == "-infinity") {
        return data(text[0] == '-' ? std::numeric_limits<std::int32_t>::min()
                                   : std::numeric_limits<std::int32_t>::max());
      }
      auto d = text::parse_date(text);
      if (!d) {
        return bad(c, text, "date (DateStyle ISO)");
      }
      return data(*d);
    }
    case oid::time: {
      auto t = text::parse_time(text);
      if (!t) {
        return bad(c, text, "time");
      }
      return time_precision(c.type_modifier) <= 3 ? data(*t / 1000) : data(*t);
    }
    case oid::timestamp: {
      if (text == "infinity" || text == "-infinity") {
        return data(text[0] == '-' ? std::numeric_limits<std::int64_t>::min()
                                   : std::numeric_limits<std::int64_t>::max());
      }
      auto t = text::parse_timestamp(text);
      if (!t) {
        return bad(c, text, "timestamp (DateStyle ISO)");
      }
      auto ms = *t >= 0 ? *t / 1000 : -((-*t + 999) / 1000);
      return time_precision(c.type_modifier) <= 3 ? data(ms) : data(*t);
    }
    case oid::timestamptz: {
      if (text == "infinity" || text == "-infinity") {
        return data(std::string(text));
      }
      auto bc = text.size() > 3 && text.substr(text.size() - 3) == " BC";
      auto body = bc ? text.substr(0, text.size() - 3) : text;
      auto parts = text::split_zone(body.size() > 11 ? body : std::string_view{});
      if (!parts) {
        return bad(c, text, "timestamp with time zone");
      }
      auto local = text::parse_timestamp(std::string(parts->first) + (bc ? " BC" : ""));
      auto off = text::parse_offset(parts->second);
      if (!local || !off) {
        return bad(c, text, "timestamp with time zone");
      }
      return data(text::iso_utc(*local - *off * 1'000'000));
    }
    case oid::timetz: {
      auto parts = text::split_zone(text);
      auto t = parts ? text::parse_time(parts->first) : std::nullopt;
      auto off = parts ? text::parse_offset(parts->second) : std::nullopt;
      if (!t || !off) {
        return bad(c, text, "time with time zone");
      }
      auto us = ((*t - *off * 1'000'000) % 86'400'000'000LL + 86'400'000'000LL) % 86'400'000'000LL;
      auto secs = us / 1'000'000;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                    static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
      return data(std::string(buf) + text::fraction(us % 1'000'000) + "Z");
    }
    case oid::interval: {
      auto v = text::parse_interval(text);
      if (!v) {
        return bad(c, text, "interval (IntervalStyle postgres)");
      }
      return data(*v);
    }
    case oid::numeric: {
      if (auto ps = numeric_precision(c.type_modifier)) {
        auto b = decimal_from_string(text, ps->second);
        if (!b) {
          return data(nullptr);  // NaN or ±Infinity (see the header)
        }
        return make_bytes(*b);
      }
      auto dot = text.find('.');
      int scale = dot == std::string_view::npos ? 0 : static_cast<int>(text.size() - dot - 1);
      auto b = decimal_from_string(text, scale);
      if (!b) {
        return data(nullptr);
      }
      data v = data::object();
      v["scale"] = scale;
      v["value"] = make_bytes(*b);
      return v;
    }
    case oid::money: {
      // lc_monetary's form, e.g. "$1,234.56", "-$0.99" (C or en_US):
      // the digits and the decimal point, negative with '-' or '('.
      std::string digits;
      bool negative = false;
      for (char ch : text) {
        if ((ch >= '0' && ch <= '9') || ch == '.') {
          digits += ch;
        } else if (ch == '-' || ch == '(') {
          negative = true;
        }
      }
      auto b =
          digits.empty() ? std::nullopt : decimal_from_string((negative ? "-" : "") + digits, 2);
      if (!b) {
        return bad(c, text, "money (lc_monetary with '.' as the decimal point)");
      }
      return make_bytes(*b);
    }
    default:
      break;
  }
  if (auto element = element_of(c.type_oid)) {
    auto items = text::parse_array(text);
    if (!items) {
      return bad(c, text, "one-dimensional array");
    }
    auto ec = element_column(c, element);
    data out = data::array();
    for (const auto& item : *items) {
      if (!item) {
        out.push_back(nullptr);
        continue;
      }
      BOOST_OUTCOME_TRY(auto v, column_value(ec, *item));
      out.push_back(std::move(v));
    }
    return out;
  }
  return data(std::string(text));
}

data unavailable_placeholder(const column_def& c) {
  auto s = column_schema(c, true);
  switch (s->type) {
    case schema_type::string:
      return data(std::string(unavailable_value));
    case schema_type::bytes:
      if (!s->name) {
        return make_bytes(unavailable_value);
      }
      return data(nullptr);
    case schema_type::array:
      if (s->value_schema && s->value_schema->type == schema_type::string) {
        return data::array({std::string(unavailable_value)});
      }
      return data(nullptr);
    default:
      return data(nullptr);
  }
}

}  // namespace runnel::connect::postgres
