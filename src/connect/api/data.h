// Kafka Connect's data model: schemas and the values they describe.
//
// A value (type `data`) is an nlohmann::ordered_json: null, boolean, integer, floating
// point, string, binary (Connect's BYTES), array, or object — an object is a
// STRUCT (fields in schema order) when its schema says so, else a MAP with
// string keys (a MAP whose keys are not strings is an array of [key, value]
// pairs, as JsonConverter writes it). Objects keep their key order, so a
// struct round-trips field by field and a JSON document keeps its layout.
//
// A schema is optional everywhere: records without one are "schemaless"
// (JsonConverter with schemas.enable=false, string lines, CSV maps), and the
// transformations handle both, as Kafka's do. Schemas are immutable once
// built and shared through schema_ptr, so the records of one file or one
// topic point at the same schema.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "connect/api/error.h"

namespace runnel::connect {

using data = nlohmann::ordered_json;

enum class schema_type : uint8_t {
  int8,
  int16,
  int32,
  int64,
  float32,
  float64,
  boolean,
  string,
  bytes,
  array,
  map,
  struct_,
};

// JsonConverter's lower-case names: "int8" .. "struct".
std::string_view type_name(schema_type t);
std::optional<schema_type> parse_type_name(std::string_view name);  // either case
bool is_primitive(schema_type t);

struct schema;
using schema_ptr = std::shared_ptr<const schema>;

struct field {
  std::string name;
  int32_t index = 0;
  schema_ptr schema;
};

struct schema {
  schema_type type = schema_type::string;
  bool optional = false;
  std::optional<data> default_value;
  std::optional<std::string> name;  // a logical type's name, or the record's name
  std::optional<int32_t> version;
  std::optional<std::string> doc;
  std::vector<std::pair<std::string, std::string>> parameters;
  std::vector<field> fields;  // struct
  schema_ptr key_schema;      // map
  schema_ptr value_schema;    // map values, array items

  const field* find_field(std::string_view n) const;
  std::optional<std::string> parameter(std::string_view key) const;
};

bool equal(const schema_ptr& a, const schema_ptr& b);

// The logical types Kafka Connect defines on top of the primitive ones.
namespace logical {
inline constexpr std::string_view decimal =
    "org.apache.kafka.connect.data.Decimal";                                    // bytes, "scale"
inline constexpr std::string_view date = "org.apache.kafka.connect.data.Date";  // int32 days
inline constexpr std::string_view time = "org.apache.kafka.connect.data.Time";  // int32 ms of day
inline constexpr std::string_view timestamp =
    "org.apache.kafka.connect.data.Timestamp";  // int64 ms
}  // namespace logical

// Shared schemas of the primitive types (Kafka's Schema.STRING_SCHEMA ...).
namespace schemas {
schema_ptr of(schema_type t, bool optional = false);
inline schema_ptr string() {
  return of(schema_type::string);
}
inline schema_ptr optional_string() {
  return of(schema_type::string, true);
}
inline schema_ptr bytes() {
  return of(schema_type::bytes);
}
inline schema_ptr optional_bytes() {
  return of(schema_type::bytes, true);
}
inline schema_ptr int64() {
  return of(schema_type::int64);
}
inline schema_ptr optional_int64() {
  return of(schema_type::int64, true);
}
schema_ptr timestamp(bool optional = false);
}  // namespace schemas

// Builds a struct schema field by field.
class struct_builder {
 public:
  explicit struct_builder(std::optional<std::string> name = std::nullopt);
  struct_builder& field(std::string name, schema_ptr s);
  struct_builder& optional(bool o = true);
  struct_builder& version(int32_t v);
  struct_builder& doc(std::string d);
  schema_ptr build();

 private:
  schema s_;
};

// A copy of `s` that is optional (or not).
schema_ptr with_optional(const schema_ptr& s, bool optional);

// The error a record gets when `v` does not fit `s` (Kafka's
// ConnectSchema.validateValue); `where` names the value in the sentence.
result<void> validate_value(const schema_ptr& s, const data& v, std::string_view where = "value");

// A readable rendering of a value for logs and StringConverter: strings as
// they are, binary as base64, the rest as compact JSON.
std::string to_display_string(const data& v);

// Base64 (RFC 4648, with padding), as Jackson writes byte arrays.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// A binary value from bytes, and the bytes of one.
data make_bytes(std::string_view b);
std::string_view bytes_of(const data& v);  // empty unless v.is_binary()

}  // namespace runnel::connect
