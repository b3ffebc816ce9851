// What the single message transformations share: the $Key/$Value split
// (which side of the record a transformation changes), the checks Kafka's
// Requirements class makes, and copying a struct schema with changes.
#pragma once

#include <string>
#include <string_view>

#include "connect/api/config_def.h"
#include "connect/api/record.h"
#include "connect/api/transformation.h"

namespace runnel::connect::transforms {

enum class side { key, value };

// The schema and value a $Key or $Value transformation operates on.
struct operand {
  schema_ptr& schema;
  data& value;
};
operand operating(connect_record& r, side s);
const data& operating_value(const connect_record& r, side s);

// Kafka's Requirements: "Only Map objects supported in absence of schema
// for [purpose], found: T" and "Only Struct objects supported for …".
result<void> require_map(const data& v, std::string_view purpose);
result<void> require_struct(const schema_ptr& s, const data& v, std::string_view purpose);

// A struct schema like `base` (name, version, doc, optional) with no fields.
schema start_struct_like(const schema& base);

// Key definitions several transformations use.
config_key replace_null_with_default_key();

// A transformation whose $Key and $Value forms share one implementation.
class sided_transformation : public transformation {
 public:
  explicit sided_transformation(side s) : side_(s) {}

 protected:
  side side_;
};

}  // namespace runnel::connect::transforms
