#include "connect/api/config_def.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string invalid(const config_key& k, std::string_view text, std::string_view why) {
  return fmt::format("Invalid value {} for configuration {}: {}", text, k.name, why);
}

}  // namespace

std::string_view type_name(config_type t) {
  switch (t) {
    case config_type::boolean:
      return "BOOLEAN";
    case config_type::string:
      return "STRING";
    case config_type::int_:
      return "INT";
    case config_type::short_:
      return "SHORT";
    case config_type::long_:
      return "LONG";
    case config_type::double_:
      return "DOUBLE";
    case config_type::list:
      return "LIST";
    case config_type::class_:
      return "CLASS";
    case config_type::password:
      return "PASSWORD";
  }
  return "STRING";
}

std::string_view importance_name(config_importance i) {
  switch (i) {
    case config_importance::high:
      return "HIGH";
    case config_importance::medium:
      return "MEDIUM";
    case config_importance::low:
      return "LOW";
  }
  return "MEDIUM";
}

std::string_view width_name(config_width w) {
  switch (w) {
    case config_width::none:
      return "NONE";
    case config_width::short_:
      return "SHORT";
    case config_width::medium:
      return "MEDIUM";
    case config_width::long_:
      return "LONG";
  }
  return "NONE";
}

namespace validators {

config_validator at_least(int64_t min) {
  return {[min](const data& v) -> std::optional<std::string> {
            if (v.is_number() && v.get<double>() < double(min))
              return fmt::format("Value must be at least {}", min);
            return std::nullopt;
          },
          fmt::format("[{},...]", min)};
}

config_validator between(int64_t min, int64_t max) {
  return {[min, max](const data& v) -> std::optional<std::string> {
            if (!v.is_number()) return std::nullopt;
            if (v.get<double>() < double(min)) return fmt::format("Value must be at least {}", min);
            if (v.get<double>() > double(max))
              return fmt::format("Value must be no more than {}", max);
            return std::nullopt;
          },
          fmt::format("[{},...,{}]", min, max)};
}

config_validator one_of(std::vector<std::string> values, bool case_insensitive) {
  std::string joined = fmt::format("{}", fmt::join(values, ", "));
  return {[values, case_insensitive, joined](const data& v) -> std::optional<std::string> {
            if (!v.is_string()) return std::nullopt;
            const auto s = v.get<std::string>();
            for (const auto& x : values)
              if (case_insensitive ? lower(x) == lower(s) : x == s) return std::nullopt;
            return fmt::format("String must be one of{}: {}",
                               case_insensitive ? " (case insensitive)" : "", joined);
          },
          "[" + joined + "]"};
}

config_validator non_empty_string() {
  return {[](const data& v) -> std::optional<std::string> {
            if (v.is_string() && v.get<std::string>().empty()) return "String must be non-empty";
            return std::nullopt;
          },
          "non-empty string"};
}

config_validator regex() {
  return {[](const data& v) -> std::optional<std::string> {
            if (!v.is_string()) return std::nullopt;
            try {
              std::regex re(v.get<std::string>());
            } catch (const std::regex_error& e) {
              return fmt::format("Invalid regular expression: {}", e.what());
            }
            return std::nullopt;
          },
          "a regular expression"};
}

}  // namespace validators

config_key make_config_key(std::string name, config_type type, config_default def,
                           config_importance imp, std::string doc, std::string group,
                           config_validator v) {
  return config_key{.name = std::move(name),
                    .type = type,
                    .default_value = std::move(def),
                    .importance = imp,
                    .documentation = std::move(doc),
                    .validator = std::move(v),
                    .group = std::move(group)};
}

config_def& config_def::define(config_key k) {
  if (find(k.name)) throw std::logic_error("config key defined twice: " + k.name);
  keys_.push_back(std::move(k));
  return *this;
}

config_def& config_def::merge(const config_def& other) {
  for (const auto& k : other.keys_)
    if (!find(k.name)) keys_.push_back(k);
  return *this;
}

const config_key* config_def::find(std::string_view name) const {
  for (const auto& k : keys_)
    if (k.name == name) return &k;
  return nullptr;
}

std::vector<std::string> config_def::groups() const {
  std::vector<std::string> out;
  for (const auto& k : keys_)
    if (!k.group.empty() && std::find(out.begin(), out.end(), k.group) == out.end())
      out.push_back(k.group);
  return out;
}

