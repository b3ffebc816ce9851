// The two date formats the object stores answer with: ISO 8601 in S3's XML
// (2026-12-03T11:40:00.000Z) and RFC 1123 in HTTP headers and Azure's XML
// (Thu, 03 Dec 2026 11:40:00 GMT).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace runnel::connect::objstore {

using time_point = std::chrono::system_clock::time_point;

std::optional<time_point> parse_iso8601(std::string_view s);
std::optional<time_point> parse_http_date(std::string_view s);

}  // namespace runnel::connect::objstore
