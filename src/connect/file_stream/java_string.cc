#include "connect/file_stream/java_string.h"

#include <cmath>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

std::string java_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string java_string(const schema_ptr& s, const data& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return java_double(v.get<double>());
  if (v.is_binary()) return base64_encode(bytes_of(v));
  if (v.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const auto& item : v) {
      if (!first) out += ", ";
      first = false;
      out += java_string(s ? s->value_schema : nullptr, item);
    }
    return out + "]";
  }
  // An object: a Struct under a struct schema, else a Map.
  if (s && s->type == schema_type::struct_) {
    std::string out = "Struct{";
    bool first = true;
    for (const auto& f : s->fields) {
      auto it = v.find(f.name);
      if (it == v.end() || it->is_null()) continue;
      if (!first) out += ",";
      first = false;
      out += f.name + "=" + java_string(f.schema, *it);
    }
    return out + "}";
  }
  std::string out = "{";
  bool first = true;
  for (const auto& [k, item] : v.items()) {
    if (!first) out += ", ";
    first = false;
    out += k + "=" + java_string(s ? s->value_schema : nullptr, item);
  }
  return out + "}";
}

}  // namespace runnel::connect