result<data> parse_config_value(const config_key& k, std::string_view raw) {
  const std::string text = trim(raw);
  auto fail = [&](std::string_view why) {
    return make_error(errc::invalid_config, invalid(k, raw, why));
  };
  switch (k.type) {
    case config_type::boolean: {
      auto l = lower(text);
      if (l == "true") return data(true);
      if (l == "false") return data(false);
      return fail("Expected value to be either true or false");
    }
    case config_type::int_:
    case config_type::short_:
    case config_type::long_: {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      const char* tn = k.type == config_type::int_     ? "INT"
                       : k.type == config_type::short_ ? "SHORT"
                                                       : "LONG";
      if (text.empty() || ec != std::errc() || p != text.data() + text.size())
        return fail(fmt::format("Not a number of type {}", tn));
      if ((k.type == config_type::int_ && (n < INT32_MIN || n > INT32_MAX)) ||
          (k.type == config_type::short_ && (n < INT16_MIN || n > INT16_MAX)))
        return fail(fmt::format("Not a number of type {}", tn));
      return data(n);
    }
    case config_type::double_: {
      try {
        size_t used = 0;
        double d = std::stod(text, &used);
        if (used != text.size()) return fail("Not a number of type DOUBLE");
        return data(d);
      } catch (...) {
        return fail("Not a number of type DOUBLE");
      }
    }
    case config_type::list: {
      data out = data::array();
      if (text.empty()) return out;
      size_t start = 0;
      for (;;) {
        auto comma = text.find(',', start);
        out.push_back(trim(std::string_view(text).substr(start, comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return out;
    }
    case config_type::string:
    case config_type::class_:
      return data(text);
    case config_type::password:
      return data(std::string(raw));  // secrets keep their spaces
  }
  return data(text);
}

std::vector<config_value> config_def::validate(const config_map& props) const {
  std::vector<config_value> out;
  out.reserve(keys_.size());
  for (const auto& k : keys_) {
    config_value cv;
    cv.name = k.name;
    cv.recommended_values = k.recommended_values;
    auto it = props.find(k.name);
    std::optional<data> parsed;
    if (it != props.end()) {
      cv.value = it->second;
      auto r = parse_config_value(k, it->second);
      if (!r)
        cv.errors.push_back(r.error().message);
      else
        parsed = std::move(r).value();
    } else if (k.default_value.what == config_default::kind::value) {
      cv.value = k.default_value.text;
      auto r = parse_config_value(k, k.default_value.text);
      if (r) parsed = std::move(r).value();
    } else if (k.required()) {
      cv.errors.push_back(
          fmt::format("Missing required configuration \"{}\" which has no default value.", k.name));
    }
    if (parsed && k.validator) {
      if (auto why = k.validator.check(*parsed))
        cv.errors.push_back(invalid(k, cv.value.value_or(""), *why));
    }
    if (k.type == config_type::password && cv.value) cv.value = "[hidden]";
    out.push_back(std::move(cv));
  }
  return out;
}

result<parsed_config> config_def::parse(const config_map& props) const {
  std::map<std::string, data, std::less<>> values;
  std::vector<std::string> errors;
  for (const auto& k : keys_) {
    auto it = props.find(k.name);
    if (it == props.end()) {
      switch (k.default_value.what) {
        case config_default::kind::required:
          errors.push_back(fmt::format(
              "Missing required configuration \"{}\" which has no default value.", k.name));
          continue;
        case config_default::kind::null:
          values.emplace(k.name, nullptr);
          continue;
        case config_default::kind::value:
          break;
      }
    }
    const std::string& text = it != props.end() ? it->second : k.default_value.text;
    auto r = parse_config_value(k, text);
    if (!r) {
      errors.push_back(r.error().message);
      continue;
    }
    if (k.validator) {
      if (auto why = k.validator.check(r.value())) {
        errors.push_back(invalid(k, k.type == config_type::password ? "[hidden]" : text, *why));
        continue;
      }
    }
    values.emplace(k.name, std::move(r).value());
  }
  if (!errors.empty())
    return make_error(errc::invalid_config, fmt::format("{}", fmt::join(errors, "; ")));
  return parsed_config(std::move(values), props);
}

bool parsed_config::has(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->second.is_null();
}

const data& parsed_config::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("config key not defined: " + std::string(name));
  return it->second;
}

std::string parsed_config::get_string(std::string_view name) const {
  const auto& v = get(name);
  if (v.is_null()) return {};
  if (!v.is_string()) throw std::logic_error("config key is not a string: " + std::string(name));
  return v.get<std::string>();
}

std::optional<std::string> parsed_config::get_optional_string(std::string_view name) const {
  const auto& v = get(name);
  if (v.is_null()) return std::nullopt;
  return get_string(name);
}

int64_t parsed_config::get_long(std::string_view name) const {
  const auto& v = get(name);
  if (!v.is_number_integer())
    throw std::logic_error("config key is not an integer: " + std::string(name));
  return v.get<int64_t>();
}

double parsed_config::get_double(std::string_view name) const {
  const auto& v = get(name);
  if (!v.is_number()) throw std::logic_error("config key is not a number: " + std::string(name));
  return v.get<double>();
}

bool parsed_config::get_bool(std::string_view name) const {
  const auto& v = get(name);
  if (!v.is_boolean()) throw std::logic_error("config key is not a boolean: " + std::string(name));
  return v.get<bool>();
}

std::vector<std::string> parsed_config::get_list(std::string_view name) const {
  const auto& v = get(name);
  if (v.is_null()) return {};
  if (!v.is_array()) throw std::logic_error("config key is not a list: " + std::string(name));
  return v.get<std::vector<std::string>>();
}

config_map parsed_config::originals_with_prefix(std::string_view prefix) const {
  return with_prefix(originals_, prefix);
}

config_map with_prefix(const config_map& m, std::string_view prefix) {
  config_map out;
  for (auto it = m.lower_bound(std::string(prefix)); it != m.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.emplace(it->first.substr(prefix.size()), it->second);
  }
  return out;
}

result<config_map> parse_properties(std::string_view text) {
  config_map out;
  // Logical lines: a line ending in an odd number of backslashes continues.
  std::vector<std::string> lines;
  std::string current;
  bool continuing = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find_first_of("\r\n", pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (nl != std::string_view::npos && text[nl] == '\r' && pos < text.size() && text[pos] == '\n')
      ++pos;
    size_t b = 0;
    while (b < line.size() && (line[b] == ' ' || line[b] == '\t' || line[b] == '\f')) ++b;
    line.remove_prefix(b);
    if (!continuing && (line.empty() || line[0] == '#' || line[0] == '!')) continue;
    size_t slashes = 0;
    while (slashes < line.size() && line[line.size() - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 1) {
      current.append(line.substr(0, line.size() - 1));
      continuing = true;
      continue;
    }
    current.append(line);
    lines.push_back(std::move(current));
    current.clear();
    continuing = false;
  }
  if (continuing) lines.push_back(std::move(current));

  auto unescape = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 == s.size()) {
        out += s[i];
        continue;
      }
      char c = s[++i];
      switch (c) {
        case 't':
          out += '\t';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u':
          if (i + 4 < s.size()) {
            unsigned cp = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 5, cp, 16);
            if (ec == std::errc() && p == s.data() + i + 5) {
              if (cp < 0x80) {
                out += char(cp);
              } else if (cp < 0x800) {
                out += char(0xC0 | (cp >> 6));
                out += char(0x80 | (cp & 0x3F));
              } else {
                out += char(0xE0 | (cp >> 12));
                out += char(0x80 | ((cp >> 6) & 0x3F));
                out += char(0x80 | (cp & 0x3F));
              }
              i += 4;
              break;
            }
          }
          out += 'u';
          break;
        default:
          out += c;
      }
    }
    return out;
  };

  for (const auto& line : lines) {
    // The key ends at the first unescaped '=', ':' or whitespace.
    size_t i = 0;
    while (i < line.size()) {
      char c = line[i];
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') break;
      ++i;
    }
    std::string key = unescape(std::string_view(line).substr(0, std::min(i, line.size())));
    size_t v = i;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t' || line[v] == '\f')) ++v;
    if (v < line.size() && (line[v] == '=' || line[v] == ':')) ++v;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t' || line[v] == '\f')) ++v;
    out[key] = unescape(std::string_view(line).substr(std::min(v, line.size())));
  }
  return out;
}

}  // namespace runnel::connect
