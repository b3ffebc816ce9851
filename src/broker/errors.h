// Mapping of storage and batch errors to Kafka error codes: the one place
// where they meet (DESIGN.md decision 5).
#pragma once

#include <system_error>

#include "kafka/error_code.h"

namespace runnel::broker {

kafka::error_code to_kafka_error(std::error_code ec);

}  // namespace runnel::broker
