// Cast$Key / Cast$Value: casts fields (spec "f1:int32,f2:string") or the
// whole value (spec "int64") to int8..int64, float32, float64, boolean or
// string, as Kafka's Cast does: numbers narrow as Java's (wrapping, floats
// truncating), booleans become 1/0, strings parse, and anything becomes a
// string (bytes as base64, structures as JSON). Null stays null.
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "connect/convert/json_data.h"
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "cast types";

bool castable_to(schema_type t) {
  return is_primitive(t) && t != schema_type::bytes;
}

const config_def& cast_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "spec",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "List of fields and the type to cast them to of the form "
                               "field1:type,field2:type to cast fields of Maps or Structs. A "
                               "single type to cast the entire value. Valid types are int8, "
                               "int16, int32, int64, float32, float64, boolean, and string.",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              if (v.is_array() && v.empty())
                                return "Must specify at least one field to cast.";
                              for (const auto& item : v) {
                                auto s = item.get<std::string>();
                                auto colon = s.find(':');
                                auto t = parse_type_name(
                                    colon == std::string::npos ? s : s.substr(colon + 1));
                                if (!t || !castable_to(*t))
                                  return "Invalid type found in casting spec: " + s;
                              }
                              return std::nullopt;
                            },
                            "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"}});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

// Java's Double.toString / Float.toString, for the common shapes.
std::string java_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  const double a = std::fabs(d);
  if (a == 0 || (a >= 1e-3 && a < 1e7)) {
    std::string s = fmt::format("{}", d);
    if (s.find('.') == std::string::npos && s.find('e') == std::string::npos) s += ".0";
    return s;
  }
  std::string s = fmt::format("{:e}", d);  // d.dddddde+XX
  auto e = s.find('e');
  std::string mant = s.substr(0, e);
  int exp = std::stoi(s.substr(e + 1));
  // Shortest mantissa that round-trips.
  for (int prec = 1; prec <= 17; ++prec) {
    auto m = fmt::format("{:.{}e}", d, prec - 1);
    if (std::stod(m) == d) {
      auto me = m.find('e');
      mant = m.substr(0, me);
      exp = std::stoi(m.substr(me + 1));
      break;
    }
  }
  if (mant.find('.') == std::string::npos) mant += ".0";
  return fmt::format("{}E{}", mant, exp);
}

int64_t narrow(int64_t n, schema_type t) {
  switch (t) {
    case schema_type::int8:
      return int8_t(n);
    case schema_type::int16:
      return int16_t(n);
    case schema_type::int32:
      return int32_t(n);
    default:
      return n;
  }
}

// Java's (long) cast of a double: NaN → 0, saturating.
int64_t java_long(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return int64_t(d);
}

int64_t java_int(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 2147483647.0) return INT32_MAX;
  if (d <= -2147483648.0) return INT32_MIN;
  return int32_t(d);
}

