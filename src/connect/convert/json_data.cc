#include "connect/convert/json_data.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

bool is_decimal(const schema_ptr& s) {
  return s && s->name && *s->name == logical::decimal;
}

int32_t decimal_scale(const schema_ptr& s) {
  auto p = s->parameter("scale");
  try {
    return p ? std::stoi(*p) : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace

std::string decimal_to_string(std::string_view unscaled, int32_t scale) {
  // Two's complement big-endian to a magnitude in base 1e9 limbs.
  const bool negative = !unscaled.empty() && (uint8_t(unscaled[0]) & 0x80);
  std::vector<uint8_t> mag(unscaled.begin(), unscaled.end());
  if (negative) {
    for (auto& b : mag) b = uint8_t(~b);
    for (size_t i = mag.size(); i-- > 0;)
      if (++mag[i] != 0) break;
  }
  std::string digits;
  while (std::any_of(mag.begin(), mag.end(), [](uint8_t b) { return b != 0; })) {
    uint32_t rem = 0;
    for (auto& b : mag) {
      uint32_t cur = (rem << 8) | b;
      b = uint8_t(cur / 10);
      rem = cur % 10;
    }
    digits += char('0' + rem);
  }
  if (digits.empty()) digits = "0";
  std::reverse(digits.begin(), digits.end());
  if (scale > 0) {
    if (digits.size() <= size_t(scale)) digits.insert(0, size_t(scale) - digits.size() + 1, '0');
    digits.insert(digits.size() - size_t(scale), ".");
  } else if (scale < 0 && digits != "0") {
    digits.append(size_t(-scale), '0');
  }
  return negative ? "-" + digits : digits;
}

std::optional<std::string> decimal_from_string(std::string_view text, int32_t scale) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::string digits;
  int32_t frac = -1;
  for (char c : text) {
    if (c == '.') {
      if (frac >= 0) return std::nullopt;
      frac = 0;
    } else if (c >= '0' && c <= '9') {
      digits += c;
      if (frac >= 0) ++frac;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (frac < 0) frac = 0;
  if (frac > scale) {
    // More fraction digits than the scale holds: only trailing zeros may go.
    for (int32_t i = 0; i < frac - scale; ++i) {
      if (digits.back() != '0') return std::nullopt;
      digits.pop_back();
    }
  } else {
    digits.append(size_t(scale - frac), '0');
  }
  // Decimal digits to a big-endian magnitude.
  std::vector<uint8_t> mag{0};
  for (char c : digits) {
    uint32_t carry = uint32_t(c - '0');
    for (size_t i = mag.size(); i-- > 0;) {
      uint32_t cur = uint32_t(mag[i]) * 10 + carry;
      mag[i] = uint8_t(cur & 0xff);
      carry = cur >> 8;
    }
    while (carry) {
      mag.insert(mag.begin(), uint8_t(carry & 0xff));
      carry >>= 8;
    }
  }
  if (mag[0] & 0x80) mag.insert(mag.begin(), 0);
  if (negative) {
    for (auto& b : mag) b = uint8_t(~b);
    for (size_t i = mag.size(); i-- > 0;)
      if (++mag[i] != 0) break;
  }
  // Minimal two's complement, as BigInteger.toByteArray writes it.
  while (mag.size() > 1 &&
         ((mag[0] == 0 && !(mag[1] & 0x80)) || (mag[0] == 0xff && (mag[1] & 0x80))))
    mag.erase(mag.begin());
  return std::string(mag.begin(), mag.end());
}

namespace {

// Kafka's JsonConverter names the two floating-point types "float" and
// "double" in a schema (JsonSchema.FLOAT_TYPE_NAME and DOUBLE_TYPE_NAME), not
// by Schema.Type's names, and reads only those back.
std::string_view json_type_name(schema_type t) {
  if (t == schema_type::float32) return "float";
  if (t == schema_type::float64) return "double";
  return type_name(t);
}

std::optional<schema_type> parse_json_type_name(const std::string& name) {
  if (name == "float") return schema_type::float32;
  if (name == "double") return schema_type::float64;
  return parse_type_name(name);  // also float32/float64, as runnel wrote them before
}

}  // namespace

data schema_to_json(const schema_ptr& s) {
  if (!s) return nullptr;
  data j = data::object();
  j["type"] = std::string(json_type_name(s->type));
  switch (s->type) {
    case schema_type::array:
      j["items"] = schema_to_json(s->value_schema);
      break;
    case schema_type::map:
      j["keys"] = schema_to_json(s->key_schema);
      j["values"] = schema_to_json(s->value_schema);
      break;
    case schema_type::struct_: {
      data fields = data::array();
      for (const auto& f : s->fields) {
        data fj = schema_to_json(f.schema);
        fj["field"] = f.name;
        fields.push_back(std::move(fj));
      }
      j["fields"] = std::move(fields);
      break;
    }
    default:
      break;
  }
  j["optional"] = s->optional;
  if (s->name) j["name"] = *s->name;
  if (s->version) j["version"] = *s->version;
  if (s->doc) j["doc"] = *s->doc;
  if (!s->parameters.empty()) {
    data p = data::object();
    for (const auto& [k, v] : s->parameters) p[k] = v;
    j["parameters"] = std::move(p);
  }
  if (s->default_value) {
    auto d = to_json(s, *s->default_value);
    if (d) j["default"] = std::move(d).value();
  }
  return j;
}

result<schema_ptr> schema_from_json(const data& j) {
  if (j.is_null()) return schema_ptr();
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return make_error(errc::data, "Schema must contain 'type' field");
  auto t = parse_json_type_name(j["type"].get<std::string>());
  if (!t) return make_error(errc::data, "Unknown schema type: " + j["type"].get<std::string>());
  auto s = std::make_shared<schema>();
  s->type = *t;
  switch (*t) {
    case schema_type::struct_: {
      auto it = j.find("fields");
      if (it == j.end() || !it->is_array())
        return make_error(errc::data, "Struct schema's \"fields\" argument is not an array.");
      for (const auto& fj : *it) {
        auto name = fj.find("field");
        if (name == fj.end() || !name->is_string())
          return make_error(errc::data,
                            "Struct schema's field name not specified properly: " + fj.dump());
        CONNECT_TRY(auto fs, schema_from_json(fj));
        s->fields.push_back({name->get<std::string>(), int32_t(s->fields.size()), fs});
      }
      break;
    }
    case schema_type::array: {
      auto it = j.find("items");
      if (it == j.end())
        return make_error(errc::data, "Array schema did not specify the element type");
      CONNECT_TRY(s->value_schema, schema_from_json(*it));
      break;
    }
    case schema_type::map: {
      auto k = j.find("keys");
      auto v = j.find("values");
      if (k == j.end() || v == j.end())
        return make_error(errc::data, "Map schema did not specify the key and value types");
      CONNECT_TRY(s->key_schema, schema_from_json(*k));
      CONNECT_TRY(s->value_schema, schema_from_json(*v));
      break;
    }
    default:
      break;
  }
  if (auto it = j.find("optional"); it != j.end()) {
    if (!it->is_boolean()) return make_error(errc::data, "Schema optional field must be a boolean");
    s->optional = it->get<bool>();
  }
  if (auto it = j.find("name"); it != j.end() && it->is_string()) s->name = it->get<std::string>();
  if (auto it = j.find("version"); it != j.end() && it->is_number_integer())
    s->version = it->get<int32_t>();
  if (auto it = j.find("doc"); it != j.end() && it->is_string()) s->doc = it->get<std::string>();
  if (auto it = j.find("parameters"); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      s->parameters.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  if (auto it = j.find("default"); it != j.end() && !it->is_null()) {
    schema_ptr without_default = s;
    CONNECT_TRY(auto d, from_json(without_default, *it));
    s->default_value = std::move(d);
  }
  return schema_ptr(s);
}

namespace {

result<data> schemaless_to_json(const data& v) {
  if (v.is_binary()) return data(base64_encode(bytes_of(v)));
  if (v.is_array()) {
    data out = data::array();
    for (const auto& item : v) {
      CONNECT_TRY(auto c, schemaless_to_json(item));
      out.push_back(std::move(c));
    }
    return out;
  }
  if (v.is_object()) {
    data out = data::object();
    for (const auto& [k, item] : v.items()) {
      CONNECT_TRY(auto c, schemaless_to_json(item));
      out[k] = std::move(c);
    }
    return out;
  }
  return v;
}

}  // namespace

result<data> to_json(const schema_ptr& s, const data& v, const json_options& o) {
  if (!s) return schemaless_to_json(v);
  if (v.is_null()) {
    if (s->default_value && o.replace_null_with_default) return to_json(s, *s->default_value, o);
    if (s->optional) return data(nullptr);
    return make_error(errc::data,
                      "Conversion error: null value for field that is required and has no "
                      "default value");
  }
  auto bad = [&] {
    return make_error(errc::data,
                      fmt::format("Invalid type for {}: {}", type_name(s->type), v.type_name()));
  };
  switch (s->type) {
    case schema_type::int8:
    case schema_type::int16:
    case schema_type::int32:
    case schema_type::int64:
      if (!v.is_number_integer()) return bad();
      return v;
    case schema_type::float32:
    case schema_type::float64:
      if (!v.is_number()) return bad();
      return v;
    case schema_type::boolean:
      if (!v.is_boolean()) return bad();
      return v;
    case schema_type::string:
      if (!v.is_string()) return bad();
      return v;
    case schema_type::bytes:
      if (!v.is_binary()) return bad();
      if (is_decimal(s) && o.decimals == decimal_format::numeric) {
        const auto text = decimal_to_string(bytes_of(v), decimal_scale(s));
        return data::parse(text, nullptr, false);
      }
      return data(base64_encode(bytes_of(v)));
    case schema_type::array: {
      if (!v.is_array()) return bad();
      data out = data::array();
      for (const auto& item : v) {
        CONNECT_TRY(auto c, to_json(s->value_schema, item, o));
        out.push_back(std::move(c));
      }
      return out;
    }
    case schema_type::map: {
      const bool string_keys = s->key_schema && s->key_schema->type == schema_type::string;
      if (v.is_object()) {
        if (string_keys) {
          data out = data::object();
          for (const auto& [k, item] : v.items()) {
            CONNECT_TRY(auto c, to_json(s->value_schema, item, o));
            out[k] = std::move(c);
          }
          return out;
        }
        data out = data::array();
        for (const auto& [k, item] : v.items()) {
          CONNECT_TRY(auto c, to_json(s->value_schema, item, o));
          out.push_back(data::array({k, std::move(c)}));
        }
        return out;
      }
      if (!v.is_array()) return bad();
      data out = string_keys ? data::object() : data::array();
      for (const auto& pair : v) {
        if (!pair.is_array() || pair.size() != 2) return bad();
        CONNECT_TRY(auto kc, to_json(s->key_schema, pair[0], o));
        CONNECT_TRY(auto vc, to_json(s->value_schema, pair[1], o));
        if (string_keys)
          out[kc.get<std::string>()] = std::move(vc);
        else
          out.push_back(data::array({std::move(kc), std::move(vc)}));
      }
      return out;
    }
    case schema_type::struct_: {
      if (!v.is_object()) return bad();
      data out = data::object();
      static const data null_value;
      for (const auto& f : s->fields) {
        auto it = v.find(f.name);
        auto r = to_json(f.schema, it == v.end() ? null_value : *it, o);
        if (!r)
          return make_error(errc::data,
                            fmt::format("{} (field \"{}\")", r.error().message, f.name));
        out[f.name] = std::move(r).value();
      }
      return out;
    }
  }
  return bad();
}

result<data> from_json(const schema_ptr& s, const data& j, const json_options& o) {
  if (!s) return j;  // schemaless: JSON is already Connect data
  if (j.is_null()) {
    if (s->default_value && o.replace_null_with_default) return *s->default_value;
    if (s->optional) return data(nullptr);
    return make_error(errc::data,
                      fmt::format("Invalid null value for required {} field", type_name(s->type)));
  }
  auto bad = [&] {
    return make_error(errc::data, fmt::format("Invalid value: {} is not a valid {}", j.dump(),
                                              type_name(s->type)));
  };
  switch (s->type) {
    case schema_type::int8:
    case schema_type::int16:
    case schema_type::int32:
    case schema_type::int64:
      if (!j.is_number_integer()) return bad();
      return j;
    case schema_type::float32:
    case schema_type::float64:
      if (!j.is_number()) return bad();
      return data(j.get<double>());
    case schema_type::boolean:
      if (!j.is_boolean()) return bad();
      return j;
    case schema_type::string:
      if (!j.is_string()) return bad();
      return j;
    case schema_type::bytes: {
      if (is_decimal(s) && j.is_number()) {
        auto b = decimal_from_string(j.dump(), decimal_scale(s));
        if (!b) return bad();
        return make_bytes(*b);
      }
      if (!j.is_string()) return bad();
      auto b = base64_decode(j.get<std::string>());
      if (!b) return bad();
      return make_bytes(*b);
    }
    case schema_type::array: {
      if (!j.is_array()) return bad();
      data out = data::array();
      for (const auto& item : j) {
        CONNECT_TRY(auto c, from_json(s->value_schema, item, o));
        out.push_back(std::move(c));
      }
      return out;
    }
    case schema_type::map: {
      const bool string_keys = s->key_schema && s->key_schema->type == schema_type::string;
      if (j.is_object()) {
        if (!string_keys && s->key_schema)
          return make_error(errc::data,
                            "Found invalid map key schema: maps in JSON objects "
                            "need string keys");
        data out = data::object();
        for (const auto& [k, item] : j.items()) {
          CONNECT_TRY(auto c, from_json(s->value_schema, item, o));
          out[k] = std::move(c);
        }
        return out;
      }
      if (!j.is_array()) return bad();
      data out = data::array();
      for (const auto& pair : j) {
        if (!pair.is_array() || pair.size() != 2)
          return make_error(errc::data,
                            "Found invalid map entry instead of array tuple: " + pair.dump());
        CONNECT_TRY(auto kc, from_json(s->key_schema, pair[0], o));
        CONNECT_TRY(auto vc, from_json(s->value_schema, pair[1], o));
        out.push_back(data::array({std::move(kc), std::move(vc)}));
      }
      return out;
    }
    case schema_type::struct_: {
      if (!j.is_object()) return bad();
      data out = data::object();
      static const data null_value;
      for (const auto& f : s->fields) {
        auto it = j.find(f.name);
        auto r = from_json(f.schema, it == j.end() ? null_value : *it, o);
        if (!r)
          return make_error(errc::data,
                            fmt::format("{} (field \"{}\")", r.error().message, f.name));
        out[f.name] = std::move(r).value();
      }
      return out;
    }
  }
  return bad();
}

}  // namespace runnel::connect
