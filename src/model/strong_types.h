// The strong types (offset, timestamp, partition_id, producer_id,
// producer_epoch, leader_epoch) under the name runnel's modules use,
// runnel::model::*. They are defined once, in the public header
// include/runnel/strong_types.h, because the client API exposes them.
#pragma once

#include "runnel/strong_types.h"

namespace runnel::model {

using runnel::leader_epoch;
using runnel::offset;
using runnel::partition_id;
using runnel::producer_epoch;
using runnel::producer_id;
using runnel::timestamp;

}  // namespace runnel::model
