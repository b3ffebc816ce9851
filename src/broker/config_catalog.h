// What DescribeConfigs says about a setting beyond its value: Kafka's type
// for it, one line of documentation, and (for a topic setting) the broker
// setting that holds its default, which Kafka reports as a synonym. The values
// themselves live in storage::log_config (topics) and broker_config (broker).
//
// Immutable tables: safe to read from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker_config.h"

namespace runnel::broker {

// DescribeConfigs' ConfigType.
enum class config_type : int8_t {
  unknown = 0,
  boolean = 1,
  string = 2,
  int32 = 3,
  int16 = 4,
  int64 = 5,
  float64 = 6,
  list = 7,
  class_name = 8,
  password = 9,
};

// DescribeConfigs' ConfigSource (and a synonym's source).
enum class config_source : int8_t {
  unknown = 0,
  dynamic_topic = 1,
  dynamic_broker = 2,
  dynamic_default_broker = 3,
  static_broker = 4,
  default_config = 5,
};

struct topic_setting_info {
  std::string_view name;
  // The broker setting (Kafka's name) whose value is the topic default.
  std::string_view broker_name;
  config_type type;
  std::string_view doc;
};

// Every topic setting, in name order (docs/configuration.md is generated
// from this table and broker_config's defaults).
std::span<const topic_setting_info> all_topic_settings();

// Kafka's name for a ConfigType, lower case: "int", "long", "list", ...
std::string_view config_type_name(config_type type);

// nullptr for a topic setting not in the table.
const topic_setting_info* find_topic_setting(std::string_view name);
// The topic setting whose default `broker_name` holds (log.roll.ms ->
// segment.ms); empty if there is none.
std::string_view topic_setting_for_broker_name(std::string_view broker_name);

// One broker setting as DescribeConfigs shows it.
struct broker_setting {
  std::string name;
  std::string value;
  bool is_default = false;  // equal to runnel's built-in default
  config_type type = config_type::unknown;
  std::string_view doc;
};

// Every broker setting runnel has, with `cfg`'s values. `bound_port` is the
// port the listener really got (the configured one may be 0).
std::vector<broker_setting> describe_broker(const broker_config& cfg, uint16_t bound_port);

}  // namespace runnel::broker
