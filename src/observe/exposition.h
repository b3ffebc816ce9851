// Prometheus' text exposition format, version 0.0.4 (what every Prometheus
// server and agent scrapes):
//
//   # HELP runnel_requests_total Kafka requests handled, by API.
//   # TYPE runnel_requests_total counter
//   runnel_requests_total{api="Produce"} 1027
//
// One HELP and TYPE line per family, then its samples; label values and
// help text escaped as the format requires (backslash, double quote in
// label values, newline).
#pragma once

#include <string>
#include <vector>

#include "observe/family.h"

namespace runnel::observe {

// The Content-Type of render_text()'s output.
inline constexpr const char* text_content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string render_text(const std::vector<family_snapshot>& families);

// A sample value as the format writes it: integers without a fraction or
// exponent (exact up to 2^53), other values in the shortest form that reads
// back the same, NaN, +Inf, -Inf.
std::string format_value(double v);

}  // namespace runnel::observe
