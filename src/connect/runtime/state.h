// The states of connectors and tasks as Kafka Connect names them, and the
// identity of a task.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runnel/client/message.h"

namespace runnel::connect {

// Rename-proof names of the client's strong types.
using partition_id_t = decltype(client::topic_partition::partition);
using offset_t = decltype(client::topic_partition_offset::offset);

// What the user asked a connector to be (the config topic's target-state).
enum class target_state { started, paused, stopped };
std::string_view target_state_name(target_state t);  // "STARTED", "PAUSED", "STOPPED"
std::optional<target_state> parse_target_state(std::string_view s);

// What a connector or task is (the REST API's and the status topic's "state").
enum class run_state { unassigned, running, paused, failed, restarting, stopped, destroyed };
std::string_view run_state_name(run_state s);  // "UNASSIGNED", "RUNNING", ...
std::optional<run_state> parse_run_state(std::string_view s);

struct task_id {
  std::string connector;
  int32_t task = 0;
  friend auto operator<=>(const task_id&, const task_id&) = default;
  std::string str() const { return connector + "-" + std::to_string(task); }
};

struct status {
  run_state state = run_state::unassigned;
  std::string trace;  // the error, when failed
  std::string worker_id;
  int32_t generation = 0;
};

enum class connector_type { source, sink, unknown };
std::string_view connector_type_name(connector_type t);  // "source", "sink", "unknown"

}  // namespace runnel::connect
