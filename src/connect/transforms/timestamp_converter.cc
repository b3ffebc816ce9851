// TimestampConverter$Key / TimestampConverter$Value: converts a field (or
// the whole key/value when `field` is empty) between a formatted string, a
// Unix time (seconds … nanoseconds), and Kafka's Date, Time and Timestamp
// logical types. Strings use `format`, a SimpleDateFormat pattern, in UTC.
// The input kind comes from the schema (or, schemaless, from the value:
// an integer is Unix time, a string is formatted). Null stays null.
#include <fmt/format.h>

#include "connect/transforms/date_format.h"
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "converting timestamp formats";

enum class ts_kind { string, unix, date, time, timestamp };

const config_def& timestamp_converter_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "field",
              .type = config_type::string,
              .default_value = config_default::of(""),
              .importance = config_importance::high,
              .documentation = "The field containing the timestamp, or empty if the entire value "
                               "is a timestamp"});
    d.define({.name = "target.type",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "The desired timestamp representation: string, unix, Date, Time, "
                               "or Timestamp",
              .validator = validators::one_of({"string", "unix", "Date", "Time", "Timestamp"})});
    d.define({.name = "format",
              .type = config_type::string,
              .default_value = config_default::of(""),
              .importance = config_importance::medium,
              .documentation = "A SimpleDateFormat-compatible format for the timestamp. Used to "
                               "generate the output when type=string or used to parse the input "
                               "if the input is a string."});
    d.define({.name = "unix.precision",
              .type = config_type::string,
              .default_value = config_default::of("milliseconds"),
              .importance = config_importance::low,
              .documentation = "The desired Unix precision for the timestamp: seconds, "
                               "milliseconds, microseconds, or nanoseconds. Used to generate the "
                               "output when type=unix or used to parse the input if the input is "
                               "a Long.",
              .validator =
                  validators::one_of({"nanoseconds", "microseconds", "milliseconds", "seconds"})});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

ts_kind parse_kind(const std::string& s) {
  if (s == "string") return ts_kind::string;
  if (s == "unix") return ts_kind::unix;
  if (s == "Date") return ts_kind::date;
  if (s == "Time") return ts_kind::time;
  return ts_kind::timestamp;
}

schema_ptr logical_schema(std::string_view name, schema_type t, bool optional) {
  auto s = std::make_shared<schema>();
  s->type = t;
  s->name = std::string(name);
  s->version = 1;
  s->optional = optional;
  return s;
}

