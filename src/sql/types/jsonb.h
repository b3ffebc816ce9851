// jsonb as PostgreSQL prints it: values are kept as canonical text —
// object keys sorted (shorter first, then by bytes; the last duplicate
// wins), ", " and ": " between items, numbers as numeric — so equal
// documents have equal bytes and compare, group and join by bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace runnel::sql::jsonb {

// The canonical text of a JSON document; nullopt if it is not JSON.
std::optional<std::string> normalize(std::string_view text);

// The value under `key` of an object (canonical text), or nullopt.
std::optional<std::string_view> get(std::string_view doc, std::string_view key);
// The element `index` of an array (negative: from the end), or nullopt.
std::optional<std::string_view> at(std::string_view doc, int64_t index);
// ->>: a string's unescaped contents, any other value's text; nullopt for
// JSON null.
std::optional<std::string> as_text(std::string_view value);
// "object", "array", "string", "number", "boolean" or "null".
std::string_view type_of(std::string_view value);
// A SQL string as a JSON string literal.
std::string quote(std::string_view s);

}  // namespace runnel::sql::jsonb
