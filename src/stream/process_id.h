// process_id: a random id for this app's processes that run from one state
// directory, kept in <state_dir>/<application_id>/.process-id and reused on
// every start (Kafka Streams keeps one too). Exactly-once names its
// transactional producer after it, so a process restarted after a crash
// fences the one that died and aborts its open transaction at once.
#pragma once

#include <filesystem>
#include <string>

#include "runnel/client/error.h"

namespace runnel::stream::runtime {

// The id in `app_dir`, created (16 hex digits, written atomically) if there
// is none or it is unreadable.
client::result<std::string> process_id(const std::filesystem::path& app_dir);

}  // namespace runnel::stream::runtime
