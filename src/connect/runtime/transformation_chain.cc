#include "connect/runtime/transformation_chain.h"

#include <map>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

result<std::vector<std::string>> list_of(const config_map& c, const std::string& key) {
  auto it = c.find(key);
  if (it == c.end()) return std::vector<std::string>{};
  config_key k{.name = key, .type = config_type::list};
  CONNECT_TRY(auto v, parse_config_value(k, it->second));
  std::vector<std::string> out;
  for (auto& s : v) {
    if (!s.get<std::string>().empty()) out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

result<transformation_chain> transformation_chain::create(const config_map& c,
                                                          const plugin_registry& plugins) {
  transformation_chain chain;
  std::map<std::string, std::shared_ptr<predicate>> predicates;
  CONNECT_TRY(auto predicate_names, list_of(c, "predicates"));
  for (const auto& name : predicate_names) {
    const std::string prefix = "predicates." + name + ".";
    auto type = c.find(prefix + "type");
    if (type == c.end())
      return make_error(errc::invalid_config,
                        fmt::format("Missing required configuration \"{}type\" which has no "
                                    "default value.",
                                    prefix));
    CONNECT_TRY(auto p, plugins.new_predicate(type->second));
    auto own = with_prefix(c, prefix);
    own.erase("type");
    if (auto r = p->configure(own); !r)
      return make_error(errc::invalid_config,
                        fmt::format("predicate {}: {}", name, r.error().message));
    predicates.emplace(name, std::shared_ptr<predicate>(std::move(p)));
  }
  CONNECT_TRY(auto names, list_of(c, "transforms"));
  for (const auto& name : names) {
    const std::string prefix = "transforms." + name + ".";
    auto type = c.find(prefix + "type");
    if (type == c.end())
      return make_error(errc::invalid_config,
                        fmt::format("Missing required configuration \"{}type\" which has no "
                                    "default value.",
                                    prefix));
    CONNECT_TRY(auto t, plugins.new_transformation(type->second));
    auto own = with_prefix(c, prefix);
    own.erase("type");
    stage s;
    s.alias = name;
    s.class_name = type->second;
    if (auto p = own.find("predicate"); p != own.end()) {
      auto found = predicates.find(p->second);
      if (found == predicates.end())
        return make_error(errc::invalid_config,
                          fmt::format("Invalid value {} for configuration {}predicate: The "
                                      "predicate is not listed in predicates",
                                      p->second, prefix));
      s.p = found->second;
      own.erase(p);
    }
    if (auto n = own.find("negate"); n != own.end()) {
      config_key k{.name = prefix + "negate", .type = config_type::boolean};
      CONNECT_TRY(auto v, parse_config_value(k, n->second));
      s.negate = v.get<bool>();
      own.erase(n);
    }
    if (auto r = t->configure(own); !r)
      return make_error(errc::invalid_config,
                        fmt::format("transformation {}: {}", name, r.error().message));
    s.t = std::move(t);
    chain.stages_.push_back(std::move(s));
  }
  return chain;
}

result<bool> transformation_chain::apply(connect_record& r, std::string* failed_class) {
  for (auto& s : stages_) {
    if (s.p) {
      auto m = s.p->test(r);
      if (!m) {
        if (failed_class) *failed_class = s.class_name;
        return m.error();
      }
      if (m.value() == s.negate) continue;
    }
    auto keep = s.t->apply(r);
    if (!keep) {
      if (failed_class) *failed_class = s.class_name;
      return keep.error();
    }
    if (!keep.value()) return false;
  }
  return true;
}

config_def transformation_chain::definitions(const config_map& c, const plugin_registry& plugins) {
  config_def d;
  auto names = list_of(c, "transforms");
  if (names) {
    for (const auto& name : names.value()) {
      const std::string prefix = "transforms." + name + ".";
      std::string group = "Transforms: " + name;
      d.define({.name = prefix + "type",
                .type = config_type::class_,
                .default_value = config_default::required(),
                .importance = config_importance::high,
                .documentation = "Class for the '" + name + "' transformation.",
                .validator = {[&plugins](const data& v) -> std::optional<std::string> {
                                if (v.is_string() && !plugins.find(v.get<std::string>(),
                                                                   plugin_type::transformation))
                                  return "Class " + v.get<std::string>() + " could not be found.";
                                return std::nullopt;
                              },
                              ""},
                .group = group,
                .order = 0,
                .width = config_width::long_,
                .display_name = "Transformation type for " + name});
      d.define({.name = prefix + "negate",
                .type = config_type::boolean,
                .default_value = config_default::of("false"),
                .importance = config_importance::medium,
                .documentation = "Whether the configured predicate should be negated.",
                .group = group,
                .order = 1,
                .width = config_width::medium,
                .display_name = "Negate?"});
      d.define({.name = prefix + "predicate",
                .type = config_type::string,
                .default_value = config_default::null(),
                .importance = config_importance::medium,
                .documentation = "The alias of a predicate used to determine whether to apply "
                                 "this transformation.",
                .group = group,
                .order = 2,
                .width = config_width::medium,
                .display_name = "Predicate"});
      if (auto t = c.find(prefix + "type"); t != c.end()) {
        if (const auto* p = plugins.find(t->second, plugin_type::transformation)) {
          int order = 3;
          for (auto k : p->config().keys()) {
            k.name = prefix + k.name;
            k.group = group;
            k.order = order++;
            if (!d.find(k.name)) d.define(std::move(k));
          }
        }
      }
    }
  }
  auto preds = list_of(c, "predicates");
  if (preds) {
    for (const auto& name : preds.value()) {
      const std::string prefix = "predicates." + name + ".";
      std::string group = "Predicates: " + name;
      d.define({.name = prefix + "type",
                .type = config_type::class_,
                .default_value = config_default::required(),
                .importance = config_importance::high,
                .documentation = "Class for the '" + name + "' predicate.",
                .group = group,
                .order = 0,
                .width = config_width::long_,
                .display_name = "Predicate type for " + name});
      if (auto t = c.find(prefix + "type"); t != c.end()) {
        if (const auto* p = plugins.find(t->second, plugin_type::predicate)) {
          int order = 1;
          for (auto k : p->config().keys()) {
            k.name = prefix + k.name;
            k.group = group;
            k.order = order++;
            if (!d.find(k.name)) d.define(std::move(k));
          }
        }
      }
    }
  }
  return d;
}

}  // namespace runnel::connect
