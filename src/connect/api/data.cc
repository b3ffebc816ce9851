#include "connect/api/data.h"

#include <array>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

constexpr std::array<std::string_view, 12> type_names = {"int8",    "int16",   "int32",   "int64",
                                                         "float32", "float64", "boolean", "string",
                                                         "bytes",   "array",   "map",     "struct"};

}  // namespace

std::string_view type_name(schema_type t) {
  return type_names[static_cast<size_t>(t)];
}

std::optional<schema_type> parse_type_name(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < type_names.size(); ++i)
    if (type_names[i] == lower) return static_cast<schema_type>(i);
  return std::nullopt;
}

bool is_primitive(schema_type t) {
  return t != schema_type::array && t != schema_type::map && t != schema_type::struct_;
}

const field* schema::find_field(std::string_view n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

std::optional<std::string> schema::parameter(std::string_view key) const {
  for (const auto& [k, v] : parameters)
    if (k == key) return v;
  return std::nullopt;
}

bool equal(const schema_ptr& a, const schema_ptr& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  if (a->type != b->type || a->optional != b->optional || a->name != b->name ||
      a->version != b->version || a->doc != b->doc || a->parameters != b->parameters ||
      a->default_value != b->default_value || a->fields.size() != b->fields.size())
    return false;
  for (size_t i = 0; i < a->fields.size(); ++i)
    if (a->fields[i].name != b->fields[i].name || !equal(a->fields[i].schema, b->fields[i].schema))
      return false;
  return equal(a->key_schema, b->key_schema) && equal(a->value_schema, b->value_schema);
}

namespace schemas {

schema_ptr of(schema_type t, bool optional) {
  // Built once per (type, optional); shared by every record.
  static const auto table = [] {
    std::array<std::array<schema_ptr, 2>, 9> out;
    for (size_t i = 0; i < out.size(); ++i)
      for (int o = 0; o < 2; ++o) {
        auto s = std::make_shared<schema>();
        s->type = static_cast<schema_type>(i);
        s->optional = o == 1;
        out[i][o] = s;
      }
    return out;
  }();
  if (is_primitive(t)) return table[static_cast<size_t>(t)][optional ? 1 : 0];
  auto s = std::make_shared<schema>();
  s->type = t;
  s->optional = optional;
  return s;
}

schema_ptr timestamp(bool optional) {
  static const auto required = [] {
    auto s = std::make_shared<schema>();
    s->type = schema_type::int64;
    s->name = std::string(logical::timestamp);
    s->version = 1;
    return s;
  }();
  static const auto opt = with_optional(required, true);
  return optional ? opt : required;
}

}  // namespace schemas

struct_builder::struct_builder(std::optional<std::string> name) {
  s_.type = schema_type::struct_;
  s_.name = std::move(name);
}

struct_builder& struct_builder::field(std::string name, schema_ptr s) {
  s_.fields.push_back({std::move(name), int32_t(s_.fields.size()), std::move(s)});
  return *this;
}

struct_builder& struct_builder::optional(bool o) {
  s_.optional = o;
  return *this;
}

struct_builder& struct_builder::version(int32_t v) {
  s_.version = v;
  return *this;
}

struct_builder& struct_builder::doc(std::string d) {
  s_.doc = std::move(d);
  return *this;
}

schema_ptr struct_builder::build() {
  return std::make_shared<schema>(s_);
}

schema_ptr with_optional(const schema_ptr& s, bool optional) {
  if (!s || s->optional == optional) return s;
  if (is_primitive(s->type) && !s->name && !s->default_value && !s->doc && !s->version &&
      s->parameters.empty())
    return schemas::of(s->type, optional);
  auto c = std::make_shared<schema>(*s);
  c->optional = optional;
  return c;
}

result<void> validate_value(const schema_ptr& s, const data& v, std::string_view where) {
  if (!s) return ok();
  if (v.is_null()) {
    if (s->optional || s->default_value) return ok();
    return make_error(errc::data, fmt::format("Invalid value: null used for required {}, schema "
                                              "type: {}",
                                              where, type_name(s->type)));
  }
  auto mismatch = [&] {
    return make_error(errc::data, fmt::format("Invalid Java object for schema with type {}: {} "
                                              "for {}",
                                              type_name(s->type), v.type_name(), where));
  };
  switch (s->type) {
    case schema_type::int8:
    case schema_type::int16:
    case schema_type::int32:
    case schema_type::int64:
      if (!v.is_number_integer()) return mismatch();
      break;
    case schema_type::float32:
    case schema_type::float64:
      if (!v.is_number()) return mismatch();
      break;
    case schema_type::boolean:
      if (!v.is_boolean()) return mismatch();
      break;
    case schema_type::string:
      if (!v.is_string()) return mismatch();
      break;
    case schema_type::bytes:
      if (!v.is_binary()) return mismatch();
      break;
    case schema_type::array:
      if (!v.is_array()) return mismatch();
      for (const auto& item : v) {
        CONNECT_TRY(validate_value(s->value_schema, item, where));
      }
      break;
    case schema_type::map:
      if (v.is_object()) {
        for (const auto& [k, item] : v.items()) {
          CONNECT_TRY(validate_value(s->value_schema, item, where));
        }
      } else if (!v.is_array()) {
        return mismatch();
      }
      break;
    case schema_type::struct_:
      if (!v.is_object()) return mismatch();
      for (const auto& f : s->fields) {
        auto it = v.find(f.name);
        static const data null_value;
        CONNECT_TRY(validate_value(f.schema, it == v.end() ? null_value : *it,
                                   fmt::format("field \"{}\"", f.name)));
      }
      break;
  }
  return ok();
}

std::string to_display_string(const data& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_binary()) return base64_encode(bytes_of(v));
  if (v.is_null()) return "null";
  return v.dump(-1, ' ', false, data::error_handler_t::replace);
}

std::string base64_encode(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;  // data after padding
    int d = digit(c);
    if (d < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  if (pad > 2 || bits >= 6) return std::nullopt;
  return out;
}

data make_bytes(std::string_view b) {
  data::binary_t bin(std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(b.data()),
                                          reinterpret_cast<const uint8_t*>(b.data()) + b.size()));
  return data::binary(std::move(bin));
}

std::string_view bytes_of(const data& v) {
  if (!v.is_binary()) return {};
  const auto& b = v.get_binary();
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace runnel::connect
