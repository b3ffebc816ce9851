// CloudEventsConverter: record values as CloudEvents 1.0 in the Kafka
// protocol binding's two modes.
//
//   structured  the value is the event as JSON (content-type
//               application/cloudevents+json): {"specversion":"1.0","id":…,
//               "source":…,"type":…,"time":…,"datacontenttype":…,"data":…}
//   binary      the value is the data alone; the attributes travel as ce_*
//               headers, the content type as `content-type`
//
// Writing (sources): the attributes come from ce_* headers the record
// already has (set by the connector, or by InsertHeader/HeaderFrom), else
// from cloudevents.source / cloudevents.type, a random id and the current
// time. Reading (sinks): either mode is recognised by its headers whatever
// cloudevents.mode says; the value becomes the event's data and every
// attribute a ce_* header, so both modes look the same to transformations
// and tasks.
#include <chrono>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "connect/convert/converters.h"
#include "connect/convert/json_data.h"

namespace runnel::connect {

namespace {

constexpr std::string_view structured_type = "application/cloudevents+json";

const config_def& cloudevents_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "cloudevents.mode",
              .type = config_type::string,
              .default_value = config_default::of("structured"),
              .importance = config_importance::high,
              .documentation = "structured: the value is the whole event as JSON; binary: the "
                               "value is the data, the attributes are ce_* headers.",
              .validator = validators::one_of({"structured", "binary"}, true),
              .group = "CloudEvents",
              .order = 1});
    d.define({.name = "cloudevents.source",
              .type = config_type::string,
              .default_value = config_default::of("/runnel/connect"),
              .importance = config_importance::medium,
              .documentation = "The event's source attribute when the record has no ce_source "
                               "header; \"/topics/<topic>\" is appended unless it ends in '/'.",
              .group = "CloudEvents",
              .order = 2});
    d.define({.name = "cloudevents.type",
              .type = config_type::string,
              .default_value = config_default::of("runnel.connect.record"),
              .importance = config_importance::medium,
              .documentation = "The event's type attribute when the record has no ce_type header.",
              .group = "CloudEvents",
              .order = 3});
    d.define({.name = "converter.type",
              .type = config_type::string,
              .default_value = config_default::null(),
              .importance = config_importance::low,
              .documentation = "How this converter will be used: key, value or header.",
              .validator = validators::one_of({"key", "value", "header"}, true)});
    return d;
  }();
  return def;
}

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", uint32_t(a >> 32),
                     uint32_t((a >> 16) & 0xffff), uint32_t(a & 0xffff), uint32_t(b >> 48),
                     b & 0xffffffffffffULL);
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", tm, int(ms % 1000));
}