result<data> cast_value(const schema_ptr& from, const data& v, schema_type to) {
  if (v.is_null()) return data(nullptr);
  auto fail = [&] {
    return make_error(errc::data, fmt::format("Unexpected type in Cast transformation: {} to {}",
                                              v.type_name(), type_name(to)));
  };
  switch (to) {
    case schema_type::int8:
    case schema_type::int16:
    case schema_type::int32:
    case schema_type::int64: {
      if (v.is_number_integer()) return data(narrow(v.get<int64_t>(), to));
      if (v.is_number_float()) {
        double d = v.get<double>();
        return data(to == schema_type::int64 ? java_long(d) : narrow(java_int(d), to));
      }
      if (v.is_boolean()) return data(int64_t(v.get<bool>() ? 1 : 0));
      if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        int64_t n = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || p != s.data() + s.size() || narrow(n, to) != n)
          return make_error(errc::data,
                            fmt::format("Value ({}) was out of range for requested data type "
                                        "{}, or not a number",
                                        s, type_name(to)));
        return data(n);
      }
      return fail();
    }
    case schema_type::float32:
    case schema_type::float64: {
      double d = 0;
      if (v.is_number()) {
        d = v.get<double>();
      } else if (v.is_boolean()) {
        d = v.get<bool>() ? 1.0 : 0.0;
      } else if (v.is_string()) {
        try {
          size_t used = 0;
          const auto& s = v.get_ref<const std::string&>();
          d = std::stod(s, &used);
          if (used != s.size()) return fail();
        } catch (...) {
          return fail();
        }
      } else {
        return fail();
      }
      if (to == schema_type::float32) d = double(float(d));
      return data(d);
    }
    case schema_type::boolean:
      if (v.is_boolean()) return v;
      if (v.is_number_integer()) return data(v.get<int64_t>() != 0);
      if (v.is_number_float()) return data(v.get<double>() != 0);
      if (v.is_string()) {
        auto s = v.get<std::string>();
        for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
        return data(s == "true");
      }
      return fail();
    case schema_type::string:
      if (v.is_string()) return v;
      if (v.is_binary()) return data(base64_encode(bytes_of(v)));
      if (v.is_number_float()) {
        if (from && from->type == schema_type::float32)
          return data(java_double(double(float(v.get<double>()))));
        return data(java_double(v.get<double>()));
      }
      if (v.is_number() || v.is_boolean()) return data(v.dump());
      {
        CONNECT_TRY(auto j, to_json(from, v));
        return data(j.dump());
      }
    default:
      return fail();
  }
}

class cast final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return cast_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, cast_config().parse(props));
    for (const auto& item : c.get_list("spec")) {
      auto colon = item.find(':');
      if (colon == std::string::npos) {
        whole_ = parse_type_name(item);
      } else {
        fields_.emplace_back(item.substr(0, colon), *parse_type_name(item.substr(colon + 1)));
      }
    }
    if (whole_ && !fields_.empty())
      return make_error(errc::invalid_config,
                        "Cast transformations that specify a type to cast the entire value to "
                        "may only specify a single cast in their spec");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (whole_) {
      if (sch && !is_primitive(sch->type) && *whole_ != schema_type::string)
        return make_error(errc::data, "Cast transformation does not support casting to/from " +
                                          std::string(type_name(sch->type)));
      CONNECT_TRY(val, cast_value(sch, val, *whole_));
      if (sch) sch = schemas::of(*whole_, sch->optional);
      return true;
    }
    if (val.is_null()) return true;
    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
      for (const auto& [name, to] : fields_) {
        auto it = val.find(name);
        if (it == val.end()) continue;
        CONNECT_TRY(*it, cast_value(nullptr, *it, to));
      }
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, purpose));
    if (sch != cached_in_) {
      schema s = start_struct_like(*sch);
      for (const auto& f : sch->fields) {
        schema_ptr fs = f.schema;
        if (auto to = target(f.name)) {
          if (!is_primitive(fs->type) && *to != schema_type::string)
            return make_error(errc::data, "Cast transformation does not support casting to/from " +
                                              std::string(type_name(fs->type)));
          auto n = std::make_shared<schema>();
          n->type = *to;
          n->optional = fs->optional;
          if (fs->default_value) {
            CONNECT_TRY(auto d, cast_value(fs, *fs->default_value, *to));
            n->default_value = std::move(d);
          }
          fs = n;
        }
        s.fields.push_back({f.name, int32_t(s.fields.size()), fs});
      }
      cached_in_ = sch;
      cached_out_ = std::make_shared<schema>(std::move(s));
    }
    for (const auto& f : sch->fields) {
      auto to = target(f.name);
      if (!to) continue;
      auto it = val.find(f.name);
      if (it == val.end()) continue;
      CONNECT_TRY(*it, cast_value(f.schema, *it, *to));
    }
    sch = cached_out_;
    return true;
  }

 private:
  std::optional<schema_type> target(const std::string& field) const {
    for (const auto& [n, t] : fields_)
      if (n == field) return t;
    return std::nullopt;
  }

  std::optional<schema_type> whole_;
  std::vector<std::pair<std::string, schema_type>> fields_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_cast(side s) {
  return std::make_unique<cast>(s);
}

}  // namespace runnel::connect::transforms
