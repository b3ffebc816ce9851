// register_converters: the converters of converters.h under Kafka's class names.
#include "connect/register.h"
#include "connect/api/plugins.h"
#include "connect/convert/converters.h"

namespace runnel::connect {

void register_converters(plugin_registry& r) {
  auto add = [&](std::string name, std::function<std::unique_ptr<plugin_instance>()> make,
                 plugin_type t = plugin_type::converter) {
    r.add({.class_name = std::move(name), .type = t, .make = std::move(make)});
  };
  add("org.apache.kafka.connect.json.JsonConverter", [] { return make_json_converter(); });
  add("org.apache.kafka.connect.storage.StringConverter", [] { return make_string_converter(); });
  add("org.apache.kafka.connect.converters.ByteArrayConverter",
      [] { return make_bytes_converter(); });
  add("org.apache.kafka.connect.converters.BooleanConverter",
      [] { return make_number_converter(schema_type::boolean); });
  add("org.apache.kafka.connect.converters.ShortConverter",
      [] { return make_number_converter(schema_type::int16); });
  add("org.apache.kafka.connect.converters.IntegerConverter",
      [] { return make_number_converter(schema_type::int32); });
  add("org.apache.kafka.connect.converters.LongConverter",
      [] { return make_number_converter(schema_type::int64); });
  add("org.apache.kafka.connect.converters.FloatConverter",
      [] { return make_number_converter(schema_type::float32); });
  add("org.apache.kafka.connect.converters.DoubleConverter",
      [] { return make_number_converter(schema_type::float64); });
  add("runnel.connect.converters.CloudEventsConverter",
      [] { return make_cloudevents_converter(); });
  add(
      "org.apache.kafka.connect.storage.SimpleHeaderConverter",
      [] { return make_simple_header_converter(); }, plugin_type::header_converter);
  // Kafka lists JsonConverter and StringConverter as header converters too;
  // runnel's header converter handles both shapes.
}

}  // namespace runnel::connect
