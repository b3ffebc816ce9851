// Runtime log-level control (the admin server's /v1/loglevel): spdlog's
// levels by their names, applied to every logger of the process.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace runnel::observe {

// "trace", "debug", "info", "warn" (or "warning"), "error", "critical" (or
// "fatal"), "off"; case-insensitive. nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);
// The name parse_level() reads back.
std::string level_name(spdlog::level::level_enum l);
// The level of the default logger (what runnel's modules log through).
spdlog::level::level_enum current_level();
// Sets every registered logger, and the level new loggers get.
void set_level(spdlog::level::level_enum l);

}  // namespace runnel::observe
