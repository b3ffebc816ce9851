// HoistField$Key / HoistField$Value: wraps the key or value in a struct
// (or map, schemaless) with one field.
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

const config_def& hoist_field_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "field",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::medium,
              .documentation = "Field name for the single field that will be created in the "
                               "resulting Struct or Map."});
    return d;
  }();
  return def;
}

class hoist_field final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return hoist_field_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, hoist_field_config().parse(props));
    field_ = c.get_string("field");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    data wrapped = data::object();
    wrapped[field_] = std::move(val);
    val = std::move(wrapped);
    if (sch) {
      if (sch != cached_in_) {
        cached_in_ = sch;
        cached_out_ = struct_builder().field(field_, sch).build();
      }
      sch = cached_out_;
    }
    return true;
  }

 private:
  std::string field_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_hoist_field(side s) {
  return std::make_unique<hoist_field>(s);
}

}  // namespace runnel::connect::transforms
