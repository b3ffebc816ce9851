// The topic routers and Filter:
//   RegexRouter      a topic the whole `regex` matches becomes `replacement`
//                    ($1… name the groups, as in Java's replaceFirst)
//   TimestampRouter  topic.format with ${topic} and ${timestamp} (the
//                    record's timestamp in timestamp.format, UTC)
//   Filter           drops every record (used with a predicate)
#include <regex>

#include <fmt/format.h>

#include "connect/transforms/date_format.h"
#include "connect/transforms/transforms.h"

namespace runnel::connect::transforms {

namespace {

const config_def& regex_router_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "regex",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Regular expression to use for matching.",
              .validator = validators::regex()});
    d.define({.name = "replacement",
              .type = config_type::string,
              .default_value = config_default::required(),
              .importance = config_importance::high,
              .documentation = "Replacement string."});
    return d;
  }();
  return def;
}

// Java's replacement syntax ($n, \x) in ECMAScript's ($n, $$).
result<std::string> ecma_replacement(const std::string& java) {
  std::string out;
  for (size_t i = 0; i < java.size(); ++i) {
    char c = java[i];
    if (c == '\\' && i + 1 < java.size()) {
      char n = java[++i];
      out += n == '$' ? std::string("$$") : std::string(1, n);
    } else if (c == '$') {
      if (i + 1 < java.size() && java[i + 1] == '{')
        return make_error(errc::invalid_config,
                          "named groups (${name}) are not supported in "
                          "replacement: " +
                              java);
      out += '$';
    } else {
      out += c;
    }
  }
  return out;
}

class regex_router final : public transformation {
 public:
  const config_def& config() const override { return regex_router_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, regex_router_config().parse(props));
    regex_ = std::regex(c.get_string("regex"));
    CONNECT_TRY(replacement_, ecma_replacement(c.get_string("replacement")));
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    if (std::regex_match(r.topic, regex_))
      r.topic = std::regex_replace(r.topic, regex_, replacement_,
                                   std::regex_constants::format_first_only);
    return true;
  }

 private:
  std::regex regex_;
  std::string replacement_;
};

const config_def& timestamp_router_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "topic.format",
              .type = config_type::string,
              .default_value = config_default::of("${topic}-${timestamp}"),
              .importance = config_importance::high,
              .documentation = "Format string which can contain <code>${topic}</code> and "
                               "<code>${timestamp}</code> as placeholders for the topic and "
                               "timestamp, respectively."});
    d.define({.name = "timestamp.format",
              .type = config_type::string,
              .default_value = config_default::of("yyyyMMdd"),
              .importance = config_importance::high,
              .documentation = "Format string for the timestamp that is compatible with "
                               "<code>java.text.SimpleDateFormat</code>."});
    return d;
  }();
  return def;
}

class timestamp_router final : public transformation {
 public:
  const config_def& config() const override { return timestamp_router_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, timestamp_router_config().parse(props));
    topic_format_ = c.get_string("topic.format");
    CONNECT_TRY(auto f, date_format::compile(c.get_string("timestamp.format")));
    format_ = std::move(f);
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    if (!r.timestamp)
      return make_error(errc::data, fmt::format("Timestamp missing on record: topic {}", r.topic));
    std::string out = topic_format_;
    replace_all(out, "${topic}", r.topic);
    replace_all(out, "${timestamp}", format_->format(*r.timestamp));
    r.topic = std::move(out);
    return true;
  }

 private:
  static void replace_all(std::string& s, std::string_view what, const std::string& with) {
    for (size_t pos = 0; (pos = s.find(what, pos)) != std::string::npos; pos += with.size())
      s.replace(pos, what.size(), with);
  }

  std::string topic_format_;
  std::optional<date_format> format_;
};

class filter final : public transformation {
 public:
  const config_def& config() const override {
    static const config_def def;
    return def;
  }
  result<void> configure(const config_map&) override { return ok(); }
  result<bool> apply(connect_record&) override { return false; }
};

}  // namespace

std::unique_ptr<transformation> make_regex_router() {
  return std::make_unique<regex_router>();
}
std::unique_ptr<transformation> make_timestamp_router() {
  return std::make_unique<timestamp_router>();
}
std::unique_ptr<transformation> make_filter() {
  return std::make_unique<filter>();
}

}  // namespace runnel::connect::transforms
