// InsertField$Key / InsertField$Value: adds the record's topic, partition,
// offset (sinks only), timestamp, or a static string as fields. A name
// ending in '!' makes the field required, '?' (the default) optional.
// Tombstones pass unchanged.
#include <fmt/format.h>

#include "connect/transforms/common.h"
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "field insertion";

const config_def& insert_field_config() {
  static const config_def def = [] {
    config_def d;
    auto field_key = [&](const char* name, const char* doc) {
      d.define({.name = name,
                .type = config_type::string,
                .default_value = config_default::null(),
                .importance = config_importance::medium,
                .documentation = doc});
    };
    field_key("topic.field",
              "Field name for Kafka topic. Suffix with <code>!</code> to make this a required "
              "field, or <code>?</code> to keep it optional (the default).");
    field_key("partition.field",
              "Field name for Kafka partition. Suffix with <code>!</code> to make this a required "
              "field, or <code>?</code> to keep it optional (the default).");
    field_key("offset.field",
              "Field name for Kafka offset - only applicable to sink connectors.<br/>Suffix with "
              "<code>!</code> to make this a required field, or <code>?</code> to keep it "
              "optional (the default).");
    field_key("timestamp.field",
              "Field name for record timestamp. Suffix with <code>!</code> to make this a "
              "required field, or <code>?</code> to keep it optional (the default).");
    field_key("static.field",
              "Field name for static data field. Suffix with <code>!</code> to make this a "
              "required field, or <code>?</code> to keep it optional (the default).");
    field_key("static.value", "Static field value, if field name configured.");
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

struct insertion {
  std::string name;
  bool optional = true;
  explicit operator bool() const { return !name.empty(); }
};

insertion parse_field(const std::optional<std::string>& spec) {
  if (!spec || spec->empty()) return {};
  std::string s = *spec;
  bool optional = true;
  if (s.back() == '!') {
    optional = false;
    s.pop_back();
  } else if (s.back() == '?') {
    s.pop_back();
  }
  return {s, optional};
}

class insert_field final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return insert_field_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, insert_field_config().parse(props));
    topic_ = parse_field(c.get_optional_string("topic.field"));
    partition_ = parse_field(c.get_optional_string("partition.field"));
    offset_ = parse_field(c.get_optional_string("offset.field"));
    timestamp_ = parse_field(c.get_optional_string("timestamp.field"));
    static_ = parse_field(c.get_optional_string("static.field"));
    static_value_ = c.get_optional_string("static.value");
    if (!topic_ && !partition_ && !offset_ && !timestamp_ && !static_)
      return make_error(errc::invalid_config, "No field insertion configured");
    if (static_ && !static_value_)
      return make_error(errc::invalid_config,
                        "Missing static.value: static.field needs a value to insert");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (val.is_null()) return true;  // tombstones pass
    std::optional<data> offset;
    if (offset_) {
      const auto* sink = r.as_sink();
      if (!sink) return make_error(errc::data, "Offset field can only be used with SinkRecords");
      offset = data(sink->kafka_offset);
    }
    auto partition = r.kafka_partition ? data(int64_t(*r.kafka_partition)) : data(nullptr);
    auto ts = r.timestamp ? data(*r.timestamp) : data(nullptr);

    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
      if (topic_) val[topic_.name] = r.topic;
      if (partition_) val[partition_.name] = partition;
      if (offset_) val[offset_.name] = *offset;
      if (timestamp_) val[timestamp_.name] = ts;
      if (static_) val[static_.name] = *static_value_;
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, purpose));
    if (sch != cached_in_) {
      schema s = start_struct_like(*sch);
      s.fields = sch->fields;
      auto add = [&](const insertion& f, schema_ptr type) {
        if (f)
          s.fields.push_back({f.name, int32_t(s.fields.size()), with_optional(type, f.optional)});
      };
      add(topic_, schemas::string());
      add(partition_, schemas::of(schema_type::int32));
      add(offset_, schemas::int64());
      add(timestamp_, schemas::timestamp());
      add(static_, schemas::string());
      cached_in_ = sch;
      cached_out_ = std::make_shared<schema>(std::move(s));
    }
    auto check = [&](const insertion& f, const data& v) -> result<void> {
      if (f && !f.optional && v.is_null())
        return make_error(errc::data, fmt::format("Invalid value: null used for required field: "
                                                  "\"{}\", schema type: {}",
                                                  f.name, "STRING"));
      return ok();
    };
    CONNECT_TRY(check(partition_, partition));
    CONNECT_TRY(check(timestamp_, ts));
    if (topic_) val[topic_.name] = r.topic;
    if (partition_) val[partition_.name] = partition;
    if (offset_) val[offset_.name] = *offset;
    if (timestamp_) val[timestamp_.name] = ts;
    if (static_) val[static_.name] = *static_value_;
    sch = cached_out_;
    return true;
  }

 private:
  insertion topic_, partition_, offset_, timestamp_, static_;
  std::optional<std::string> static_value_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_insert_field(side s) {
  return std::make_unique<insert_field>(s);
}

}  // namespace runnel::connect::transforms
