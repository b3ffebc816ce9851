// The predicates (org.apache.kafka.connect.transforms.predicates.*):
//   TopicNameMatches   the whole topic name matches `pattern`
//   HasHeaderKey       the record has a header named `name`
//   RecordIsTombstone  the value is null
// A transformation applies only to records its predicate matches (or, with
// transforms.<name>.negate=true, does not match).
#include <regex>

#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

class topic_name_matches final : public predicate {
 public:
  const config_def& config() const override {
    static const config_def def = [] {
      config_def d;
      d.define({.name = "pattern",
                .type = config_type::string,
                .default_value = config_default::required(),
                .importance = config_importance::medium,
                .documentation = "A Java regular expression for matching against the name of a "
                                 "record's topic.",
                .validator = validators::regex()});
      return d;
    }();
    return def;
  }
  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, config().parse(props));
    pattern_ = std::regex(c.get_string("pattern"));
    return ok();
  }
  result<bool> test(const connect_record& r) override {
    return !r.topic.empty() && std::regex_match(r.topic, pattern_);
  }

 private:
  std::regex pattern_;
};

class has_header_key final : public predicate {
 public:
  const config_def& config() const override {
    static const config_def def = [] {
      config_def d;
      d.define({.name = "name",
                .type = config_type::string,
                .default_value = config_default::required(),
                .importance = config_importance::medium,
                .documentation = "The header name.",
                .validator = validators::non_empty_string()});
      return d;
    }();
    return def;
  }
  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, config().parse(props));
    name_ = c.get_string("name");
    return ok();
  }
  result<bool> test(const connect_record& r) override { return r.last_header(name_) != nullptr; }

 private:
  std::string name_;
};

class record_is_tombstone final : public predicate {
 public:
  const config_def& config() const override {
    static const config_def def;
    return def;
  }
  result<void> configure(const config_map&) override { return ok(); }
  result<bool> test(const connect_record& r) override { return r.value.is_null(); }
};

}  // namespace

std::unique_ptr<predicate> make_topic_name_matches() {
  return std::make_unique<topic_name_matches>();
}
std::unique_ptr<predicate> make_has_header_key() {
  return std::make_unique<has_header_key>();
}
std::unique_ptr<predicate> make_record_is_tombstone() {
  return std::make_unique<record_is_tombstone>();
}

}  // namespace runnel::connect::transforms
