// ReplaceField$Key / ReplaceField$Value: keeps only `include` fields (all
// when empty), drops `exclude` fields, renames `renames` (old:new pairs).
// Tombstones pass unchanged.
#include <algorithm>

#include <fmt/format.h>

#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "field replacement";

const config_def& replace_field_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "exclude",
              .type = config_type::list,
              .default_value = config_default::of(""),
              .importance = config_importance::medium,
              .documentation = "Fields to exclude. This takes precedence over the fields to "
                               "include."});
    d.define({.name = "include",
              .type = config_type::list,
              .default_value = config_default::of(""),
              .importance = config_importance::medium,
              .documentation = "Fields to include. If specified, only these fields will be "
                               "used."});
    d.define({.name = "renames",
              .type = config_type::list,
              .default_value = config_default::of(""),
              .importance = config_importance::medium,
              .documentation = "Field rename mappings.",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              for (const auto& item : v) {
                                auto s = item.get<std::string>();
                                auto colon = s.find(':');
                                if (colon == std::string::npos || colon == 0 ||
                                    colon + 1 == s.size())
                                  return "Invalid rename mapping: " + s;
                              }
                              return std::nullopt;
                            },
                            "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"}});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

class replace_field final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return replace_field_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, replace_field_config().parse(props));
    exclude_ = c.get_list("exclude");
    include_ = c.get_list("include");
    for (const auto& pair : c.get_list("renames")) {
      auto colon = pair.find(':');
      renames_.emplace_back(pair.substr(0, colon), pair.substr(colon + 1));
    }
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (val.is_null()) return true;
    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
      data out = data::object();
      for (auto& [k, v] : val.items())
        if (keep(k)) out[renamed(k)] = std::move(v);
      val = std::move(out);
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, purpose));
    if (sch != cached_in_) {
      schema s = start_struct_like(*sch);
      for (const auto& f : sch->fields)
        if (keep(f.name)) s.fields.push_back({renamed(f.name), int32_t(s.fields.size()), f.schema});
      cached_in_ = sch;
      cached_out_ = std::make_shared<schema>(std::move(s));
    }
    data out = data::object();
    for (const auto& f : sch->fields) {
      if (!keep(f.name)) continue;
      auto it = val.find(f.name);
      out[renamed(f.name)] = it == val.end() ? data(nullptr) : std::move(*it);
    }
    val = std::move(out);
    sch = cached_out_;
    return true;
  }

 private:
  bool keep(const std::string& name) const {
    if (std::find(exclude_.begin(), exclude_.end(), name) != exclude_.end()) return false;
    return include_.empty() || std::find(include_.begin(), include_.end(), name) != include_.end();
  }
  std::string renamed(const std::string& name) const {
    for (const auto& [from, to] : renames_)
      if (from == name) return to;
    return name;
  }

  std::vector<std::string> exclude_, include_;
  std::vector<std::pair<std::string, std::string>> renames_;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_replace_field(side s) {
  return std::make_unique<replace_field>(s);
}

}  // namespace runnel::connect::transforms
