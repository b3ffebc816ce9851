// JsonConverter: Kafka's org.apache.kafka.connect.json.JsonConverter.
//
// With schemas.enable=true (the default) every record is an envelope
// {"schema": …, "payload": …}; without, the JSON document alone, read
// schemaless. A null key or value stays null (a tombstone stays one).
#include <fmt/format.h>

#include <string>
#include <unordered_map>
#include <utility>

#include "connect/convert/converters.h"
#include "connect/convert/json_data.h"

namespace runnel::connect {

namespace {

const config_def& json_converter_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "schemas.enable",
              .type = config_type::boolean,
              .default_value = config_default::of("true"),
              .importance = config_importance::high,
              .documentation = "Include schemas within each of the serialized values and keys.",
              .group = "Schemas",
              .order = 1,
              .width = config_width::medium,
              .display_name = "Enable Schemas"});
    d.define({.name = "schemas.cache.size",
              .type = config_type::int_,
              .default_value = config_default::of("1000"),
              .importance = config_importance::high,
              .documentation = "The maximum number of schemas that can be cached in this "
                               "converter instance.",
              .validator = validators::at_least(0),
              .group = "Schemas",
              .order = 2,
              .width = config_width::medium,
              .display_name = "Schema Cache Size"});
    d.define({.name = "schema.content",
              .type = config_type::string,
              .default_value = config_default::null(),
              .importance = config_importance::high,
              .documentation = "When set, used as the schema of every record read, which is "
                               "then plain JSON without an envelope.",
              .group = "Schemas",
              .order = 3,
              .width = config_width::medium,
              .display_name = "Schema Content"});
    d.define({.name = "decimal.format",
              .type = config_type::string,
              .default_value = config_default::of("BASE64"),
              .importance = config_importance::low,
              .documentation = "Controls which format this converter will serialize decimals "
                               "in: BASE64 or NUMERIC.",
              .validator = validators::one_of({"BASE64", "NUMERIC"}, true),
              .group = "Serialization",
              .order = 1,
              .width = config_width::medium,
              .display_name = "Decimal Format"});
    d.define({.name = "replace.null.with.default",
              .type = config_type::boolean,
              .default_value = config_default::of("true"),
              .importance = config_importance::low,
              .documentation = "Whether to replace fields that have a default value and that "
                               "are null to the default value.",
              .group = "Serialization",
              .order = 2,
              .width = config_width::medium,
              .display_name = "Replace null with default"});
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

class json_converter final : public converter {
 public:
  const config_def& config() const override { return json_converter_config(); }

  result<void> configure(const config_map& props, bool) override {
    CONNECT_TRY(auto c, json_converter_config().parse(props));
    schemas_ = c.get_bool("schemas.enable");
    auto fmt_name = c.get_string("decimal.format");
    opts_.decimals = (fmt_name == "NUMERIC" || fmt_name == "numeric") ? decimal_format::numeric
                                                                      : decimal_format::base64;
    opts_.replace_null_with_default = c.get_bool("replace.null.with.default");
    schema_cache_size_ = static_cast<size_t>(c.get_int("schemas.cache.size"));
    if (auto content = c.get_optional_string("schema.content"); content && !content->empty()) {
      auto j = data::parse(*content, nullptr, false);
      if (j.is_discarded())
        return make_error(errc::invalid_config, "schema.content is not valid JSON");
      CONNECT_TRY(fixed_schema_, schema_from_json(j));
      has_fixed_schema_ = true;
    }
    return ok();
  }

  result<std::optional<std::string>> from_connect(std::string_view, std::vector<client::header>&,
                                                  const schema_ptr& s, const data& v) override {
    if (!s && v.is_null()) return std::optional<std::string>();
    CONNECT_TRY(auto payload, to_json(s, v, opts_));
    if (!schemas_) return std::optional<std::string>(dump(payload));
    // The envelope written piece by piece, so that a schema already seen
    // is not turned into JSON again: records from one table or file share
    // one schema, and its JSON is usually larger than the payload.
    std::string out = "{\"schema\":";
    out += schema_text(s);
    out += ",\"payload\":";
    out += dump(payload);
    out += '}';
    return std::optional<std::string>(std::move(out));
  }

  result<schema_and_value> to_connect(std::string_view, std::vector<client::header>&,
                                      std::optional<std::string_view> bytes) override {
    if (!bytes) return schema_and_value{};
    // Kafka reads an empty value as null too.
    if (bytes->empty()) return schema_and_value{};
    auto j = data::parse(bytes->begin(), bytes->end(), nullptr, false);
    if (j.is_discarded())
      return make_error(errc::data,
                        "Converting byte[] to Kafka Connect data failed due to "
                        "serialization error: the bytes are not JSON");
    if (has_fixed_schema_) {
      CONNECT_TRY(auto v, from_json(fixed_schema_, j, opts_));
      return schema_and_value{fixed_schema_, std::move(v)};
    }
    if (!schemas_) return schema_and_value{nullptr, std::move(j)};
    if (!j.is_object() || j.size() != 2 || !j.contains("schema") || !j.contains("payload"))
      return make_error(errc::data,
                        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" "
                        "fields and may not contain additional fields. If you are trying to "
                        "deserialize plain JSON data, set schemas.enable=false in your converter "
                        "configuration.");
    CONNECT_TRY(auto s, schema_from_json(j["schema"]));
    CONNECT_TRY(auto v, from_json(s, j["payload"], opts_));
    return schema_and_value{std::move(s), std::move(v)};
  }

 private:
  static std::string dump(const data& j) {
    return j.dump(-1, ' ', false, data::error_handler_t::replace);
  }

  // The schema's JSON text, cached by schema object as Kafka's converter
  // caches by schema (`schemas.cache.size`). Schemas are immutable and
  // shared, so the object identifies the text; the cache holds a reference
  // so that an address is never reused while it is a key.
  const std::string& schema_text(const schema_ptr& s) {
    if (auto it = schema_cache_.find(s.get()); it != schema_cache_.end()) return it->second.second;
    if (schema_cache_size_ == 0) return uncached_ = dump(schema_to_json(s));
    if (schema_cache_.size() >= schema_cache_size_) schema_cache_.clear();
    return schema_cache_.emplace(s.get(), std::make_pair(s, dump(schema_to_json(s))))
        .first->second.second;
  }

  bool schemas_ = true;
  json_options opts_;
  schema_ptr fixed_schema_;
  bool has_fixed_schema_ = false;
  size_t schema_cache_size_ = 1000;
  std::unordered_map<const schema*, std::pair<schema_ptr, std::string>> schema_cache_;
  std::string uncached_;
};

}  // namespace

std::unique_ptr<converter> make_json_converter() {
  return std::make_unique<json_converter>();
}

}  // namespace runnel::connect
