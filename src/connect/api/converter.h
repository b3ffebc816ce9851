// Converters turn record keys, values and headers from Kafka's bytes into
// Kafka Connect's data model and back (Kafka's Converter and
// HeaderConverter). A source task's records go through from_connect before
// they are produced; a sink task's consumed records through to_connect
// before put().
//
// Instances are per task and per role (key or value), used by one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/plugin.h"
#include "runnel/client/message.h"

namespace runnel::connect {

struct schema_and_value {
  schema_ptr schema;  // null: schemaless
  data value;
};

class converter : public plugin_instance {
 public:
  // `props` are the converter's own keys (key.converter.* with the prefix
  // removed); `is_key` says which side of the record it converts.
  virtual result<void> configure(const config_map& props, bool is_key) = 0;

  // Connect data to bytes; nullopt for a null key or value. A converter
  // may add headers (CloudEvents binary mode adds ce_*).
  virtual result<std::optional<std::string>> from_connect(std::string_view topic,
                                                          std::vector<client::header>& headers,
                                                          const schema_ptr& schema,
                                                          const data& value) = 0;

  // Bytes (nullopt: null) to Connect data. `headers` are the record's; a
  // converter may add some (CloudEvents structured mode turns the event's
  // attributes into ce_* headers, as binary mode carries them).
  virtual result<schema_and_value> to_connect(std::string_view topic,
                                              std::vector<client::header>& headers,
                                              std::optional<std::string_view> bytes) = 0;
};

class header_converter : public plugin_instance {
 public:
  virtual result<void> configure(const config_map& props) = 0;
  virtual result<std::optional<std::string>> from_connect_header(std::string_view topic,
                                                                 std::string_view key,
                                                                 const schema_ptr& schema,
                                                                 const data& value) = 0;
  virtual result<schema_and_value> to_connect_header(std::string_view topic, std::string_view key,
                                                     std::optional<std::string_view> bytes) = 0;
};

}  // namespace runnel::connect
