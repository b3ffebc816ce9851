// Errors of the broker itself (start-up and its own files). Kafka error codes
// are made from internal errors in errors.cc only.
#pragma once

#include <system_error>

namespace runnel::broker {

enum class broker_errc {
  data_dir_locked = 1,  // another process holds the data directory's lock
  damaged_metadata,     // meta/topics.json or meta/producer_ids does not parse
};
const std::error_category& broker_category();
std::error_code make_error_code(broker_errc e);

}  // namespace runnel::broker

template <>
struct std::is_error_code_enum<runnel::broker::broker_errc> : std::true_type {};
