// Java's String.valueOf for Connect values, as FileStreamSink writes them:
// strings as they are, null as "null", structs as "Struct{a=1,b=x}" (null
// fields left out), maps as "{k=v, k2=v2}", lists as "[a, b]", bytes as
// base64 (Java would print an array's identity), numbers and booleans as
// Java prints them.
#pragma once

#include <string>

#include "connect/api/data.h"

namespace runnel::connect {

std::string java_string(const schema_ptr& s, const data& v);

}  // namespace runnel::connect
