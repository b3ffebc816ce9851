// The configuration reference (docs/configuration.md), generated from the
// code that applies the settings: `runnel serve`'s own settings, the
// broker's (broker_config, through the same catalog DescribeConfigs uses)
// and the topics' (storage::log_config). `runnel serve
// --print-config-reference` prints it; a test checks the committed doc is
// what it prints.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace runnel::cli {

// A setting `runnel serve` applies itself rather than the broker's config.
struct process_setting {
  std::string_view name;           // in the config file and --set
  std::string_view aliases;        // other names accepted, comma-separated
  std::string_view flag;           // the command-line flag
  std::string_view default_value;  // Markdown: a literal in backticks, or words
  std::string_view doc;
};

// The whole reference as Markdown.
std::string config_reference(std::span<const process_setting> process);

}  // namespace runnel::cli
