// SimpleHeaderConverter: header values as text, read back with their type
// inferred (Kafka's Values.parseString, for the common cases): true/false,
// integers (the narrowest of int8..int64), decimals (float64), JSON arrays
// and objects, else a string.
#include <charconv>

#include "connect/convert/converters.h"
#include "connect/convert/json_data.h"

namespace runnel::connect {

namespace {

const config_def& header_converter_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "converter.type",
              .type = config_type::string,
              .default_value = config_default::null(),
              .importance = config_importance::low,
              .documentation = "How this converter will be used: key, value or header.",
              .validator = validators::one_of({"key", "value", "header"}, true)});
    return d;
  }();
  return def;
}

class simple_header_converter final : public header_converter {
 public:
  const config_def& config() const override { return header_converter_config(); }
  result<void> configure(const config_map& props) override {
    CONNECT_TRY(header_converter_config().parse(props));
    return ok();
  }

  result<std::optional<std::string>> from_connect_header(std::string_view, std::string_view,
                                                         const schema_ptr& s,
                                                         const data& v) override {
    if (v.is_null()) return std::optional<std::string>();
    if (v.is_string()) return std::optional<std::string>(v.get<std::string>());
    if (v.is_binary()) return std::optional<std::string>(std::string(bytes_of(v)));
    if (v.is_boolean() || v.is_number()) return std::optional<std::string>(v.dump());
    CONNECT_TRY(auto j, to_json(s, v));
    return std::optional<std::string>(j.dump());
  }

  result<schema_and_value> to_connect_header(std::string_view, std::string_view,
                                             std::optional<std::string_view> bytes) override {
    if (!bytes) return schema_and_value{};
    return infer_value(*bytes);
  }
};

}  // namespace

schema_and_value infer_value(std::string_view t) {
  if (t == "true" || t == "false")
    return schema_and_value{schemas::of(schema_type::boolean), data(t == "true")};
  int64_t n = 0;
  if (!t.empty()) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec == std::errc() && p == t.data() + t.size()) {
      schema_type st = n >= INT8_MIN && n <= INT8_MAX     ? schema_type::int8
                       : n >= INT16_MIN && n <= INT16_MAX ? schema_type::int16
                       : n >= INT32_MIN && n <= INT32_MAX ? schema_type::int32
                                                          : schema_type::int64;
      return schema_and_value{schemas::of(st), data(n)};
    }
  }
  if (!t.empty() && (t.front() == '[' || t.front() == '{' || t.front() == '-' ||
                     (t.front() >= '0' && t.front() <= '9'))) {
    auto j = data::parse(t.begin(), t.end(), nullptr, false);
    if (!j.is_discarded()) {
      if (j.is_number_float()) return schema_and_value{schemas::of(schema_type::float64), j};
      if (j.is_array() || j.is_object()) return schema_and_value{nullptr, std::move(j)};
    }
  }
  return schema_and_value{schemas::string(), data(std::string(t))};
}

std::unique_ptr<header_converter> make_simple_header_converter() {
  return std::make_unique<simple_header_converter>();
}

}  // namespace runnel::connect