class timestamp_converter final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return timestamp_converter_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, timestamp_converter_config().parse(props));
    field_ = c.get_string("field");
    target_ = parse_kind(c.get_string("target.type"));
    precision_ = c.get_string("unix.precision");
    auto f = c.get_string("format");
    if (!f.empty()) {
      CONNECT_TRY(auto df, date_format::compile(f));
      format_ = std::move(df);
    }
    if (target_ == ts_kind::string && !format_)
      return make_error(errc::invalid_config,
                        "TimestampConverter requires format option to be specified when using "
                        "string timestamps");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (field_.empty()) {
      const bool optional = sch ? sch->optional : true;
      if (!val.is_null()) {
        CONNECT_TRY(auto k, kind_of(sch, val));
        CONNECT_TRY(auto ms, to_ms(k, val));
        val = from_ms(ms);
      }
      if (sch) sch = target_schema(optional);
      return true;
    }
    if (val.is_null()) return true;
    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
      auto it = val.find(field_);
      if (it == val.end() || it->is_null()) return true;
      CONNECT_TRY(auto k, kind_of(nullptr, *it));
      CONNECT_TRY(auto ms, to_ms(k, *it));
      *it = from_ms(ms);
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, purpose));
    const auto* f = sch->find_field(field_);
    if (!f) return make_error(errc::data, fmt::format("Unknown field: {}", field_));
    if (sch != cached_in_) {
      schema s = start_struct_like(*sch);
      for (const auto& fl : sch->fields)
        s.fields.push_back({fl.name, fl.index,
                            fl.name == field_ ? target_schema(fl.schema->optional) : fl.schema});
      cached_in_ = sch;
      cached_out_ = std::make_shared<schema>(std::move(s));
    }
    auto it = val.find(field_);
    if (it != val.end() && !it->is_null()) {
      CONNECT_TRY(auto k, kind_of(f->schema, *it));
      CONNECT_TRY(auto ms, to_ms(k, *it));
      *it = from_ms(ms);
    }
    sch = cached_out_;
    return true;
  }

 private:
  result<ts_kind> kind_of(const schema_ptr& s, const data& v) const {
    if (s) {
      if (s->name == std::string(logical::timestamp)) return ts_kind::timestamp;
      if (s->name == std::string(logical::date)) return ts_kind::date;
      if (s->name == std::string(logical::time)) return ts_kind::time;
      if (s->type == schema_type::int64) return ts_kind::unix;
      if (s->type == schema_type::string) return ts_kind::string;
      return make_error(errc::data, fmt::format("Schema {} does not correspond to a known "
                                                "timestamp type format",
                                                type_name(s->type)));
    }
    if (v.is_number_integer()) return ts_kind::unix;
    if (v.is_string()) return ts_kind::string;
    return make_error(errc::data, fmt::format("TimestampConverter does not support {} objects "
                                              "as timestamps",
                                              v.type_name()));
  }

  result<int64_t> to_ms(ts_kind k, const data& v) const {
    switch (k) {
      case ts_kind::string:
        if (!format_)
          return make_error(errc::data,
                            "TimestampConverter requires format option to be "
                            "specified when using string timestamps");
        if (!v.is_string()) return make_error(errc::data, "Expected a string timestamp");
        return format_->parse(v.get<std::string>());
      case ts_kind::unix: {
        if (!v.is_number_integer()) return make_error(errc::data, "Expected a Unix timestamp");
        int64_t n = v.get<int64_t>();
        if (precision_ == "seconds") return n * 1000;
        if (precision_ == "microseconds") return n / 1000;
        if (precision_ == "nanoseconds") return n / 1000000;
        return n;
      }
      case ts_kind::date:
        if (!v.is_number_integer()) return make_error(errc::data, "Expected a Date (int32 days)");
        return v.get<int64_t>() * 86400000;
      case ts_kind::time:
      case ts_kind::timestamp:
        if (!v.is_number_integer()) return make_error(errc::data, "Expected milliseconds");
        return v.get<int64_t>();
    }
    return int64_t(0);
  }

  data from_ms(int64_t ms) const {
    switch (target_) {
      case ts_kind::string:
        return data(format_->format(ms));
      case ts_kind::unix:
        if (precision_ == "seconds") return data(ms / 1000);
        if (precision_ == "microseconds") return data(ms * 1000);
        if (precision_ == "nanoseconds") return data(ms * 1000000);
        return data(ms);
      case ts_kind::date:
        return data(ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000));
      case ts_kind::time:
        return data(((ms % 86400000) + 86400000) % 86400000);
      case ts_kind::timestamp:
        return data(ms);
    }
    return data(ms);
  }

  schema_ptr target_schema(bool optional) const {
    switch (target_) {
      case ts_kind::string:
        return schemas::of(schema_type::string, optional);
      case ts_kind::unix:
        return schemas::of(schema_type::int64, optional);
      case ts_kind::date:
        return logical_schema(logical::date, schema_type::int32, optional);
      case ts_kind::time:
        return logical_schema(logical::time, schema_type::int32, optional);
      case ts_kind::timestamp:
        return schemas::timestamp(optional);
    }
    return nullptr;
  }

  std::string field_;
  ts_kind target_ = ts_kind::timestamp;
  std::string precision_;
  std::optional<date_format> format_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_timestamp_converter(side s) {
  return std::make_unique<timestamp_converter>(s);
}

}  // namespace runnel::connect::transforms
