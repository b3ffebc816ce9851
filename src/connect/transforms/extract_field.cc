// ExtractField$Key / ExtractField$Value: the key or value becomes one of
// its fields. With field.syntax.version=V2 a dotted name walks into nested
// structs and maps ("a.b.c"; backticks quote a name holding dots, KIP-821).
// A null value stays null.
#include <fmt/format.h>

#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

constexpr std::string_view purpose = "field extraction";

const config_def& extract_field_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "field",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::medium,
              .documentation = "Field name to extract."});
    d.define({.name = "field.syntax.version",
              .type = config_type::string,
              .default_value = config_default::of("V1"),
              .importance = config_importance::high,
              .documentation = "Defines the version of the syntax to access fields. If set to "
                               "`V1`, then the field paths are limited to access the elements at "
                               "the root level of the struct or map. If set to `V2`, the syntax "
                               "will support accessing nested elements.",
              .validator = validators::one_of({"V1", "V2"}, true)});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

// "a.b" → {a, b}; `a.b`.c → {a.b, c}.
std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '`') {
      quoted = !quoted;
    } else if (c == '.' && !quoted) {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

class extract_field final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return extract_field_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, extract_field_config().parse(props));
    auto field = c.get_string("field");
    auto v = c.get_string("field.syntax.version");
    path_ = (v == "V2" || v == "v2") ? split_path(field) : std::vector<std::string>{field};
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (val.is_null()) return true;
    if (!sch) {
      CONNECT_TRY(require_map(val, purpose));
      data cur = val;
      for (const auto& step : path_) {
        if (!cur.is_object()) {
          cur = nullptr;
          break;
        }
        auto it = cur.find(step);
        cur = it == cur.end() ? data(nullptr) : data(std::move(*it));
      }
      val = std::move(cur);
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, purpose));
    schema_ptr s = sch;
    data cur = std::move(val);
    for (const auto& step : path_) {
      const auto* f = s && s->type == schema_type::struct_ ? s->find_field(step) : nullptr;
      if (!f) return make_error(errc::data, fmt::format("Unknown field: {}", step));
      s = f->schema;
      auto it = cur.is_object() ? cur.find(step) : cur.end();
      cur = cur.is_object() && it != cur.end() ? data(std::move(*it)) : data(nullptr);
      if (cur.is_null()) break;
    }
    sch = s;
    val = std::move(cur);
    return true;
  }

 private:
  std::vector<std::string> path_;
};

}  // namespace

std::unique_ptr<transformation> make_extract_field(side s) {
  return std::make_unique<extract_field>(s);
}

}  // namespace runnel::connect::transforms
