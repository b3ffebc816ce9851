// checkpoint: a task's record of how far its local state stores are
// covered by their changelogs — "<store>: next changelog offset" — written
// after each commit made the stores and the changelog durable. A task that
// opens with a checkpoint restores only from those offsets; without one it
// wipes its stores and restores from the changelogs' start.
//
// File: <task dir>/.checkpoint, JSON {"version":1,"offsets":{"store":N}},
// replaced atomically (write temp, fsync, rename, fsync dir). The format and
// how a task uses it: docs/format/stream-checkpoint.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "model/result.h"

namespace runnel::stream::runtime {

using checkpoint = std::map<std::string, int64_t>;

// nullopt if there is none or it cannot be read (then state is rebuilt).
std::optional<checkpoint> read_checkpoint(const std::filesystem::path& task_dir);
result<void> write_checkpoint(const std::filesystem::path& task_dir, const checkpoint& c);
void remove_checkpoint(const std::filesystem::path& task_dir);

}  // namespace runnel::stream::runtime
