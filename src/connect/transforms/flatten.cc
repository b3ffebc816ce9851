// Flatten$Key / Flatten$Value: nested structs (and maps, schemaless)
// become top-level fields named by their path joined with `delimiter`
// ({"a":{"b":1}} → {"a.b":1}). Arrays and schema'd maps stay as they are.
// A field under an optional parent becomes optional. Null stays null.
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "flattening";

const config_def& flatten_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "delimiter",
              .type = config_type::string,
              .default_value = config_default::of("."),
              .importance = config_importance::medium,
              .documentation = "Delimiter to insert between field names from the input record "
                               "when generating field names for the output record"});
    return d;
  }();
  return def;
}

class flatten final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return flatten_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, flatten_config().parse(props));
    delimiter_ = c.get_string("delimiter");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (val.is_null()) return true;
    data out = data::object();
    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
      flatten_map(val, "", out);
      val = std::move(out);
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, purpose));
    if (sch != cached_in_) {
      schema s = start_struct_like(*sch);
      flatten_schema(*sch, "", false, s);
      cached_in_ = sch;
      cached_out_ = std::make_shared<schema>(std::move(s));
    }
    flatten_struct(*sch, &val, "", out);
    val = std::move(out);
    sch = cached_out_;
    return true;
  }

 private:
  std::string name(const std::string& prefix, const std::string& field) const {
    return prefix.empty() ? field : prefix + delimiter_ + field;
  }

  void flatten_map(data& m, const std::string& prefix, data& out) const {
    for (auto& [k, v] : m.items()) {
      if (v.is_object())
        flatten_map(v, name(prefix, k), out);
      else
        out[name(prefix, k)] = std::move(v);
    }
  }

  void flatten_schema(const schema& s, const std::string& prefix, bool optional_parent,
                      schema& out) const {
    for (const auto& f : s.fields) {
      const bool opt = optional_parent || f.schema->optional;
      if (f.schema->type == schema_type::struct_) {
        flatten_schema(*f.schema, name(prefix, f.name), opt, out);
      } else {
        out.fields.push_back(
            {name(prefix, f.name), int32_t(out.fields.size()), with_optional(f.schema, opt)});
      }
    }
  }

  // `v` null: the parent struct was null; every field below is null.
  void flatten_struct(const schema& s, data* v, const std::string& prefix, data& out) const {
    for (const auto& f : s.fields) {
      data* fv = nullptr;
      if (v && v->is_object()) {
        auto it = v->find(f.name);
        if (it != v->end() && !it->is_null()) fv = &*it;
      }
      if (f.schema->type == schema_type::struct_)
        flatten_struct(*f.schema, fv, name(prefix, f.name), out);
      else
        out[name(prefix, f.name)] = fv ? std::move(*fv) : data(nullptr);
    }
  }

  std::string delimiter_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_flatten(side s) {
  return std::make_unique<flatten>(s);
}

}  // namespace runnel::connect::transforms
