// The header transformations:
//   InsertHeader            adds `header` with value.literal (typed as
//                           Kafka's Values.parseString types it)
//   DropHeaders             removes every header named in `headers`
//   HeaderFrom$Key/$Value   copies or moves key/value fields into headers
#include <algorithm>

#include "connect/convert/converters.h"
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

const config_def& insert_header_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "header",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "The name of the header.",
              .validator = validators::non_empty_string()});
    d.define({.name = "value.literal",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "The literal value that is to be set as the header value on all "
                               "records."});
    return d;
  }();
  return def;
}

class insert_header final : public transformation {
 public:
  const config_def& config() const override { return insert_header_config(); }
  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, insert_header_config().parse(props));
    header_ = c.get_string("header");
    value_ = infer_value(c.originals().at("value.literal"));
    return ok();
  }
  result<bool> apply(connect_record& r) override {
    r.add_header(header_, value_.value, value_.schema);
    return true;
  }

 private:
  std::string header_;
  schema_and_value value_;
};

const config_def& drop_headers_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "headers",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "The name of the headers to be removed.",
              .validator = {[](const data& v) -> std::optional<std::string> {
                              if (v.is_array() && v.empty()) return "Empty list";
                              return std::nullopt;
                            },
                            "non-empty list"}});
    return d;
  }();
  return def;
}

class drop_headers final : public transformation {
 public:
  const config_def& config() const override { return drop_headers_config(); }
  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, drop_headers_config().parse(props));
    headers_ = c.get_list("headers");
    return ok();
  }
  result<bool> apply(connect_record& r) override {
    std::erase_if(r.headers, [&](const header& h) {
      return std::find(headers_.begin(), headers_.end(), h.key) != headers_.end();
    });
    return true;
  }

 private:
  std::vector<std::string> headers_;
};

const config_def& header_from_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "fields",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Field names in the record whose values are to be copied or "
                               "moved to headers."});
    d.define({.name = "headers",
              .type = config_type::list,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Header names, in the same order as the field names listed in the "
                               "fields configuration property."});
    d.define({.name = "operation",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Either <code>move</code> if the fields are to be moved to the "
                               "headers (removed from the key/value), or <code>copy</code> if "
                               "the fields are to be copied to the headers (retained in the "
                               "key/value).",
              .validator = validators::one_of({"move", "copy"})});
    d.define(replace_null_with_default_key());
    return d;
  }();
  return def;
}

class header_from final : public sided_transformation {
 public:
  using sided_transformation::sided_transformation;
  const config_def& config() const override { return header_from_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, header_from_config().parse(props));
    fields_ = c.get_list("fields");
    headers_ = c.get_list("headers");
    move_ = c.get_string("operation") == "move";
    if (fields_.size() != headers_.size())
      return make_error(errc::invalid_config,
                        "'fields' config must have the same number of elements as 'headers' "
                        "config.");
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    auto [sch, val] = operating(r, side_);
    if (val.is_null()) return true;
    if (!sch) {
      CONNECT_TRY(require_map(val, "header " + std::string(move_ ? "move" : "copy")));
      for (size_t i = 0; i < fields_.size(); ++i) {
        auto it = val.find(fields_[i]);
        r.add_header(headers_[i], it == val.end() ? data(nullptr) : *it);
      }
      if (move_)
        for (const auto& f : fields_) val.erase(f);
      return true;
    }
    CONNECT_TRY(require_struct(sch, val, "header " + std::string(move_ ? "move" : "copy")));
    for (size_t i = 0; i < fields_.size(); ++i) {
      const auto* f = sch->find_field(fields_[i]);
      if (!f) return make_error(errc::data, fields_[i] + " is not a valid field name");
      auto it = val.find(fields_[i]);
      r.add_header(headers_[i], it == val.end() ? data(nullptr) : *it, f->schema);
    }
    if (move_) {
      if (sch != cached_in_) {
        schema s = start_struct_like(*sch);
        for (const auto& f : sch->fields)
          if (std::find(fields_.begin(), fields_.end(), f.name) == fields_.end())
            s.fields.push_back({f.name, int32_t(s.fields.size()), f.schema});
        cached_in_ = sch;
        cached_out_ = std::make_shared<schema>(std::move(s));
      }
      for (const auto& f : fields_) val.erase(f);
      sch = cached_out_;
    }
    return true;
  }

 private:
  std::vector<std::string> fields_, headers_;
  bool move_ = false;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

std::unique_ptr<transformation> make_insert_header() {
  return std::make_unique<insert_header>();
}
std::unique_ptr<transformation> make_drop_headers() {
  return std::make_unique<drop_headers>();
}
std::unique_ptr<transformation> make_header_from(side s) {
  return std::make_unique<header_from>(s);
}

}  // namespace runnel::connect::transforms
