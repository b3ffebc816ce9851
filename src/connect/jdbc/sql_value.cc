#include "connect/jdbc/sql_value.h"

#include <charconv>
#include <chrono>
#include <cstdint>

#include <fmt/format.h>

namespace runnel::connect::jdbc {

namespace {

bool named(const schema_ptr& s, std::string_view n) {
  return s && s->name && *s->name == n;
}

// A big-endian two's complement integer with `scale` → decimal text.
std::string decimal_text(std::string_view bytes, int scale) {
  if (bytes.empty()) {
    return "0";
  }
  std::vector<std::uint8_t> mag(bytes.begin(), bytes.end());
  bool negative = (mag[0] & 0x80) != 0;
  if (negative) {  // two's complement → magnitude
    for (auto& b : mag) b = static_cast<std::uint8_t>(~b);
    for (auto i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  std::string digits;
  while (true) {
    bool zero = true;
    unsigned rem = 0;
    for (auto& b : mag) {
      unsigned cur = rem * 256 + b;
      b = static_cast<std::uint8_t>(cur / 10);
      rem = cur % 10;
      zero = zero && b == 0;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + rem));
    if (zero) break;
  }
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) {
      digits.insert(0, static_cast<std::size_t>(scale) - digits.size() + 1, '0');
    }
    digits.insert(digits.size() - static_cast<std::size_t>(scale), ".");
  } else if (scale < 0) {
    digits.append(static_cast<std::size_t>(-scale), '0');
  }
  return negative ? "-" + digits : digits;
}

std::string bytea_text(std::string_view b) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : b) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string array_element(const std::string& t) {
  std::string out = "\"";
  for (char c : t) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

error not_fitting(const schema_ptr& s, const data& v) {
  return make_error(errc::data, "jdbc: value " + v.dump().substr(0, 80) + " does not fit " +
                                    (s->name ? *s->name : std::string(type_name(s->type))));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::string date_text(std::int64_t days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string time_text(std::int64_t micros_of_day) {
  auto s = micros_of_day / 1'000'000;
  return fmt::format("{:02}:{:02}:{:02}.{:06}", s / 3600, s / 60 % 60, s % 60,
                     micros_of_day % 1'000'000);
}

std::string timestamp_text(std::int64_t micros) {
  auto days = floor_div(micros, 86'400'000'000);
  return date_text(days) + " " + time_text(micros - days * 86'400'000'000);
}

std::string sql_type(const schema_ptr& s) {
  if (named(s, logical::decimal) || named(s, "io.debezium.data.VariableScaleDecimal")) {
    return "numeric";
  }
  if (named(s, logical::date) || named(s, "io.debezium.time.Date")) return "date";
  if (named(s, logical::time) || named(s, "io.debezium.time.Time") ||
      named(s, "io.debezium.time.MicroTime")) {
    return "time";
  }
  if (named(s, logical::timestamp) || named(s, "io.debezium.time.Timestamp") ||
      named(s, "io.debezium.time.MicroTimestamp") || named(s, "io.debezium.time.NanoTimestamp")) {
    return "timestamp";
  }
  if (named(s, "io.debezium.time.ZonedTimestamp")) return "timestamptz";
  if (named(s, "io.debezium.data.Json")) return "jsonb";
  if (named(s, "io.debezium.data.Uuid")) return "uuid";
  switch (s->type) {
    case schema_type::int8:
    case schema_type::int16:
      return "smallint";
    case schema_type::int32:
      return "integer";
    case schema_type::int64:
      return "bigint";
    case schema_type::float32:
      return "real";
    case schema_type::float64:
      return "double precision";
    case schema_type::boolean:
      return "boolean";
    case schema_type::string:
      return "text";
    case schema_type::bytes:
      return "bytea";
    case schema_type::array:
      if (s->value_schema && is_primitive(s->value_schema->type)) {
        return sql_type(s->value_schema) + "[]";
      }
      return "jsonb";
    case schema_type::map:
    case schema_type::struct_:
      return "jsonb";
  }
  return "text";
}

result<std::optional<std::string>> sql_text(const schema_ptr& s, const data& v) {
  using out = std::optional<std::string>;
  if (v.is_null()) {
    return out{};
  }
  if (!s) {
    return out(v.is_string() ? v.get<std::string>() : v.dump());
  }
  auto as_int = [&]() -> std::optional<std::int64_t> {
    if (v.is_number_integer()) return v.get<std::int64_t>();
    return std::nullopt;
  };
  if (named(s, logical::decimal)) {
    if (!v.is_binary()) return not_fitting(s, v);
    int scale = 0;
    if (auto p = s->parameter("scale")) {
      auto [end, ec] = std::from_chars(p->data(), p->data() + p->size(), scale);
      if (ec != std::errc{} || end != p->data() + p->size()) return not_fitting(s, v);
    }
    return out(decimal_text(bytes_of(v), scale));
  }
  if (named(s, "io.debezium.data.VariableScaleDecimal")) {
    if (!v.is_object() || !v.contains("scale") || !v["scale"].is_number_integer() ||
        !v.contains("value") || !v["value"].is_binary()) {
      return not_fitting(s, v);
    }
    return out(decimal_text(bytes_of(v["value"]), v["scale"].get<int>()));
  }
  auto i = as_int();
  if (i && (named(s, logical::date) || named(s, "io.debezium.time.Date"))) {
    return out(date_text(*i));
  }
  if (i && (named(s, logical::time) || named(s, "io.debezium.time.Time"))) {
    return out(time_text(*i * 1000));
  }
  if (i && named(s, "io.debezium.time.MicroTime")) return out(time_text(*i));
  if (i && (named(s, logical::timestamp) || named(s, "io.debezium.time.Timestamp"))) {
    return out(timestamp_text(*i * 1000));
  }
  if (i && named(s, "io.debezium.time.MicroTimestamp")) return out(timestamp_text(*i));
  if (i && named(s, "io.debezium.time.NanoTimestamp")) {
    return out(timestamp_text(floor_div(*i, 1000)));
  }
  switch (s->type) {
    case schema_type::boolean:
      if (!v.is_boolean()) return not_fitting(s, v);
      return out(v.get<bool>() ? "true" : "false");
    case schema_type::string:
      if (!v.is_string()) return not_fitting(s, v);
      return out(v.get<std::string>());
    case schema_type::bytes:
      if (v.is_binary()) return out(bytea_text(bytes_of(v)));
      return not_fitting(s, v);
    case schema_type::array:
      if (!v.is_array()) return not_fitting(s, v);
      if (s->value_schema && is_primitive(s->value_schema->type)) {
        std::string a = "{";
        for (const auto& e : v) {
          CONNECT_TRY(auto t, sql_text(s->value_schema, e));
          a += (a.size() > 1 ? "," : "") + (t ? array_element(*t) : std::string("NULL"));
        }
        return out(a + "}");
      }
      return out(v.dump());
    case schema_type::map:
    case schema_type::struct_:
      return out(v.dump());
    default:
      if (!v.is_number()) return not_fitting(s, v);
      return out(v.dump());
  }
}

}  // namespace runnel::connect::jdbc