const client::header* find(const std::vector<client::header>& hs, std::string_view key) {
  for (auto it = hs.rbegin(); it != hs.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

bool is_json_type(std::string_view ct) {
  return ct.empty() || ct.starts_with("application/json") || ct.ends_with("+json");
}

class cloudevents_converter final : public converter {
 public:
  const config_def& config() const override { return cloudevents_config(); }

  result<void> configure(const config_map& props, bool) override {
    CONNECT_TRY(auto c, cloudevents_config().parse(props));
    auto mode = c.get_string("cloudevents.mode");
    binary_ = mode == "binary" || mode == "BINARY";
    source_ = c.get_string("cloudevents.source");
    type_ = c.get_string("cloudevents.type");
    return ok();
  }

  result<std::optional<std::string>> from_connect(std::string_view topic,
                                                  std::vector<client::header>& headers,
                                                  const schema_ptr& s, const data& v) override {
    if (v.is_null() && !s) return std::optional<std::string>();  // tombstones stay tombstones
    CONNECT_TRY(auto payload, to_json(s, v));
    // Attributes from ce_* headers, defaults for the required ones.
    data event = data::object();
    event["specversion"] = "1.0";
    auto attr = [&](std::string_view name, std::string fallback) {
      const auto* h = find(headers, fmt::format("ce_{}", name));
      return h && h->value ? *h->value : std::move(fallback);
    };
    event["id"] = attr("id", random_uuid());
    event["source"] = attr(
        "source", source_.ends_with('/') ? source_ : fmt::format("{}/topics/{}", source_, topic));
    event["type"] = attr("type", type_);
    event["time"] = attr("time", now_rfc3339());
    for (const auto& h : headers) {
      if (!h.key.starts_with("ce_") || !h.value) continue;
      auto name = h.key.substr(3);
      if (!event.contains(name) && name != "datacontenttype") event[name] = *h.value;
    }
    const bool bytes = v.is_binary();
    std::string content_type = bytes ? "application/octet-stream" : "application/json";
    if (const auto* h = find(headers, "ce_datacontenttype"); h && h->value)
      content_type = *h->value;

    if (!binary_) {
      std::erase_if(headers, [](const client::header& h) { return h.key.starts_with("ce_"); });
      event["datacontenttype"] = content_type;
      if (bytes)
        event["data_base64"] = base64_encode(bytes_of(v));
      else
        event["data"] = std::move(payload);
      set_header(headers, "content-type", std::string(structured_type));
      return std::optional<std::string>(event.dump(-1, ' ', false, data::error_handler_t::replace));
    }
    for (const auto& [k, val] : event.items())
      set_header(headers, "ce_" + k, val.get<std::string>());
    set_header(headers, "content-type", content_type);
    if (bytes) return std::optional<std::string>(std::string(bytes_of(v)));
    if (payload.is_string() && !is_json_type(content_type))
      return std::optional<std::string>(payload.get<std::string>());
    return std::optional<std::string>(payload.dump(-1, ' ', false, data::error_handler_t::replace));
  }

  result<schema_and_value> to_connect(std::string_view, std::vector<client::header>& headers,
                                      std::optional<std::string_view> bytes) override {
    const auto* ct = find(headers, "content-type");
    const bool structured = (ct && ct->value && ct->value->starts_with(structured_type)) ||
                            (!find(headers, "ce_specversion") && !binary_);
    if (!bytes) return schema_and_value{};
    if (structured) {
      auto j = data::parse(bytes->begin(), bytes->end(), nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("specversion"))
        return make_error(errc::data,
                          "not a structured CloudEvent: the value must be a JSON "
                          "object with a specversion");
      data value;
      for (auto& [k, val] : j.items()) {
        if (k == "data") {
          value = val;
        } else if (k == "data_base64") {
          auto b = base64_decode(val.is_string() ? val.get<std::string>() : std::string());
          if (!b) return make_error(errc::data, "CloudEvent data_base64 is not base64");
          value = make_bytes(*b);
        } else {
          set_header(headers, "ce_" + k, val.is_string() ? val.get<std::string>() : val.dump());
        }
      }
      return schema_and_value{nullptr, std::move(value)};
    }
    std::string content_type;
    if (ct && ct->value) content_type = *ct->value;
    if (const auto* h = find(headers, "ce_datacontenttype"); h && h->value)
      content_type = *h->value;
    if (is_json_type(content_type)) {
      auto j = data::parse(bytes->begin(), bytes->end(), nullptr, false);
      if (!j.is_discarded()) return schema_and_value{nullptr, std::move(j)};
    }
    if (content_type.starts_with("text/"))
      return schema_and_value{schemas::optional_string(), data(std::string(*bytes))};
    return schema_and_value{schemas::optional_bytes(), make_bytes(*bytes)};
  }

 private:
  static void set_header(std::vector<client::header>& hs, const std::string& key,
                         std::string value) {
    std::erase_if(hs, [&](const client::header& h) { return h.key == key; });
    hs.push_back({key, std::move(value)});
  }

  bool binary_ = false;
  std::string source_;
  std::string type_;
};

}  // namespace

std::unique_ptr<converter> make_cloudevents_converter() {
  return std::make_unique<cloudevents_converter>();
}

}  // namespace runnel::connect
