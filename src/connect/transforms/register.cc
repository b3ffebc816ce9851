// register_transformations: every SMT and predicate under Kafka's class names.
#include "connect/register.h"
#include "connect/api/plugins.h"
#include "connect/transforms/transforms.h"

namespace runnel::connect {

void register_transformations(plugin_registry& r) {
  using namespace transforms;
  const std::string base = "org.apache.kafka.connect.transforms.";
  auto add = [&](std::string name, std::function<std::unique_ptr<plugin_instance>()> make,
                 plugin_type t = plugin_type::transformation) {
    r.add({.class_name = base + name, .type = t, .make = std::move(make)});
  };
  auto sided = [&](const std::string& name, std::unique_ptr<transformation> (*make)(side)) {
    add(name + "$Key", [make] { return make(side::key); });
    add(name + "$Value", [make] { return make(side::value); });
  };
  sided("InsertField", make_insert_field);
  sided("ReplaceField", make_replace_field);
  sided("MaskField", make_mask_field);
  sided("ExtractField", make_extract_field);
  sided("HoistField", make_hoist_field);
  sided("Cast", make_cast);
  sided("Flatten", make_flatten);
  sided("TimestampConverter", make_timestamp_converter);
  sided("HeaderFrom", make_header_from);
  add("ValueToKey", [] { return make_value_to_key(); });
  add("TimestampRouter", [] { return make_timestamp_router(); });
  add("RegexRouter", [] { return make_regex_router(); });
  add("Filter", [] { return make_filter(); });
  add("InsertHeader", [] { return make_insert_header(); });
  add("DropHeaders", [] { return make_drop_headers(); });
  add(
      "predicates.TopicNameMatches", [] { return make_topic_name_matches(); },
      plugin_type::predicate);
  add(
      "predicates.HasHeaderKey", [] { return make_has_header_key(); }, plugin_type::predicate);
  add(
      "predicates.RecordIsTombstone", [] { return make_record_is_tombstone(); },
      plugin_type::predicate);
}

}  // namespace runnel::connect
