// Configuration definitions (Kafka's ConfigDef): every key a connector,
// converter or transformation accepts, with its type, default, importance,
// documentation and validator. One definition serves three purposes: parsing
// a config map into typed values, the REST API's validation answer
// (`PUT /connector-plugins/{plugin}/config/validate`, `GET
// /connector-plugins/{plugin}/config`) and the generated key tables in
// docs/connect/.
//
// Values arrive as strings (a connector config is a JSON object of strings,
// as in Kafka Connect) and parse as Kafka parses them: booleans
// case-insensitively, numbers trimmed, lists split at commas and trimmed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"

namespace runnel::connect {

// A connector's (or any plugin's) configuration as given: name → string.
using config_map = std::map<std::string, std::string>;

enum class config_type { boolean, string, int_, short_, long_, double_, list, class_, password };
enum class config_importance { high, medium, low };
enum class config_width { none, short_, medium, long_ };

std::string_view type_name(config_type t);  // Kafka's: "BOOLEAN", "STRING", "INT", ...
std::string_view importance_name(config_importance i);
std::string_view width_name(config_width w);

// A key's default: none (the key is required), null, or a value written as
// the user would write it.
struct config_default {
  enum class kind { required, null, value };
  kind what = kind::null;
  std::string text;

  static config_default required() { return {kind::required, {}}; }
  static config_default null() { return {kind::null, {}}; }
  static config_default of(std::string v) { return {kind::value, std::move(v)}; }
};

// Checks a parsed value; returns the reason it is refused, or nullopt.
// `describe` is the valid range or set for the documentation ("[1,...]").
struct config_validator {
  std::function<std::optional<std::string>(const data& parsed)> check;
  std::string describe;

  explicit operator bool() const { return bool(check); }
};

namespace validators {
config_validator at_least(int64_t min);
config_validator between(int64_t min, int64_t max);
config_validator one_of(std::vector<std::string> values, bool case_insensitive = false);
config_validator non_empty_string();
// A java.util.regex-style pattern that std::regex (ECMAScript) accepts.
config_validator regex();
}  // namespace validators

struct config_key {
  std::string name;
  config_type type = config_type::string;
  config_default default_value = config_default::null();
  config_importance importance = config_importance::medium;
  std::string documentation;
  config_validator validator;
  std::string group;  // "" : no group
  int order = -1;
  config_width width = config_width::none;
  std::string display_name;  // "" : the name
  std::vector<std::string> dependents;
  // Values to offer in a UI (Kafka's Recommender), when the set is fixed.
  std::vector<std::string> recommended_values;

  bool required() const { return default_value.what == config_default::kind::required; }
};

// A key in the shape most definitions need (name, type, default,
// importance, documentation, group, validator); the other fields keep their
// defaults. One helper for every connector's config_def.
config_key make_config_key(std::string name, config_type type, config_default def,
                           config_importance imp, std::string doc, std::string group = {},
                           config_validator v = {});

// The result of validating one key (an entry of the REST validation answer).
struct config_value {
  std::string name;
  std::optional<std::string> value;  // as given, or the default's text
  std::vector<std::string> recommended_values;
  std::vector<std::string> errors;
  bool visible = true;
};

class parsed_config;

class config_def {
 public:
  config_def& define(config_key k);
  // Every key of `other` not already defined here.
  config_def& merge(const config_def& other);

  const std::vector<config_key>& keys() const { return keys_; }
  const config_key* find(std::string_view name) const;
  // The groups in the order their first key was defined.
  std::vector<std::string> groups() const;

  // One config_value per defined key, errors included; never fails.
  std::vector<config_value> validate(const config_map& props) const;
  // Typed values, or every error found (errc::invalid_config) as one sentence.
  result<parsed_config> parse(const config_map& props) const;

 private:
  std::vector<config_key> keys_;
};

// Parses one value as `type`; the error is Kafka's sentence.
result<data> parse_config_value(const config_key& k, std::string_view text);

// Typed access to a config parsed by a config_def. Getters take a defined
// key's name; asking for an undefined key or the wrong type is a programming
// error (std::logic_error), as with Kafka's AbstractConfig.
class parsed_config {
 public:
  parsed_config() = default;
  parsed_config(std::map<std::string, data, std::less<>> values, config_map originals)
      : values_(std::move(values)), originals_(std::move(originals)) {}

  bool has(std::string_view name) const;  // defined and not null
  std::string get_string(std::string_view name) const;
  std::optional<std::string> get_optional_string(std::string_view name) const;
  int64_t get_long(std::string_view name) const;
  int32_t get_int(std::string_view name) const { return int32_t(get_long(name)); }
  double get_double(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  std::vector<std::string> get_list(std::string_view name) const;
  const data& get(std::string_view name) const;

  const config_map& originals() const { return originals_; }
  // The original entries whose names start with `prefix`, with the prefix
  // removed (Kafka's originalsWithPrefix).
  config_map originals_with_prefix(std::string_view prefix) const;

 private:
  std::map<std::string, data, std::less<>> values_;
  config_map originals_;
};

// Java-properties text (key=value or key: value lines, # and ! comments,
// backslash continuations and escapes), as Kafka's worker and connector
// .properties files are written.
result<config_map> parse_properties(std::string_view text);

// The entries of `m` whose names start with `prefix`, prefix removed.
config_map with_prefix(const config_map& m, std::string_view prefix);

}  // namespace runnel::connect
