#include "connect/runtime/task_converters.h"

#include <fmt/format.h>

namespace runnel::connect {

result<task_converters> task_converters::create(const worker_config& w, const connector_config& c,
                                                const plugin_registry& plugins) {
  task_converters t;
  t.key_class = c.key_converter.value_or(w.key_converter);
  t.value_class = c.value_converter.value_or(w.value_converter);
  t.header_class = c.header_converter.value_or(w.header_converter);
  CONNECT_TRY(t.key, plugins.new_converter(t.key_class));
  CONNECT_TRY(t.value, plugins.new_converter(t.value_class));
  CONNECT_TRY(t.headers, plugins.new_header_converter(t.header_class));
  auto configure = [&](converter& conv, std::string_view role, bool is_key) -> result<void> {
    if (auto r = conv.configure(c.converter_props(w.originals, role), is_key); !r)
      return make_error(errc::invalid_config, fmt::format("{}: {}", role, r.error().message));
    return ok();
  };
  CONNECT_TRY(configure(*t.key, "key.converter", true));
  CONNECT_TRY(configure(*t.value, "value.converter", false));
  if (auto r = t.headers->configure(c.converter_props(w.originals, "header.converter")); !r)
    return make_error(errc::invalid_config, "header.converter: " + r.error().message);
  return t;
}

result<std::vector<client::header>> task_converters::to_kafka(std::string_view topic,
                                                              const std::vector<header>& hs) {
  std::vector<client::header> out;
  out.reserve(hs.size());
  for (const auto& h : hs) {
    CONNECT_TRY(auto bytes, headers->from_connect_header(topic, h.key, h.schema, h.value));
    out.push_back({h.key, std::move(bytes)});
  }
  return out;
}

result<std::vector<header>> task_converters::from_kafka(std::string_view topic,
                                                        const std::vector<client::header>& hs) {
  std::vector<header> out;
  out.reserve(hs.size());
  for (const auto& h : hs) {
    CONNECT_TRY(auto sv, headers->to_connect_header(
                             topic, h.key,
                             h.value ? std::optional<std::string_view>(*h.value) : std::nullopt));
    out.push_back({h.key, std::move(sv.schema), std::move(sv.value)});
  }
  return out;
}

}  // namespace runnel::connect
