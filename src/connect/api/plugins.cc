#include "connect/api/plugins.h"

#include <mutex>

#include <fmt/format.h>

#include "connect/api/sink_task.h"
#include "connect/api/source_task.h"
#include "connect/register.h"

namespace runnel::connect {

std::string_view plugin_type_name(plugin_type t) {
  switch (t) {
    case plugin_type::source:
      return "source";
    case plugin_type::sink:
      return "sink";
    case plugin_type::converter:
      return "converter";
    case plugin_type::header_converter:
      return "header_converter";
    case plugin_type::transformation:
      return "transformation";
    case plugin_type::predicate:
      return "predicate";
  }
  return "unknown";
}

std::string simple_class_name(std::string_view class_name) {
  auto dot = class_name.rfind('.');
  return std::string(dot == std::string_view::npos ? class_name : class_name.substr(dot + 1));
}

std::string pruned_class_name(std::string_view class_name) {
  std::string s = simple_class_name(class_name);
  for (std::string_view suffix : {"Connector", "Converter"})
    if (s.size() > suffix.size() && s.ends_with(suffix))
      return s.substr(0, s.size() - suffix.size());
  return s;
}

std::string_view runnel_version() {
#ifdef RUNNEL_VERSION
  return RUNNEL_VERSION;
#else
  return "0.0.0";
#endif
}

const config_def& plugin::config() const {
  // A plugin's config() is the same for every instance; one sample answers.
  static std::mutex m;
  std::lock_guard lock(m);
  if (!sample) sample = make();
  return sample->config();
}

const plugin_registry& plugin_registry::builtin() {
  static const plugin_registry r = [] {
    plugin_registry out;
    register_builtin_plugins(out);
    return out;
  }();
  return r;
}

void plugin_registry::add(plugin p) {
  if (p.version.empty()) p.version = std::string(runnel_version());
  plugins_.push_back(std::move(p));
}

const plugin* plugin_registry::find(std::string_view name, std::optional<plugin_type> type) const {
  auto type_ok = [&](const plugin& p) {
    if (!type) return true;
    // A source or sink is asked for as either when the caller wants "a connector".
    return p.type == *type;
  };
  for (const auto& p : plugins_)
    if (type_ok(p) && p.class_name == name) return &p;
  for (const auto& p : plugins_) {
    if (!type_ok(p)) continue;
    if (simple_class_name(p.class_name) == name || pruned_class_name(p.class_name) == name)
      return &p;
    for (const auto& a : p.aliases)
      if (a == name) return &p;
  }
  return nullptr;
}

std::vector<const plugin*> plugin_registry::list(std::optional<plugin_type> type) const {
  std::vector<const plugin*> out;
  for (const auto& p : plugins_)
    if (!type || p.type == *type) out.push_back(&p);
  return out;
}

namespace {

template <class T>
result<std::unique_ptr<T>> make_as(const plugin_registry& r, std::string_view name,
                                   std::initializer_list<plugin_type> types,
                                   std::string_view what) {
  const plugin* p = nullptr;
  for (auto t : types)
    if ((p = r.find(name, t))) break;
  if (!p) {
    // Kafka's sentence, so that scripts matching it keep working.
    return make_error(errc::invalid_config,
                      fmt::format("Failed to find any class that implements {} and which name "
                                  "matches {}",
                                  what, name));
  }
  auto inst = p->make();
  auto* typed = dynamic_cast<T*>(inst.get());
  if (!typed) return make_error(errc::fatal, fmt::format("plugin {} is not a {}", name, what));
  inst.release();
  return std::unique_ptr<T>(typed);
}

}  // namespace

result<std::unique_ptr<connector>> plugin_registry::new_connector(std::string_view name) const {
  return make_as<connector>(*this, name, {plugin_type::source, plugin_type::sink}, "Connector");
}

result<std::unique_ptr<converter>> plugin_registry::new_converter(std::string_view name) const {
  return make_as<converter>(*this, name, {plugin_type::converter}, "Converter");
}

result<std::unique_ptr<header_converter>> plugin_registry::new_header_converter(
    std::string_view name) const {
  return make_as<header_converter>(*this, name, {plugin_type::header_converter}, "HeaderConverter");
}

result<std::unique_ptr<transformation>> plugin_registry::new_transformation(
    std::string_view name) const {
  return make_as<transformation>(*this, name, {plugin_type::transformation}, "Transformation");
}

result<std::unique_ptr<predicate>> plugin_registry::new_predicate(std::string_view name) const {
  return make_as<predicate>(*this, name, {plugin_type::predicate}, "Predicate");
}

// Defaults of the plugin interfaces.

std::vector<config_value> connector::validate(const config_map& props) const {
  return config().validate(props);
}

exactly_once_support source_connector::exactly_once(const config_map&) const {
  return exactly_once_support::unsupported;
}

bool source_connector::can_define_transaction_boundaries(const config_map&) const {
  return false;
}

result<bool> source_connector::alter_offsets(
    const config_map&, const std::vector<std::pair<data, std::optional<data>>>&) {
  return false;
}

result<bool> sink_connector::alter_offsets(
    const config_map&, const std::map<client::topic_partition, std::optional<int64_t>>&) {
  return false;
}

std::vector<std::optional<data>> offset_reader::offsets(const std::vector<data>& partitions) {
  std::vector<std::optional<data>> out;
  out.reserve(partitions.size());
  for (const auto& p : partitions) out.push_back(offset(p));
  return out;
}

void source_task::commit_record(const source_record&, const record_metadata*) {}

result<void> sink_task::open(const std::vector<client::topic_partition>&) {
  return ok();
}

result<offset_map> sink_task::pre_commit(const offset_map& current) {
  CONNECT_TRY(flush(current));
  return current;
}

result<void> sink_task::flush(const offset_map&) {
  return ok();
}

result<void> sink_task::close(const std::vector<client::topic_partition>&) {
  return ok();
}

}  // namespace runnel::connect
