// ValueToKey: the key becomes a struct (or map) of the named value fields.
#include <fmt/format.h>

#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "copying fields from value to key";

const config_def& value_to_key_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "fields",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Field names on the record value to extract as the record key.",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              if (v.is_array() && v.empty()) return "Empty list";
                              return std::nullopt;
                            },
                            "non-empty list"}});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

class value_to_key final : public transformation {
 public:
  const config_def& config() const override { return value_to_key_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, value_to_key_config().parse(props));
    fields_ = c.get_list("fields");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    data key = data::object();
    if (!r.value_schema) {
      CONNECT_TRY(require_map(r.value, purpose));
      for (const auto& f : fields_) {
        auto it = r.value.find(f);
        key[f] = it == r.value.end() ? data(nullptr) : *it;
      }
      r.key_schema = nullptr;
      r.key = std::move(key);
      return true;
    }
    CONNECT_TRY(require_struct(r.value_schema, r.value, purpose));
    if (r.value_schema != cached_in_) {
      struct_builder b;
      for (const auto& f : fields_) {
        const auto* vf = r.value_schema->find_field(f);
        if (!vf) return make_error(errc::data, "Field does not exist: " + f);
        b.field(f, vf->schema);
      }
      cached_in_ = r.value_schema;
      cached_out_ = b.build();
    }
    for (const auto& f : fields_) {
      auto it = r.value.find(f);
      key[f] = it == r.value.end() ? data(nullptr) : *it;
    }
    r.key_schema = cached_out_;
    r.key = std::move(key);
    return true;
  }

 private:
  std::vector<std::string> fields_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_value_to_key() {
  return std::make_unique<value_to_key>();
}

}  // namespace runnel::connect::transforms
