// MaskField$Key / MaskField$Value: replaces the named fields' values with
// the type's empty value (0, false, "", empty list or map, the epoch for
// dates), or with `replacement` parsed as the field's type (numbers and
// strings only, as in Kafka). Tombstones pass unchanged.
#include <charconv>

#include <fmt/format.h>

#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "mask fields";

const config_def& mask_field_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "fields",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Names of fields to mask.",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              if (v.is_array() && v.empty()) return "Empty list";
                              return std::nullopt;
                            },
                            "non-empty list"}});
    d.define({.name = "replacement",
              .type = config_type::string,
              .default_value = config_default::null(),
              .importance = config_importance::low,
              .documentation = "Custom value replacement, that will be applied to all 'fields' "
                               "values (numeric or non-empty string values only).",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              if (v.is_string() && v.get<std::string>().empty())
                                return "String must be non-empty";
                              return std::nullopt;
                            },
                            "non-empty string"}});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

enum class kind { integer, floating, boolean, string, bytes, array, map, other };

kind kind_of(const schema_ptr& s, const data& v) {
  if (s) {
    switch (s->type) {
      case schema_type::int8:
      case schema_type::int16:
      case schema_type::int32:
      case schema_type::int64:
        return kind::integer;
      case schema_type::float32:
      case schema_type::float64:
        return kind::floating;
      case schema_type::boolean:
        return kind::boolean;
      case schema_type::string:
        return kind::string;
      case schema_type::bytes:
        return kind::bytes;
      case schema_type::array:
        return kind::array;
      case schema_type::map:
        return kind::map;
      case schema_type::struct_:
        return kind::other;
    }
  }
  if (v.is_number_integer()) return kind::integer;
  if (v.is_number_float()) return kind::floating;
  if (v.is_boolean()) return kind::boolean;
  if (v.is_string()) return kind::string;
  if (v.is_binary()) return kind::bytes;
  if (v.is_array()) return kind::array;
  if (v.is_object()) return kind::map;
  return kind::other;
}

class mask_field final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return mask_field_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, mask_field_config().parse(props));
    fields_ = c.get_list("fields");
    replacement_ = c.get_optional_string("replacement");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (val.is_null()) return true;
    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
    } else {
      CONNECT_TRY(require_struct(sch, val, purpose));
    }
    for (const auto& name : fields_) {
      auto it = val.find(name);
      schema_ptr fs;
      if (sch) {
        const auto* f = sch->find_field(name);
        if (!f) return make_error(errc::data, fmt::format("{} is not a valid field name", name));
        fs = f->schema;
      }
      if (it == val.end() || it->is_null()) continue;
      CONNECT_TRY(*it, masked(fs, *it));
    }
    return true;
  }

 private:
  result<data> masked(const schema_ptr& s, const data& v) const {
    const kind k = kind_of(s, v);
    if (!replacement_) {
      switch (k) {
        case kind::integer:
          return data(int64_t(0));
        case kind::floating:
          return data(0.0);
        case kind::boolean:
          return data(false);
        case kind::string:
          return data("");
        case kind::bytes:
          return make_bytes("");
        case kind::array:
          return data::array();
        case kind::map:
          return data::object();
        case kind::other:
          break;
      }
      return make_error(errc::data, fmt::format("Cannot mask value of type: {}", v.type_name()));
    }
    const std::string& rep = *replacement_;
    switch (k) {
      case kind::integer: {
        int64_t n = 0;
        auto [p, ec] = std::from_chars(rep.data(), rep.data() + rep.size(), n);
        if (ec != std::errc() || p != rep.data() + rep.size())
          return make_error(errc::data,
                            fmt::format("Unable to convert {} ({}) to number", rep, rep));
        return data(n);
      }
      case kind::floating:
        try {
          size_t used = 0;
          double d = std::stod(rep, &used);
          if (used == rep.size()) return data(d);
        } catch (...) {
        }
        return make_error(errc::data, fmt::format("Unable to convert {} ({}) to number", rep, rep));
      case kind::string:
        return data(rep);
      default:
        return make_error(
            errc::data,
            fmt::format("Cannot mask value of type {} with custom replacement.", v.type_name()));
    }
  }

  std::vector<std::string> fields_;
  std::optional<std::string> replacement_;
};

}  // namespace

std::unique_ptr<transformation> make_mask_field(side s) {
  return std::make_unique<mask_field>(s);
}

}  // namespace runnel::connect::transforms
