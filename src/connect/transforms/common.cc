#include "connect/transforms/common.h"

#include <fmt/format.h>

namespace runnel::connect::transforms {

operand operating(connect_record& r, side s) {
  if (s == side::key) return {r.key_schema, r.key};
  return {r.value_schema, r.value};
}

const data& operating_value(const connect_record& r, side s) {
  return s == side::key ? r.key : r.value;
}

namespace {
std::string_view java_type(const data& v) {
  switch (v.type()) {
    case data::value_t::null:
      return "null";
    case data::value_t::object:
      return "java.util.Map";
    case data::value_t::array:
      return "java.util.List";
    case data::value_t::string:
      return "java.lang.String";
    case data::value_t::boolean:
      return "java.lang.Boolean";
    case data::value_t::number_integer:
    case data::value_t::number_unsigned:
      return "java.lang.Long";
    case data::value_t::number_float:
      return "java.lang.Double";
    case data::value_t::binary:
      return "[B";
    default:
      return "java.lang.Object";
  }
}
}  // namespace

result<void> require_map(const data& v, std::string_view purpose) {
  if (v.is_object()) return ok();
  return make_error(errc::data,
                    fmt::format("Only Map objects supported in absence of schema for [{}], "
                                "found: {}",
                                purpose, java_type(v)));
}

result<void> require_struct(const schema_ptr& s, const data& v, std::string_view purpose) {
  if (s && s->type == schema_type::struct_ && v.is_object()) return ok();
  return make_error(errc::data,
                    fmt::format("Only Struct objects supported for [{}], found: {}", purpose,
                                v.is_null() ? "null" : std::string(java_type(v))));
}

schema start_struct_like(const schema& base) {
  schema s;
  s.type = schema_type::struct_;
  s.name = base.name;
  s.version = base.version;
  s.doc = base.doc;
  s.optional = base.optional;
  s.parameters = base.parameters;
  return s;
}

config_key replace_null_with_default_key() {
  return {.name = "replace.null.with.default",
          .type = config_type::boolean,
          .default_value = config_default::of("true"),
          .importance = config_importance::medium,
          .documentation =
              "Whether to replace fields that have a default value and that are "
              "null to the default value. When set to true, the default value is "
              "used, otherwise null is used."};
}

}  // namespace runnel::connect::transforms
