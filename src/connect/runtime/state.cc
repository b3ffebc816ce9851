#include "connect/runtime/state.h"

#include <array>

namespace runnel::connect {

namespace {
constexpr std::array<std::string_view, 3> target_names = {"STARTED", "PAUSED", "STOPPED"};
constexpr std::array<std::string_view, 7> run_names = {
    "UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED", "DESTROYED"};
}  // namespace

std::string_view target_state_name(target_state t) {
  return target_names[static_cast<size_t>(t)];
}

std::optional<target_state> parse_target_state(std::string_view s) {
  for (size_t i = 0; i < target_names.size(); ++i)
    if (target_names[i] == s) return static_cast<target_state>(i);
  return std::nullopt;
}

std::string_view run_state_name(run_state s) {
  return run_names[static_cast<size_t>(s)];
}

std::optional<run_state> parse_run_state(std::string_view s) {
  for (size_t i = 0; i < run_names.size(); ++i)
    if (run_names[i] == s) return static_cast<run_state>(i);
  return std::nullopt;
}

std::string_view connector_type_name(connector_type t) {
  switch (t) {
    case connector_type::source:
      return "source";
    case connector_type::sink:
      return "sink";
    case connector_type::unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace runnel::connect
