// Connect data ↔ JSON, as Kafka's JsonConverter maps them: the schema's
// JSON form ({"type":"struct","fields":[…],"optional":false,…}) and values
// under a schema or schemaless. Used by the JSON and CloudEvents
// converters, and by the file readers and writers that speak JSON.
#pragma once

#include "connect/api/data.h"

namespace runnel::connect {

enum class decimal_format { base64, numeric };

struct json_options {
  decimal_format decimals = decimal_format::base64;
  // A null value of a field with a default becomes the default
  // (JsonConverter's replace.null.with.default).
  bool replace_null_with_default = true;
};

// The schema as JsonConverter writes it in the envelope's "schema".
data schema_to_json(const schema_ptr& s);
result<schema_ptr> schema_from_json(const data& j);

// A value as JSON (bytes become base64 strings; decimals as `decimals` says).
result<data> to_json(const schema_ptr& s, const data& v, const json_options& o = {});
// JSON under a schema (types checked, base64 decoded); schemaless when
// `s` is null: JSON as it is (numbers stay int64 or double).
result<data> from_json(const schema_ptr& s, const data& j, const json_options& o = {});

// Decimals (bytes of a two's complement big-endian unscaled value with a
// "scale" parameter) as text ("-12.345") and back.
std::string decimal_to_string(std::string_view unscaled, int32_t scale);
std::optional<std::string> decimal_from_string(std::string_view text, int32_t scale);

}  // namespace runnel::connect
