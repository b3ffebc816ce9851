// connect_member: distributed mode's membership — a group_member speaking
// Kafka Connect's "default" protocol (connect_protocol.h) in the worker's
// group.id.
#pragma once

#include <memory>

#include "connect/runtime/membership.h"
#include "connect/runtime/worker_config.h"

namespace runnel::connect {

result<std::unique_ptr<membership>> make_connect_member(const worker_config& w);

}  // namespace runnel::connect
