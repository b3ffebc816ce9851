// The converters without structure: StringConverter, ByteArrayConverter
// and the fixed-width number converters (Kafka's NumberConverter family).
#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "connect/convert/converters.h"

namespace runnel::connect {

namespace {

const config_def& string_converter_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "converter.encoding",
              .type = config_type::string,
              .default_value = config_default::of("UTF-8"),
              .importance = config_importance::high,
              .documentation = "The name of the Java character set to use for encoding strings "
                               "as byte arrays (runnel: UTF-8 only).",
              .validator = validators::one_of({"UTF-8", "UTF8"}, true),
              .group = "Converter",
              .order = 1,
              .width = config_width::medium,
              .display_name = "Encoding"});
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

const config_def& plain_converter_config() {
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

// StringConverter: any value as its text (a string as it is; other values
// as compact JSON, where Java would call toString()), bytes read as an
// optional string.
class string_converter final : public converter {
 public:
  const config_def& config() const override { return string_converter_config(); }
  result<void> configure(const config_map& props, bool) override {
    CONNECT_TRY(string_converter_config().parse(props));
    return ok();
  }
  result<std::optional<std::string>> from_connect(std::string_view, std::vector<client::header>&,
                                                  const schema_ptr&, const data& v) override {
    if (v.is_null()) return std::optional<std::string>();
    if (v.is_string()) return std::optional<std::string>(v.get_ref<const std::string&>());
    return std::optional<std::string>(to_display_string(v));
  }
  result<schema_and_value> to_connect(std::string_view, std::vector<client::header>&,
                                      std::optional<std::string_view> bytes) override {
    if (!bytes) return schema_and_value{schemas::optional_string(), nullptr};
    return schema_and_value{schemas::optional_string(), data(std::string(*bytes))};
  }
};

// ByteArrayConverter: bytes pass through; anything else is refused, as in
// Kafka.
class bytes_converter final : public converter {
 public:
  const config_def& config() const override { return plain_converter_config(); }
  result<void> configure(const config_map& props, bool) override {
    CONNECT_TRY(plain_converter_config().parse(props));
    return ok();
  }
  result<std::optional<std::string>> from_connect(std::string_view, std::vector<client::header>&,
                                                  const schema_ptr& s, const data& v) override {
    if (s && s->type != schema_type::bytes)
      return make_error(errc::data, fmt::format("Invalid schema type for ByteArrayConverter: {}",
                                                type_name(s->type)));
    if (v.is_null()) return std::optional<std::string>();
    if (!v.is_binary())
      return make_error(errc::data, fmt::format("ByteArrayConverter is not compatible with "
                                                "objects of type {}",
                                                v.type_name()));
    return std::optional<std::string>(std::string(bytes_of(v)));
  }
  result<schema_and_value> to_connect(std::string_view, std::vector<client::header>&,
                                      std::optional<std::string_view> bytes) override {
    if (!bytes) return schema_and_value{schemas::optional_bytes(), nullptr};
    return schema_and_value{schemas::optional_bytes(), make_bytes(*bytes)};
  }
};

// Integer/Long/Short/Float/Double/BooleanConverter: Kafka's serializers'
// big-endian layouts.
class number_converter final : public converter {
 public:
  explicit number_converter(schema_type t) : type_(t) {}
  const config_def& config() const override { return plain_converter_config(); }
  result<void> configure(const config_map& props, bool) override {
    CONNECT_TRY(plain_converter_config().parse(props));
    return ok();
  }

  result<std::optional<std::string>> from_connect(std::string_view, std::vector<client::header>&,
                                                  const schema_ptr&, const data& v) override {
    if (v.is_null()) return std::optional<std::string>();
    std::string out;
    switch (type_) {
      case schema_type::boolean:
        if (!v.is_boolean()) return wrong(v);
        out.push_back(v.get<bool>() ? 1 : 0);
        break;
      case schema_type::int16:
        if (!v.is_number_integer()) return wrong(v);
        put_be(out, uint64_t(v.get<int64_t>()), 2);
        break;
      case schema_type::int32:
        if (!v.is_number_integer()) return wrong(v);
        put_be(out, uint64_t(v.get<int64_t>()), 4);
        break;
      case schema_type::int64:
        if (!v.is_number_integer()) return wrong(v);
        put_be(out, uint64_t(v.get<int64_t>()), 8);
        break;
      case schema_type::float32:
        if (!v.is_number()) return wrong(v);
        put_be(out, std::bit_cast<uint32_t>(float(v.get<double>())), 4);
        break;
      default:
        if (!v.is_number()) return wrong(v);
        put_be(out, std::bit_cast<uint64_t>(v.get<double>()), 8);
        break;
    }
    return std::optional<std::string>(std::move(out));
  }

  result<schema_and_value> to_connect(std::string_view, std::vector<client::header>&,
                                      std::optional<std::string_view> bytes) override {
    auto s = schemas::of(type_, true);
    if (!bytes) return schema_and_value{s, nullptr};
    const size_t width = type_ == schema_type::boolean                                  ? 1
                         : type_ == schema_type::int16                                  ? 2
                         : type_ == schema_type::int32 || type_ == schema_type::float32 ? 4
                                                                                        : 8;
    if (bytes->size() != width)
      return make_error(errc::data,
                        fmt::format("Size of data received by {} deserializer is not {}",
                                    type_name(type_), width));
    uint64_t n = 0;
    for (char c : *bytes) n = (n << 8) | uint8_t(c);
    switch (type_) {
      case schema_type::boolean:
        return schema_and_value{s, data(n != 0)};
      case schema_type::int16:
        return schema_and_value{s, data(int64_t(int16_t(n)))};
      case schema_type::int32:
        return schema_and_value{s, data(int64_t(int32_t(n)))};
      case schema_type::int64:
        return schema_and_value{s, data(int64_t(n))};
      case schema_type::float32:
        return schema_and_value{s, data(double(std::bit_cast<float>(uint32_t(n))))};
      default:
        return schema_and_value{s, data(std::bit_cast<double>(n))};
    }
  }

 private:
  result<std::optional<std::string>> wrong(const data& v) const {
    return make_error(errc::data, fmt::format("Failed to serialize to {} (was {})",
                                              type_name(type_), v.type_name()));
  }
  static void put_be(std::string& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(char((v >> (8 * i)) & 0xff));
  }
  schema_type type_;
};

}  // namespace

std::unique_ptr<converter> make_string_converter() {
  return std::make_unique<string_converter>();
}

std::unique_ptr<converter> make_bytes_converter() {
  return std::make_unique<bytes_converter>();
}

std::unique_ptr<converter> make_number_converter(schema_type t) {
  return std::make_unique<number_converter>(t);
}

}  // namespace runnel::connect
