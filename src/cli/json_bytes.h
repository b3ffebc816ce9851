// Keys, values and headers are bytes, JSON strings are UTF-8: how the client
// commands put bytes into their JSON output without losing any. Valid UTF-8
// goes in as a string; anything else (or everything, when asked) as base64,
// with a sibling "<field>_encoding": "base64" saying so.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace runnel::cli {

// Sets obj[field] to `bytes` (null for nullopt) and, when they are written as
// base64, obj[field + "_encoding"] = "base64".
void put_bytes(nlohmann::ordered_json& obj, const char* field,
               const std::optional<std::string_view>& bytes, bool always_base64);

// Standard base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

}  // namespace runnel::cli
